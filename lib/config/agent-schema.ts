/**
 * The schema of one entry of `agents`: its fields, their defaults and sizes, and the parsed
 * shape the components receive (AgentConfig).
 */

import { z } from "zod";
import type { Character } from "../../characters/schema";
import type { FrontDoor } from "../front-door";
import { CPUS_PATTERN, isHttpUrl, MEMORY_PATTERN } from "./formats";
import type { ServerEntry } from "./servers";
import { type AgentSource, REGISTRY_KEYS, SOURCE_KEYS, sourceSchema } from "./source-schema";
import { booleanLike, expected, relativePath } from "./zod-fields";

export type AgentSize = "small" | "medium" | "large";
export type ModelProvider = "openai" | "anthropic" | "openrouter" | "google" | "ollama";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

export const AGENT_SIZES = ["small", "medium", "large"] as const;
export const MODEL_PROVIDERS = ["openai", "anthropic", "openrouter", "google", "ollama"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

/**
 * Container limits per size. ElizaOS 1.7.2 idles at a few hundred MB and spikes at boot
 * (project rebuild, migrations, first embedding call); the elizaOS cloud deploy gives 1792 MB.
 * - small: 1 GiB / 0.5 CPU: one agent with remote models and remote Postgres; may be tight at boot.
 * - medium (default): 2 GiB / 1 CPU: what the ElizaOS notes recommend for one 1.7.2 agent.
 * - large: 4 GiB / 2 CPUs: several plugins, local embeddings, heavy traffic.
 */
export const SIZE_LIMITS: Record<AgentSize, { memory: string; cpus: string }> = {
  small: { memory: "1g", cpus: "0.5" },
  medium: { memory: "2g", cpus: "1" },
  large: { memory: "4g", cpus: "2" },
};
export const DEFAULT_AGENT_SIZE: AgentSize = "medium";

export interface AgentConfig {
  /** DNS-label-safe, unique within the stack. */
  name: string;
  /** Path relative to the project root, as written in the config. */
  characterFile: string;
  character: Character;
  source: AgentSource;
  size: AgentSize;
  limits: { memory: string; cpus: string };
  /** `https://host.example.com`, lower-cased, no trailing slash. */
  domain?: string;
  modelProvider: ModelProvider;
  modelBaseUrl?: string;
  logLevel: LogLevel;
  /** Extra non-secret env vars. */
  env: Record<string, string>;
  smokeTest: boolean;
  /** Proxy and CORS/web UI settings (lib/front-door.ts); none leaves Coolify's defaults. */
  frontDoor?: FrontDoor;
  /** Its server when `servers` is listed (named, or chosen: servers.ts); none in the one-server form. */
  server?: ServerEntry;
  /** How it got that server: named in its config, spread by the program, or the database's. */
  placed?: "pinned" | "spread" | "database";
  /** The server it is acknowledged to move away from (`moveFrom`). */
  moveFrom?: ServerEntry;
  /** false: the application is stopped (nothing deployed, nothing lost); true starts it again. */
  running: boolean;
  /** Put the last version that passed back when a new one fails (default eliza-coolify:rollback). */
  rollback: boolean;
}

// A DNS label: it becomes part of Coolify and DNS names, so it may not end with '-'.
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}[a-z0-9]$/;

export const agentSchema = z.strictObject(
  {
    name: z.string({ error: expected("a DNS-label-safe name such as server-bod") }).regex(NAME_PATTERN, {
      error:
        "must be 2-41 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-' (e.g. server-bod); it becomes part of Coolify and DNS names",
    }),
    characterFile: relativePath(
      "the path to a *.character.json file, e.g. characters/server-bod.character.json",
    ),
    source: sourceSchema,
    size: z
      .enum(AGENT_SIZES, { error: expected(`one of ${AGENT_SIZES.join(", ")}`) })
      .default(DEFAULT_AGENT_SIZE),
    limits: z
      .strictObject({
        memory: z
          .string({ error: expected('a Docker memory size such as "2g" or "1536m"') })
          .regex(MEMORY_PATTERN, {
            error: 'must be a Docker memory size with a unit, such as "2g" or "1536m"',
          })
          .optional(),
        cpus: z
          .union([z.string(), z.number().transform(String)], {
            error: expected('a CPU count such as "1" or "0.5"'),
          })
          .refine((v) => CPUS_PATTERN.test(v) && Number(v) > 0, {
            error: 'must be a positive number of CPUs such as "1" or "0.5"',
          })
          .optional(),
      })
      .optional(),
    domain: z.string({ error: expected("an https URL such as https://agent.example.com") }).optional(),
    modelProvider: z
      .enum(MODEL_PROVIDERS, { error: expected(`one of ${MODEL_PROVIDERS.join(", ")}`) })
      .default("openai"),
    modelBaseUrl: z
      .string({ error: expected("an http(s) URL") })
      .refine((u) => isHttpUrl(u, ["https:", "http:"]), {
        error: "must be an http(s) URL such as https://api.example.com/v1",
      })
      .optional(),
    logLevel: z.enum(LOG_LEVELS, { error: expected(`one of ${LOG_LEVELS.join(", ")}`) }).default("info"),
    env: z
      .record(
        z.string(),
        z.union([z.string(), z.number().transform(String), z.boolean().transform(String)], {
          error: expected("a string, number or boolean"),
        }),
        { error: expected("a map of NAME: value") },
      )
      .default({}),
    smokeTest: booleanLike("whether to send a test chat message after deploy").default(true),
    frontDoor: z.unknown().optional(), // checked by lib/front-door.ts
    // Names of servers in eliza-coolify:servers, checked by servers.ts.
    server: z.string({ error: expected("the name of a server in eliza-coolify:servers") }).optional(),
    moveFrom: z
      .string({ error: expected("the name of the server (in eliza-coolify:servers) the agent is on now") })
      .optional(),
    running: booleanLike("whether the agent runs (false stops it without losing anything)").default(true),
    rollback: booleanLike(
      "whether a failed, unhealthy or smoke-test-failing deployment is rolled back to the last version that passed",
    ).optional(),
  },
  { error: expected("an agent object {name, characterFile, source, ...}") },
);

export type AgentFields = z.output<typeof agentSchema>;

const AGENT_KEYS = Object.keys(agentSchema.shape);

/** The fields of an invalid agent that are valid on their own, for the cross-field checks. */
export function salvageAgentFields(rawAgent: Record<string, unknown>): Partial<AgentFields> {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(agentSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(rawAgent[key]);
    if (result.success) fields[key] = result.data;
  }
  return fields as Partial<AgentFields>;
}

/** The keys allowed at a path inside an agent, for "did you mean" hints on unknown keys. */
export function agentKnownKeys(path: PropertyKey[]): string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return AGENT_KEYS;
  if (last === "source") return SOURCE_KEYS;
  if (last === "limits") return ["memory", "cpus"];
  if (last === "registry") return REGISTRY_KEYS;
  return [];
}
