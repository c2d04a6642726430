/** zod building blocks whose messages say what was expected and what was given. */
import * as nodePath from "node:path";
import { z } from "zod";
import { describeValue } from "../../characters/schema";

/**
 * What was given, for a message: a short string as itself (an enum or a flag, never a secret:
 * secrets are read apart, lib/config/values.ts), anything else by its kind.
 */
export function shownValue(input: unknown): string {
  return typeof input === "string" && input.length <= 40 ? JSON.stringify(input) : describeValue(input);
}

export const expected = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `missing — ${what}` : `${what} (got ${shownValue(issue.input)})`;

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
