/**
 * Stack configuration: read once from Pulumi config, validated once with zod, then trusted.
 *
 * `parseStackConfig` is pure (no Pulumi engine needed) and reports every problem at once, one
 * line per problem: `<config key><path>: <problem> — <how to fix>`. `readStackConfig` is the
 * thin part that pulls raw values out of `pulumi.Config`.
 */
import { existsSync, readFileSync } from "node:fs";
import * as nodePath from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  type Character,
  CharacterValidationError,
  describeValue,
  formatCharacterProblems,
  loadCharacter,
  nearest,
} from "../characters/schema";
import { type FrontDoor, parseStackFrontDoor, resolveFrontDoor } from "./front-door";

export type { Character } from "../characters/schema";

export const CONFIG_NAMESPACE = "eliza-coolify";

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

export const DEFAULT_DATABASE_IMAGE = "pgvector/pgvector:0.8.0-pg17";
export const DEFAULT_DATABASE_MEMORY = "1g";

export type ImageSource = { type: "image"; image: string };
export type GitSource = {
  type: "git";
  repository: string;
  branch: string;
  dockerfileLocation: string;
  baseDirectory: string;
};
export type BuildSource = {
  type: "build";
  context: string;
  dockerfile: string;
  imageName: string;
  registry?: { server: string; username: string };
};
export type AgentSource = ImageSource | GitSource | BuildSource;

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
}

export type DatabaseConfig =
  | { mode: "full"; image: string; memory: string; public: false; protect: boolean }
  | { mode: "slim"; url: pulumi.Output<string> };

export interface StackConfig {
  stack: string;
  coolify: { url?: string; token?: pulumi.Output<string> };
  project: { name: string; description: string; environment: string };
  server: { uuid?: string; destinationUuid?: string };
  database: DatabaseConfig;
  agents: AgentConfig[];
  modelKeys: Partial<Record<ModelProvider, pulumi.Output<string>>>;
  /** Registry password for `build` sources that push to a registry (config key registryPassword). */
  registryPassword?: pulumi.Output<string>;
  protect: boolean;
  adopt: boolean;
  /**
   * How `pulumi up` reaches the agents for the smoke test and the TLS check: `connectTo`
   * ("host:port") instead of DNS, and a PEM CA to trust besides the system ones. For one server
   * behind DNS, a private CA, and the simulator.
   */
  network: { connectTo?: string; caCertificate?: string };
  /** Things that are allowed but probably unintended; readStackConfig logs them as warnings. */
  warnings: string[];
}

/** A value that must be a secret: plain text as read from config, or an Output already. */
export type SecretInput = string | pulumi.Output<string>;

export interface RawStackConfig {
  /**
   * `eliza-coolify:*` values keyed WITHOUT the namespace: strings as `pulumi.Config.get` returns
   * them, or values already parsed from YAML/JSON (structured config such as `agents`).
   */
  values: Record<string, unknown>;
  /** Keys of `values` that were stored encrypted (`pulumi config set --secret`). */
  secretKeys?: readonly string[];
  /** The Coolify provider's config (`coolify:url`, `coolify:token`). */
  coolify?: { url?: string; token?: SecretInput; tokenIsSecret?: boolean };
}

export interface ParseContext {
  stack: string;
  /** Project root: character files and build contexts are resolved against it. */
  baseDir: string;
  readFile?: (p: string) => string;
  exists?: (p: string) => boolean;
}

/** The config keys that must be secrets, with where each goes. */
export const MODEL_KEY_CONFIG: Record<Exclude<ModelProvider, "ollama">, { key: string; env: string }> = {
  openai: { key: "openaiApiKey", env: "OPENAI_API_KEY" },
  anthropic: { key: "anthropicApiKey", env: "ANTHROPIC_API_KEY" },
  openrouter: { key: "openrouterApiKey", env: "OPENROUTER_API_KEY" },
  google: { key: "googleApiKey", env: "GOOGLE_GENERATIVE_AI_API_KEY" },
};

/** The plugin that each model provider needs in the character's plugin list. */
export const PROVIDER_PLUGINS: Record<ModelProvider, string> = {
  openai: "@elizaos/plugin-openai",
  anthropic: "@elizaos/plugin-anthropic",
  openrouter: "@elizaos/plugin-openrouter",
  google: "@elizaos/plugin-google-genai",
  ollama: "@elizaos/plugin-ollama",
};

