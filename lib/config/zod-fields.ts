/** zod building blocks whose messages say what was expected and what was given. */
import * as nodePath from "node:path";
import { z } from "zod";
import { describeValue } from "../../characters/schema";

export const expected = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `missing — ${what}` : `${what} (got ${describeValue(issue.input)})`;

export const nonEmpty = (what: string) =>
  z.string({ error: expected(what) }).min(1, { error: `must not be empty — ${what}` });

export const booleanLike = (what: string) =>
  z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], {
    error: expected(`${what}: true or false`),
  });

export const relativePath = (what: string) =>
  nonEmpty(what).refine((p) => !nodePath.isAbsolute(p), {
    error: `must be relative to the project root (the directory with Pulumi.yaml) — ${what}`,
  });
