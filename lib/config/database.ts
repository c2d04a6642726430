/**
 * The database section: `databaseMode` full (a pgvector database the stack creates in Coolify,
 * with databaseImage, databaseMemory, protectDatabase, allowNonPgvectorImage,
 * databaseRecreateIfLost) or slim (an
 * existing Postgres given as the secret databaseUrl).
 */
import type * as pulumi from "@pulumi/pulumi";
import { describeValue } from "../../characters/schema";
import { imagePinProblem, MEMORY_PATTERN } from "./formats";
import { ns } from "./keys";
import type { Problems } from "./problems";
import { asBoolean, type ConfigValues } from "./values";

export const DEFAULT_DATABASE_IMAGE = "pgvector/pgvector:0.8.0-pg17";
export const DEFAULT_DATABASE_MEMORY = "1g";

export type DatabaseConfig =
  | {
      mode: "full";
      image: string;
      memory: string;
      public: false;
      protect: boolean;
      /** Accept a new, empty database when refresh found the old one deleted outside Pulumi. */
      recreateIfLost: boolean;
    }
  | { mode: "slim"; url: pulumi.Output<string> };

/** The database config, or undefined when it has problems (all of them reported). */
export function parseDatabase(
  values: ConfigValues,
  problems: Problems,
  protect: boolean,
): DatabaseConfig | undefined {
  const mode = values.raw.databaseMode ?? "full";
  if (mode === "full") return parseFullDatabase(values, problems, protect);
  if (mode === "slim") return parseSlimDatabase(values, problems);
  problems.add(
    ns("databaseMode"),
    "",
    `must be "full" (a pgvector database created in Coolify) or "slim" (an existing Postgres given as databaseUrl) (got ${typeof mode === "string" ? JSON.stringify(mode) : describeValue(mode)})`,
  );
  return undefined;
}

function parseFullDatabase(values: ConfigValues, problems: Problems, protect: boolean): DatabaseConfig {
  const image = values.string("databaseImage") ?? DEFAULT_DATABASE_IMAGE;
  const allowOther = values.boolean("allowNonPgvectorImage") ?? false;
  const pin = imagePinProblem(image);
  if (pin) problems.add(ns("databaseImage"), "", `"${image}" ${pin}`);
  if (!image.includes("pgvector") && !allowOther) {
    problems.add(
      ns("databaseImage"),
      "",
      `"${image}" is not a pgvector image; ElizaOS needs the vector extension (postgres:*-alpine lacks it) — use ${DEFAULT_DATABASE_IMAGE}, or set ${ns("allowNonPgvectorImage")} true if your image has pgvector`,
    );
  }
  const memory = values.string("databaseMemory") ?? DEFAULT_DATABASE_MEMORY;
  if (!MEMORY_PATTERN.test(memory)) {
    problems.add(
      ns("databaseMemory"),
      "",
      'must be a Docker memory size with a unit, such as "1g" or "512m"',
    );
  }
  if (values.raw.databaseUrl !== undefined) {
    problems.add(
      ns("databaseUrl"),
      "",
      `is only used when databaseMode is slim — remove it (pulumi config rm ${ns("databaseUrl")}) or set ${ns("databaseMode")} slim`,
    );
  }
  return {
    mode: "full",
    image,
    memory,
    public: false,
    protect: values.boolean("protectDatabase") ?? protect,
    recreateIfLost: values.boolean("databaseRecreateIfLost") ?? false,
  };
}

/** Keys of the full mode, with whether a value was chosen by a person (not Pulumi.yaml's default). */
const FULL_ONLY_KEYS: Record<string, (v: unknown) => boolean> = {
  databaseImage: (v) => v !== DEFAULT_DATABASE_IMAGE,
  databaseMemory: (v) => v !== DEFAULT_DATABASE_MEMORY,
  protectDatabase: () => true,
  allowNonPgvectorImage: (v) => asBoolean(v) !== false,
  databaseRecreateIfLost: (v) => asBoolean(v) !== false,
};

function parseSlimDatabase(values: ConfigValues, problems: Problems): DatabaseConfig | undefined {
  for (const [key, chosen] of Object.entries(FULL_ONLY_KEYS)) {
    if (values.raw[key] !== undefined && chosen(values.raw[key])) {
      problems.add(
        ns(key),
        "",
        `is only used when databaseMode is full — remove it (pulumi config rm ${ns(key)})`,
      );
    }
  }
  const url = values.secret("databaseUrl");
  const plain = values.secretText("databaseUrl");
  const given = values.raw.databaseUrl;
  if (given === undefined || given === "") {
    problems.add(
      ns("databaseUrl"),
      "",
      `is required when databaseMode is slim — pulumi config set --secret ${ns("databaseUrl")} postgresql://user:password@host:5432/eliza`,
    );
  } else if (plain !== undefined && !/^postgres(ql)?:\/\/[^/\s]+/.test(plain)) {
    problems.add(
      ns("databaseUrl"),
      "",
      "must be a postgres:// or postgresql:// connection URL (the database needs the pgvector extension)",
    );
  } else if (url) {
    return { mode: "slim", url };
  }
  return undefined;
}