/** Env var that `modelBaseUrl` becomes, per provider (undefined: the plugin has none). */
export const BASE_URL_ENV: Partial<Record<ModelProvider, string>> = {
  openai: "OPENAI_BASE_URL",
  openrouter: "OPENROUTER_BASE_URL",
  ollama: "OLLAMA_API_ENDPOINT",
};

/**
 * Env vars the program sets itself, with the config that controls each. An agent's `env` may
 * not set them, so there is one place to change each value.
 */
export const RESERVED_ENV: Record<string, string> = {
  POSTGRES_URL: "the database config (databaseMode, databaseUrl)",
  DATABASE_URL: "nothing: plugin-sql reads it as a fallback for POSTGRES_URL, which the database config sets",
  SERVER_PORT: "the program (the agent always listens on 3000)",
  SERVER_HOST: "the program (the agent always binds 0.0.0.0)",
  NODE_ENV: "the program (always production)",
  LOG_LEVEL: "the agent's logLevel",
  ELIZA_SERVER_AUTH_TOKEN: "the program (a generated secret, exported as a stack output)",
  SECRET_SALT: "the program (a generated, stable secret)",
  ELIZA_UI_ENABLE: "frontDoor.webUi",
  ELIZA_NO_PLUGIN_AUTO_INSTALL: "the program",
  ELIZA_NO_AUTO_INSTALL: "the program",
  SENTRY_DSN: "the program (error reports stay off: an empty DSN would send them to elizaOS)",
  LOG_JSON_FORMAT: "the program",
  AGENT_CHARACTER_JSON: "the agent's characterFile",
  OPENAI_API_KEY: "openaiApiKey",
  ANTHROPIC_API_KEY: "anthropicApiKey",
  OPENROUTER_API_KEY: "openrouterApiKey",
  GOOGLE_GENERATIVE_AI_API_KEY: "googleApiKey",
  OPENAI_BASE_URL: "the agent's modelBaseUrl",
  OPENROUTER_BASE_URL: "the agent's modelBaseUrl",
  OLLAMA_API_ENDPOINT: "the agent's modelBaseUrl",
};

/** Every key this project reads from the `eliza-coolify` namespace. */
export const KNOWN_KEYS = [
  "agents",
  "projectName",
  "projectDescription",
  "environment",
  "serverUuid",
  "destinationUuid",
  "databaseMode",
  "databaseImage",
  "databaseMemory",
  "databaseUrl",
  "allowNonPgvectorImage",
  "protectDatabase",
  "openaiApiKey",
  "anthropicApiKey",
  "openrouterApiKey",
  "googleApiKey",
  "registryPassword",
  "protect",
  "adopt",
  "connectTo",
  "caCertificate",
  "frontDoor",
] as const;

export const SECRET_KEYS = [
  "databaseUrl",
  "openaiApiKey",
  "anthropicApiKey",
  "openrouterApiKey",
  "googleApiKey",
  "registryPassword",
] as const;

const AGENT_KEYS = [
  "name",
  "characterFile",
  "source",
  "size",
  "limits",
  "domain",
  "modelProvider",
  "modelBaseUrl",
  "logLevel",
  "env",
  "smokeTest",
  "frontDoor",
];
const SOURCE_KEYS = [
  "type",
  "image",
  "repository",
  "branch",
  "dockerfileLocation",
  "baseDirectory",
  "context",
  "dockerfile",
  "imageName",
  "registry",
];

// ---------------------------------------------------------------------------------------------
// Problems

export interface ConfigProblem {
  /** Full config key, e.g. `eliza-coolify:agents` or `coolify:token`. */
  key: string;
  /** Path inside the value, in `pulumi config set --path` syntax: `[0].source.image`. */
  path: string;
  message: string;
}

export class StackConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(stack: string, problems: ConfigProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${p.key}${p.path}: ${p.message}`);
    super(`Stack "${stack}" has an invalid configuration (${count}):\n${lines.join("\n")}`);
    this.name = "StackConfigError";
    this.problems = problems;
  }
}

const ns = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

function pathSuffix(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(segment))) out += `.${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

class Problems {
  readonly list: ConfigProblem[] = [];
  add(key: string, path: string, message: string): void {
    this.list.push({ key, path, message });
  }
  /** Adds zod issues; unknown keys get a "did you mean" hint from `knownAt(path)`. */
  addZod(key: string, base: string, error: z.ZodError, knownAt: (path: PropertyKey[]) => string[]): void {
    for (const issue of error.issues) {
      if (issue.code === "unrecognized_keys") {
        const known = knownAt(issue.path);
        for (const k of issue.keys) {
          const hint = nearest(k, known);
          this.add(
            key,
            base + pathSuffix([...issue.path, k]),
            hint
              ? `unknown key — did you mean "${hint}"?`
              : `unknown key — remove it; allowed here: ${known.join(", ")}`,
          );
        }
        continue;
      }
      this.add(key, base + pathSuffix(issue.path), issue.message);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small validators (also exported for the components' own checks and for tests)

const NAME_PATTERN = /^[a-z][a-z0-9-]{1,40}$/;
const ENV_KEY_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const MEMORY_PATTERN = /^[0-9]+(\.[0-9]+)?[bkmg]$/i;
const CPUS_PATTERN = /^[0-9]+(\.[0-9]+)?$/;
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;
const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const SECRET_LOOKING_ENV = /(^|_)(API_KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIALS?|DSN)$/;

/** Splits `registry/repo:tag@sha256:...` into its parts. */
export function parseImageReference(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    tag: hasTag ? rest.slice(colon + 1) : undefined,
    digest,
  };
}

/** Why an image reference is not acceptable as a pinned image, or undefined when it is. */
export function imagePinProblem(ref: string): string | undefined {
  if (/\s/.test(ref) || ref === "") return "is not an image reference — use registry/repository:tag";
  const { name, tag, digest } = parseImageReference(ref);
  if (!IMAGE_NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid image name — use lowercase registry/repository, e.g. ghcr.io/acme/eliza-agent`;
  }
  if (digest !== undefined) {
    if (!DIGEST_PATTERN.test(digest))
      return "has a malformed digest — use @sha256: followed by 64 hex digits";
    if (tag !== undefined && !TAG_PATTERN.test(tag)) return `has an invalid tag "${tag}"`;
    return undefined;
  }
  if (tag === undefined) {
    return "is not pinned (no tag means :latest) — add a version tag such as :1.7.2 or an @sha256: digest";
  }
  if (!TAG_PATTERN.test(tag)) return `has an invalid tag "${tag}"`;
  if (tag === "latest") {
    return "uses :latest, which changes under you — pin a version tag such as :1.7.2 or an @sha256: digest";
  }
  return undefined;
}

/** Normalises `https://Host.Example.com/` to `https://host.example.com`, or says what is wrong. */
export function checkDomain(value: string): { domain: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `"${value}" is not a URL — write it as https://agent.example.com` };
  }
  if (url.protocol !== "https:") {
    return {
      problem: `must use https (got ${url.protocol.replace(":", "")}) — write it as https://${url.hostname || "agent.example.com"}; the proxy gets a certificate for it`,
    };
  }
  if (url.username || url.password) return { problem: "must not contain credentials — use https://<host>" };
  if (url.port) {
    return {
      problem: `must not name a port (${url.port}) — the proxy serves 443 and routes to the agent's port itself`,
    };
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    return { problem: "must be a bare origin with no path, query or fragment — use https://<host>" };
  }
  const host = url.hostname.toLowerCase();
  if (!HOSTNAME_PATTERN.test(host) || /^[0-9.]+$/.test(host)) {
    return { problem: `"${host}" is not a valid DNS hostname — use a name such as agent.example.com` };
  }
  return { domain: `https://${host}` };
}

function isHttpUrl(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}

function isOutput(value: unknown): value is pulumi.Output<string> {
  return pulumi.Output.isInstance(value);
}

function asBoolean(value: unknown): boolean | undefined | "invalid" {
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return "invalid";
}

// ---------------------------------------------------------------------------------------------
// zod schemas for the structured part (the agents list)

const expected = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `missing — ${what}` : `${what} (got ${describeValue(issue.input)})`;

const nonEmpty = (what: string) =>
  z.string({ error: expected(what) }).min(1, { error: `must not be empty — ${what}` });

const booleanLike = (what: string) =>
  z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], {
    error: expected(`${what}: true or false`),
  });

const relativePath = (what: string) =>
  nonEmpty(what).refine((p) => !nodePath.isAbsolute(p), {
    error: `must be relative to the project root (the directory with Pulumi.yaml) — ${what}`,
  });

const imageSourceSchema = z.strictObject({
  type: z.literal("image"),
  image: nonEmpty("a pinned image reference such as ghcr.io/acme/eliza-agent:1.7.2").superRefine(
    (ref, ctx) => {
      const problem = imagePinProblem(ref);
      if (problem) ctx.addIssue({ code: "custom", message: `"${ref}" ${problem}` });
    },
  ),
});

const gitSourceSchema = z.strictObject({
  type: z.literal("git"),
  repository: nonEmpty("the https URL of a public git repository").refine(
    (u) => isHttpUrl(u, ["https:"]) && new URL(u).pathname.split("/").filter(Boolean).length >= 2,
    {
      error:
        "must be the https URL of a public repository, e.g. https://github.com/acme/eliza-agent (SSH and private repos are not supported)",
    },
  ),
  branch: nonEmpty("a branch name").default("main"),
  dockerfileLocation: nonEmpty("the Dockerfile path inside the repository")
    .refine((p) => p.startsWith("/"), {
      error: 'must start with "/" (e.g. /Dockerfile), relative to baseDirectory',
    })
    .default("/Dockerfile"),
  baseDirectory: nonEmpty("the directory inside the repository to build from")
    .refine((p) => p.startsWith("/"), { error: 'must start with "/" (e.g. / or /agent)' })
    .default("/"),
});

const buildSourceSchema = z.strictObject({
  type: z.literal("build"),
  context: relativePath("the Docker build context").default("agent"),
  dockerfile: nonEmpty("the Dockerfile path relative to the context").default("Dockerfile"),
  imageName: nonEmpty("the image to push, registry/repository without a tag").superRefine((ref, ctx) => {
    const { tag, digest } = parseImageReference(ref);
    if (tag !== undefined || digest !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `"${ref}" must not include a tag or digest — the program tags each build eliza-coolify-<stack>-<agent> and deploys it by digest; give registry/repository only`,
      });
    } else if (!IMAGE_NAME_PATTERN.test(ref)) {
      ctx.addIssue({
        code: "custom",
        message: `"${ref}" is not a valid image name — use lowercase registry/repository, e.g. ghcr.io/acme/eliza-agent`,
      });
    }
  }),
  registry: z
    .strictObject({
      server: nonEmpty("the registry host, e.g. ghcr.io"),
      username: nonEmpty("the registry user name (the password goes in registryPassword, as a secret)"),
    })
    .optional(),
});

const sourceSchema = z.discriminatedUnion("type", [imageSourceSchema, gitSourceSchema, buildSourceSchema], {
  error: (issue) =>
    issue.input === undefined
      ? "missing — give source: {type: image, image: <repo>:<tag>} or {type: git, repository: https://...} or {type: build, imageName: <registry>/<repo>}"
      : 'type must be "image", "git" or "build"',
});

const agentSchema = z.strictObject(
  {
    name: z.string({ error: expected("a DNS-label-safe name such as server-bod") }).regex(NAME_PATTERN, {
      error:
        "must be 2-41 characters of lowercase letters, digits and '-', starting with a letter (e.g. server-bod); it becomes part of Coolify and DNS names",
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
  },
  { error: expected("an agent object {name, characterFile, source, ...}") },
);

type AgentFields = z.output<typeof agentSchema>;

/** The fields of an invalid agent that are valid on their own, for the cross-field checks. */
function salvageAgentFields(rawAgent: Record<string, unknown>): Partial<AgentFields> {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(agentSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(rawAgent[key]);
    if (result.success) fields[key] = result.data;
  }
  return fields as Partial<AgentFields>;
}

function agentKnownKeys(path: PropertyKey[]): string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return AGENT_KEYS;
  if (last === "source") return SOURCE_KEYS;
  if (last === "limits") return ["memory", "cpus"];
  if (last === "registry") return ["server", "username"];
  return [];
}

// ---------------------------------------------------------------------------------------------
// The parser

/** Validates raw config values into a StackConfig, or throws StackConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig, ctx: ParseContext): StackConfig {
  const problems = new Problems();
  const warnings: string[] = [];
  const values = raw.values ?? {};
  const secretKeys = new Set(raw.secretKeys ?? []);
  const readFile = ctx.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const exists = ctx.exists ?? existsSync;

  // Unknown keys (typos).
  for (const key of Object.keys(values)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
    const hint = nearest(key, KNOWN_KEYS);
    problems.add(
      ns(key),
      "",
      hint
        ? `unknown config key — did you mean ${ns(hint)}? (pulumi config rm ${ns(key)})`
        : `unknown config key — remove it with \`pulumi config rm ${ns(key)}\`; known keys: ${KNOWN_KEYS.join(", ")}`,
    );
  }

  const str = (key: string): string | undefined => {
    const v = values[key];
    // "" is unset: Pulumi.yaml declares optional keys with default "" (a declared key without a
    // default would be required).
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "string") return v;
    problems.add(ns(key), "", `expected a string (got ${describeValue(v)})`);
    return undefined;
  };
  const bool = (key: string): boolean | undefined => {
    const v = asBoolean(values[key]);
    if (v === "invalid") {
      problems.add(
        ns(key),
        "",
        `expected true or false (got ${describeValue(values[key])}) — pulumi config set ${ns(key)} true`,
      );
      return undefined;
    }
    return v;
  };
  const secret = (key: string): pulumi.Output<string> | undefined => {
    const v = values[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (isOutput(v)) return pulumi.secret(v);
    if (typeof v !== "string") {
      problems.add(ns(key), "", `expected a string (got ${describeValue(v)})`);
      return undefined;
    }
    if (!secretKeys.has(key)) {
      problems.add(
        ns(key),
        "",
        `is stored in plain text — store it encrypted: pulumi config set --secret ${ns(key)} <value>`,
      );
      return undefined;
    }
    return pulumi.secret(v);
  };
  const plainSecretValue = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === "string" ? v : undefined;
  };

  // Booleans first: defaults below depend on them.
  const isProdStack = ["prod", "production"].includes(ctx.stack.toLowerCase());
  const protect = bool("protect") ?? isProdStack;
  const adopt = bool("adopt") ?? false;

  // Coolify provider values.
  const coolify: StackConfig["coolify"] = {};
  if (raw.coolify?.url !== undefined && raw.coolify.url !== "") {
    if (isHttpUrl(raw.coolify.url, ["https:", "http:"])) coolify.url = raw.coolify.url.replace(/\/+$/, "");
    else
      problems.add(
        "coolify:url",
        "",
        "must be the http(s) URL of your Coolify instance, e.g. https://coolify.example.com — pulumi config set coolify:url <url>",
      );
  }
  const token = raw.coolify?.token;
  if (token !== undefined && token !== "") {
    if (isOutput(token)) coolify.token = pulumi.secret(token);
    else if (!raw.coolify?.tokenIsSecret) {
      problems.add(
        "coolify:token",
        "",
        "is stored in plain text — store it encrypted: pulumi config set --secret coolify:token <token> (or set COOLIFY_TOKEN in the environment)",
      );
    } else coolify.token = pulumi.secret(token);
  }

  // Project and server.
  const project = {
    name: str("projectName") ?? `eliza-agents-${ctx.stack}`,
    description: str("projectDescription") ?? `ElizaOS agents (stack ${ctx.stack}), managed by Pulumi`,
    environment: str("environment") ?? "production",
  };
  if (project.name.trim() === "")
    problems.add(ns("projectName"), "", "must not be empty — omit it for the default");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(project.environment)) {
    problems.add(
      ns("environment"),
      "",
      'must be a Coolify environment name: letters, digits, ".", "_" or "-" (e.g. production)',
    );
  }
  const server = { uuid: str("serverUuid"), destinationUuid: str("destinationUuid") };
  const network = stripUndefined({ connectTo: str("connectTo"), caCertificate: str("caCertificate") });
  if (
    network.connectTo !== undefined &&
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(network.connectTo)
  ) {
    problems.add(ns("connectTo"), "", "must be host:port, e.g. 203.0.113.7:443 — or remove it to use DNS");
  }
  if (
    network.caCertificate !== undefined &&
    !network.caCertificate.trim().startsWith("-----BEGIN CERTIFICATE-----")
  ) {
    problems.add(ns("caCertificate"), "", "must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)");
  }

  // Database.
  const modeValue = values.databaseMode ?? "full";
  let database: DatabaseConfig | undefined;
  if (modeValue === "full") {
    const image = str("databaseImage") ?? DEFAULT_DATABASE_IMAGE;
    const allowOther = bool("allowNonPgvectorImage") ?? false;
    const pin = imagePinProblem(image);
    if (pin) problems.add(ns("databaseImage"), "", `"${image}" ${pin}`);
    if (!image.includes("pgvector") && !allowOther) {
      problems.add(
        ns("databaseImage"),
        "",
        `"${image}" is not a pgvector image; ElizaOS needs the vector extension (postgres:*-alpine lacks it) — use ${DEFAULT_DATABASE_IMAGE}, or set ${ns("allowNonPgvectorImage")} true if your image has pgvector`,
      );
    }
    const memory = str("databaseMemory") ?? DEFAULT_DATABASE_MEMORY;
    if (!MEMORY_PATTERN.test(memory)) {
      problems.add(
        ns("databaseMemory"),
        "",
        'must be a Docker memory size with a unit, such as "1g" or "512m"',
      );
    }
    if (values.databaseUrl !== undefined) {
      problems.add(
        ns("databaseUrl"),
        "",
        `is only used when databaseMode is slim — remove it (pulumi config rm ${ns("databaseUrl")}) or set ${ns("databaseMode")} slim`,
      );
    }
    database = { mode: "full", image, memory, public: false, protect: bool("protectDatabase") ?? protect };
  } else if (modeValue === "slim") {
    // Pulumi.yaml may declare defaults for these; only a value a person chose is a mistake here.
    const fullOnly: Record<string, (v: unknown) => boolean> = {
      databaseImage: (v) => v !== DEFAULT_DATABASE_IMAGE,
      databaseMemory: (v) => v !== DEFAULT_DATABASE_MEMORY,
      protectDatabase: () => true,
      allowNonPgvectorImage: (v) => asBoolean(v) !== false,
    };
    for (const [key, chosen] of Object.entries(fullOnly)) {
      if (values[key] !== undefined && chosen(values[key])) {
        problems.add(
          ns(key),
          "",
          `is only used when databaseMode is full — remove it (pulumi config rm ${ns(key)})`,
        );
      }
    }
    const url = secret("databaseUrl");
    const plain = plainSecretValue("databaseUrl");
    if (values.databaseUrl === undefined || values.databaseUrl === "") {
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
      database = { mode: "slim", url };
    }
  } else {
    problems.add(
      ns("databaseMode"),
      "",
      `must be "full" (a pgvector database created in Coolify) or "slim" (an existing Postgres given as databaseUrl) (got ${typeof modeValue === "string" ? JSON.stringify(modeValue) : describeValue(modeValue)})`,
    );
  }

  // Model keys and registry password (all secrets).
  const modelKeys: StackConfig["modelKeys"] = {};
  for (const [provider, { key }] of Object.entries(MODEL_KEY_CONFIG)) {
    const v = secret(key);
    if (v) modelKeys[provider as ModelProvider] = v;
  }
  const registryPassword = secret("registryPassword");

  // Agents.
  const agents: AgentConfig[] = [];
  let agentValues = values.agents;
  if (typeof agentValues === "string") {
    try {
      agentValues = JSON.parse(agentValues);
    } catch {
      problems.add(
        ns("agents"),
        "",
        "is not valid JSON/YAML — give a list of agent objects in Pulumi.<stack>.yaml",
      );
      agentValues = null;
    }
  }
  if (agentValues === undefined || (Array.isArray(agentValues) && agentValues.length === 0)) {
    problems.add(
      ns("agents"),
      "",
      `at least one agent is required — add to Pulumi.${ctx.stack}.yaml:\n      ${ns("agents")}:\n        - name: server-bod\n          characterFile: characters/server-bod.character.json\n          source: { type: image, image: ghcr.io/acme/eliza-agent:1.7.2 }`,
    );
  } else if (agentValues !== null && !Array.isArray(agentValues)) {
    problems.add(ns("agents"), "", `expected a list of agent objects (got ${describeValue(agentValues)})`);
  }
  const agentList: unknown[] = Array.isArray(agentValues) ? agentValues : [];

  const stackFrontDoor = parseStackFrontDoor(values.frontDoor);
  for (const p of stackFrontDoor.problems) problems.add(ns(p.key), p.path, p.message);
  const namesSeen = new Map<string, number>();
  const domainsSeen = new Map<string, number>();
  const missingKeys = new Map<ModelProvider, number[]>();
  agentList.forEach((rawAgent, index) => {
    const at = `[${index}]`;
    const rawName =
      rawAgent && typeof rawAgent === "object" ? (rawAgent as Record<string, unknown>).name : undefined;
    if (typeof rawName === "string") {
      const first = namesSeen.get(rawName);
      if (first !== undefined) {
        problems.add(
          ns("agents"),
          `${at}.name`,
          `"${rawName}" is already used by agents[${first}] — agent names must be unique within the stack`,
        );
      } else namesSeen.set(rawName, index);
    }
    // Every field is checked even when others fail, so all problems show at once.
    const parsed = agentSchema.safeParse(rawAgent);
    if (!parsed.success) problems.addZod(ns("agents"), at, parsed.error, agentKnownKeys);
    const rawObj = (rawAgent && typeof rawAgent === "object" ? rawAgent : {}) as Record<string, unknown>;
    const a: Partial<AgentFields> = parsed.success ? parsed.data : salvageAgentFields(rawObj);
    let ok = parsed.success;

    // Character file: validated even when other fields failed, so all problems show at once.
    let character: Character | undefined;
    const characterFile = typeof rawObj.characterFile === "string" ? rawObj.characterFile : undefined;
    if (characterFile && !nodePath.isAbsolute(characterFile)) {
      const full = nodePath.resolve(ctx.baseDir, characterFile);
      try {
        character = loadCharacter(full, { label: characterFile, readFile });
      } catch (err) {
        ok = false;
        if (err instanceof CharacterValidationError) {
          const unreadable = err.problems.length === 1 && err.problems[0]?.message.startsWith("cannot read");
          if (unreadable) {
            problems.add(
              ns("agents"),
              `${at}.characterFile`,
              `${characterFile}: file not found or unreadable (looked in ${full}) — give a path relative to the project root`,
            );
          } else {
            for (const line of formatCharacterProblems(characterFile, err.problems)) {
              problems.add(ns("agents"), `${at}.characterFile`, line);
            }
          }
        } else throw err;
      }
    }

    // Domain.
    let domain: string | undefined;
    if (typeof rawObj.domain === "string") {
      const checked = checkDomain(rawObj.domain);
      if ("problem" in checked) {
        ok = false;
        problems.add(ns("agents"), `${at}.domain`, checked.problem);
      } else {
        domain = checked.domain;
        const first = domainsSeen.get(domain);
        if (first !== undefined) {
          ok = false;
          problems.add(
            ns("agents"),
            `${at}.domain`,
            `${domain} is already used by agents[${first}] — each agent needs its own hostname`,
          );
        } else domainsSeen.set(domain, index);
      }
    }

    const frontDoor = resolveFrontDoor(stackFrontDoor, rawObj.frontDoor, {
      hasDomain: !!domain,
      agentPath: at,
      env: a.env ?? {},
    });
    for (const p of frontDoor.problems) problems.add(ns(p.key), p.path, p.message);
    warnings.push(...frontDoor.warnings);
    if (frontDoor.problems.length > 0) ok = false;

    // Env vars.
    for (const key of Object.keys(a.env ?? {})) {
      const where = `${at}.env${pathSuffix([key])}`;
      if (!ENV_KEY_PATTERN.test(key)) {
        ok = false;
        problems.add(
          ns("agents"),
          where,
          "env var names must be UPPER_SNAKE_CASE (A-Z, 0-9, _), not starting with a digit",
        );
      } else if (RESERVED_ENV[key]) {
        ok = false;
        problems.add(
          ns("agents"),
          where,
          `${key} is set by the program from ${RESERVED_ENV[key]} — set it there and remove it from env`,
        );
      } else if (SECRET_LOOKING_ENV.test(key)) {
        ok = false;
        problems.add(
          ns("agents"),
          where,
          `${key} looks like a secret, but env values are stored in plain text in the stack config — keep secrets out of env (model keys go in openaiApiKey etc., set with pulumi config set --secret)`,
        );
      }
    }

    // Model provider: key, base URL and plugin.
    const provider = a.modelProvider;
    if (provider && provider !== "ollama" && !modelKeys[provider]) {
      const key = MODEL_KEY_CONFIG[provider].key;
      // A key given in plain text is already reported; do not report it twice.
      if (values[key] === undefined || values[key] === "") {
        const list = missingKeys.get(provider) ?? [];
        list.push(index);
        missingKeys.set(provider, list);
      }
      ok = false;
    }
    if (provider && a.modelBaseUrl !== undefined && !BASE_URL_ENV[provider]) {
      ok = false;
      problems.add(
        ns("agents"),
        `${at}.modelBaseUrl`,
        `the ${provider} plugin has no base-URL setting — remove modelBaseUrl, or use modelProvider openai/openrouter/ollama for a compatible endpoint`,
      );
    }
    if (provider === "ollama" && a.modelBaseUrl === undefined) {
      ok = false;
      problems.add(
        ns("agents"),
        `${at}.modelBaseUrl`,
        "is required for modelProvider ollama (the Ollama endpoint, e.g. http://ollama:11434) — localhost inside the container is not your Ollama",
      );
    }
    if (character && provider) {
      const plugin = PROVIDER_PLUGINS[provider];
      const plugins = character.plugins ?? [];
      if (plugins.length > 0 && !plugins.includes(plugin)) {
        ok = false;
        problems.add(
          ns("agents"),
          `${at}.modelProvider`,
          `is ${provider}, but ${characterFile} does not list ${plugin} in plugins — add it there (or change modelProvider) or the agent will have no model`,
        );
      }
      if (provider === "anthropic" && !plugins.some((p) => /plugin-(openai|google-genai|ollama)$/.test(p))) {
        warnings.push(
          `agents[${index}] (${a.name}): Anthropic has no embedding model; memory and knowledge search degrade unless the character also lists an embedding plugin such as @elizaos/plugin-openai.`,
        );
      }
      const charSecrets = { ...(character.secrets ?? {}) };
      const settingsSecrets = character.settings?.secrets;
      if (
        Object.keys(charSecrets).length > 0 ||
        (settingsSecrets && typeof settingsSecrets === "object" && Object.keys(settingsSecrets).length > 0)
      ) {
        warnings.push(
          `agents[${index}] (${a.name}): ${a.characterFile} contains secrets; character files are committed in plain text — move them to encrypted stack config.`,
        );
      }
      if (/^eliza/i.test(character.name)) {
        warnings.push(
          `agents[${index}] (${a.name}): a character named "${character.name}" makes ElizaOS merge every ELIZA_* env var into its secrets (e.g. ELIZA_SERVER_AUTH_TOKEN) — consider another name.`,
        );
      }
    }

    // Build source: context must exist; a registry needs a password.
    if (a.source?.type === "build") {
      const context = nodePath.resolve(ctx.baseDir, a.source.context);
      if (!exists(context)) {
        ok = false;
        problems.add(
          ns("agents"),
          `${at}.source.context`,
          `${a.source.context} does not exist under the project root`,
        );
      } else if (!exists(nodePath.resolve(context, a.source.dockerfile))) {
        ok = false;
        problems.add(
          ns("agents"),
          `${at}.source.dockerfile`,
          `${nodePath.join(a.source.context, a.source.dockerfile)} does not exist`,
        );
      }
      if (a.source.registry && !registryPassword && values.registryPassword === undefined) {
        ok = false;
        problems.add(
          ns("registryPassword"),
          "",
          `is required because agents[${index}] pushes to ${a.source.registry.server} — pulumi config set --secret ${ns("registryPassword")} <token>`,
        );
      }
    }

    if (!ok || !character || !parsed.success) return;
    const d = parsed.data;
    const limits = { ...SIZE_LIMITS[d.size], ...stripUndefined(d.limits ?? {}) };
    const agent: AgentConfig = {
      name: d.name,
      characterFile: d.characterFile,
      character,
      source: d.source,
      size: d.size,
      limits,
      modelProvider: d.modelProvider,
      logLevel: d.logLevel,
      env: d.env,
      smokeTest: d.smokeTest,
    };
    if (domain) agent.domain = domain;
    if (frontDoor.value) agent.frontDoor = frontDoor.value;
    if (d.modelBaseUrl !== undefined) agent.modelBaseUrl = d.modelBaseUrl;
    agents.push(agent);
  });

  for (const [provider, indexes] of missingKeys) {
    const { key } = MODEL_KEY_CONFIG[provider as Exclude<ModelProvider, "ollama">];
    const who = indexes.map((i) => `agents[${i}]`).join(", ");
    problems.add(
      ns(key),
      "",
      `is required because ${who} use${indexes.length === 1 ? "s" : ""} modelProvider ${provider} — pulumi config set --secret ${ns(key)} <api key>`,
    );
  }

  if (problems.list.length > 0 || !database) throw new StackConfigError(ctx.stack, problems.list);

  const result: StackConfig = {
    stack: ctx.stack,
    coolify,
    project,
    server: stripUndefined(server),
    database,
    agents,
    modelKeys,
    protect,
    adopt,
    network,
    warnings,
  };
  if (registryPassword) result.registryPassword = registryPassword;
  return result;
}

function stripUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// The Pulumi-touching part

/** Whether a full config key (`ns:key`) was stored encrypted. */
function isConfigSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(fullKey) ?? false;
}

/**
 * Reads the stack's config through pulumi.Config and validates it. Throws StackConfigError
 * (every problem at once) and logs warnings.
 */
export function readStackConfig(baseDir: string = process.cwd()): StackConfig {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    // Structured config arrives as a JSON string; parseStackConfig decodes `agents` itself.
    values[key] = cfg.get(key);
    if (isConfigSecret(fullKey)) secretKeys.push(key);
  }
  const coolifyCfg = new pulumi.Config("coolify");
  const config = parseStackConfig(
    {
      values,
      secretKeys,
      coolify: {
        url: coolifyCfg.get("url"),
        token: coolifyCfg.get("token"),
        tokenIsSecret: isConfigSecret("coolify:token"),
      },
    },
    { stack: pulumi.getStack(), baseDir },
  );
  for (const warning of config.warnings) pulumi.log.warn(warning);
  return config;
}
