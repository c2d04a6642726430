// The catalogue of bad stack input: each entry is a change to the dev stack, made the way a
// user makes it (`pulumi config set [--path] [--secret]`, a character file edited), and the exact
// problem lines the program must answer with: the config key at fault, what is wrong and how to
// fix it. test/unit/bad-input-catalogue.test.ts runs every entry through parseStackConfig;
// test/e2e/faults.test.ts runs some through the real CLI and checks that Coolify got no write.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";

/** One `pulumi config set`: `path` for keys such as `eliza-coolify:agents[0].size`. */
export interface ConfigChange {
  key: string;
  value: string;
  secret?: boolean;
  path?: boolean;
}

export interface BadInput {
  id: string;
  /** What the user did, in words. */
  what: string;
  set: ConfigChange[];
  /** Files written under the project root (character files), by relative path. */
  files?: Record<string, string>;
  /** Every problem line the error lists, exactly (`<key><path>: <problem> — <fix>`). */
  problems: string[];
}

const AGENT_IMAGE = "ghcr.io/eliza-coolify/eliza-agent";

export const BAD_INPUTS: BadInput[] = [
  {
    id: "log-level",
    what: "an agent's logLevel that ElizaOS does not have",
    set: [{ key: "eliza-coolify:agents[1].logLevel", value: "loud", path: true }],
    problems: [
      'eliza-coolify:agents[1].logLevel: one of fatal, error, warn, info, debug, trace (got "loud")',
    ],
  },
  {
    id: "size",
    what: "an agent size that does not exist",
    set: [{ key: "eliza-coolify:agents[0].size", value: "huge", path: true }],
    problems: ['eliza-coolify:agents[0].size: one of small, medium, large (got "huge")'],
  },
  {
    id: "agent-name",
    what: "an agent name that is not a DNS label",
    set: [{ key: "eliza-coolify:agents[0].name", value: "Server Bod", path: true }],
    problems: [
      "eliza-coolify:agents[0].name: must be 2-41 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-' (e.g. server-bod); it becomes part of Coolify and DNS names",
    ],
  },
  {
    id: "agent-name-twice",
    what: "two agents with one name",
    set: [{ key: "eliza-coolify:agents[1].name", value: "server-bod", path: true }],
    problems: [
      'eliza-coolify:agents[1].name: "server-bod" is already used by agents[0] — agent names must be unique within the stack',
    ],
  },
  {
    id: "agent-unknown-key",
    what: "a misspelt key in an agent entry",
    set: [{ key: "eliza-coolify:agents[0].sise", value: "large", path: true }],
    problems: ['eliza-coolify:agents[0].sise: unknown key — did you mean "size"?'],
  },
  {
    id: "image-latest",
    what: "an image tagged latest",
    set: [{ key: "eliza-coolify:agents[0].source.image", value: `${AGENT_IMAGE}:latest`, path: true }],
    problems: [
      'eliza-coolify:agents[0].source.image: "ghcr.io/eliza-coolify/eliza-agent:latest" uses :latest, which changes under you — pin a version tag such as :1.7.2 or an @sha256: digest',
    ],
  },
  {
    id: "image-unpinned",
    what: "an image without a tag or digest",
    set: [{ key: "eliza-coolify:agents[1].source.image", value: AGENT_IMAGE, path: true }],
    problems: [
      'eliza-coolify:agents[1].source.image: "ghcr.io/eliza-coolify/eliza-agent" is not pinned (no tag means :latest) — add a version tag such as :1.7.2 or an @sha256: digest',
    ],
  },
  {
    id: "domain-http",
    what: "a domain over plain http",
    set: [{ key: "eliza-coolify:agents[0].domain", value: "http://bod.staging.example.com", path: true }],
    problems: [
      "eliza-coolify:agents[0].domain: must use https (got http) — write it as https://bod.staging.example.com; the proxy gets a certificate for it",
    ],
  },
  {
    id: "domain-path",
    what: "a domain with a path",
    set: [
      { key: "eliza-coolify:agents[0].domain", value: "https://bod.staging.example.com/chat", path: true },
    ],
    problems: [
      "eliza-coolify:agents[0].domain: must be a bare origin with no path, query or fragment — use https://<host>",
    ],
  },
  {
    id: "domain-twice",
    what: "two agents on one domain",
    set: [{ key: "eliza-coolify:agents[1].domain", value: "https://bod.staging.example.com", path: true }],
    problems: [
      "eliza-coolify:agents[1].domain: https://bod.staging.example.com is already used by agents[0] — each agent needs its own hostname",
    ],
  },
  {
    id: "limits-memory",
    what: "a memory limit Docker does not understand",
    set: [{ key: "eliza-coolify:agents[0].limits.memory", value: "2GB", path: true }],
    problems: [
      'eliza-coolify:agents[0].limits.memory: must be a Docker memory size with a unit, such as "2g" or "1536m"',
    ],
  },
  {
    id: "env-reserved",
    what: "an env entry the program sets itself",
    set: [{ key: "eliza-coolify:agents[0].env.POSTGRES_URL", value: "postgres://elsewhere/db", path: true }],
    problems: [
      "eliza-coolify:agents[0].env.POSTGRES_URL: POSTGRES_URL is set by the program from the database config (databaseMode, databaseUrl) — set it there and remove it from env",
    ],
  },
  {
    id: "env-secret",
    what: "a secret-looking env entry in plain stack config",
    set: [{ key: "eliza-coolify:agents[0].env.DISCORD_API_TOKEN", value: "abc", path: true }],
    problems: [
      "eliza-coolify:agents[0].env.DISCORD_API_TOKEN: DISCORD_API_TOKEN looks like a secret, but env values are stored in plain text in the stack config — keep secrets out of env (model keys go in openaiApiKey etc., set with pulumi config set --secret)",
    ],
  },
  {
    id: "env-name",
    what: "an env name that is not UPPER_SNAKE_CASE",
    set: [{ key: "eliza-coolify:agents[0].env.log_format", value: "json", path: true }],
    problems: [
      "eliza-coolify:agents[0].env.log_format: env var names must be UPPER_SNAKE_CASE (A-Z, 0-9, _), not starting with a digit — rename it, e.g. LOG_FORMAT",
    ],
  },
  {
    id: "model-key-plain",
    what: "the model key set without --secret",
    set: [{ key: "eliza-coolify:openaiApiKey", value: "sk-plain-catalogue-key-0001" }],
    problems: [
      "eliza-coolify:openaiApiKey: is stored in plain text — store it encrypted: pulumi config set --secret eliza-coolify:openaiApiKey <value>",
    ],
  },
  {
    id: "token-plain",
    what: "the Coolify token set without --secret",
    set: [{ key: "coolify:token", value: "1|plain-catalogue-token-0002" }],
    problems: [
      "coolify:token: is stored in plain text — store it encrypted: pulumi config set --secret coolify:token <token> (or set COOLIFY_TOKEN in the environment)",
    ],
  },
  {
    id: "unknown-key",
    what: "a misspelt stack config key",
    set: [{ key: "eliza-coolify:databseMode", value: "slim" }],
    problems: [
      "eliza-coolify:databseMode: unknown config key — did you mean eliza-coolify:databaseMode? (pulumi config rm eliza-coolify:databseMode)",
    ],
  },
  {
    id: "slim-without-url",
    what: "slim mode without the database URL",
    set: [{ key: "eliza-coolify:databaseMode", value: "slim" }],
    problems: [
      "eliza-coolify:databaseMemory: is only used when databaseMode is full — remove it (pulumi config rm eliza-coolify:databaseMemory)",
      "eliza-coolify:databaseUrl: is required when databaseMode is slim — pulumi config set --secret eliza-coolify:databaseUrl postgresql://user:password@host:5432/eliza",
    ],
  },
  {
    id: "database-image",
    what: "a database image without pgvector",
    set: [{ key: "eliza-coolify:databaseImage", value: "postgres:17-alpine" }],
    problems: [
      'eliza-coolify:databaseImage: "postgres:17-alpine" is not a pgvector image; ElizaOS needs the vector extension (postgres:*-alpine lacks it) — use pgvector/pgvector:0.8.0-pg17, or set eliza-coolify:allowNonPgvectorImage true if your image has pgvector',
    ],
  },
  {
    id: "database-memory",
    what: "a database memory size that is not one",
    set: [{ key: "eliza-coolify:databaseMemory", value: "lots" }],
    problems: [
      'eliza-coolify:databaseMemory: must be a Docker memory size with a unit, such as "1g" or "512m"',
    ],
  },
  {
    id: "environment",
    what: "a Coolify environment name with a space and capitals",
    set: [{ key: "eliza-coolify:environment", value: "Prod Env" }],
    problems: [
      'eliza-coolify:environment: must be a Coolify environment name: letters, digits, ".", "_" or "-" (e.g. production)',
    ],
  },
  {
    id: "protect",
    what: "protect set to something other than true or false",
    set: [{ key: "eliza-coolify:protect", value: "yes" }],
    problems: [
      'eliza-coolify:protect: expected true or false (got "yes") — pulumi config set eliza-coolify:protect true',
    ],
  },
  {
    id: "rate-limit",
    what: "a rate budget that is not a number",
    set: [{ key: "coolify:rateLimitPerMinute", value: "fast" }],
    problems: [
      "coolify:rateLimitPerMinute: must be a whole number of requests per minute — Coolify allows 200 per user by default, shared by every tool of that user; e.g. pulumi config set coolify:rateLimitPerMinute 150",
    ],
  },
  {
    id: "character-missing",
    what: "a character file that does not exist",
    set: [
      {
        key: "eliza-coolify:agents[0].characterFile",
        value: "characters/missing.character.json",
        path: true,
      },
    ],
    problems: [
      "eliza-coolify:agents[0].characterFile: characters/missing.character.json: file not found or unreadable (looked in <root>/characters/missing.character.json) — give a path relative to the project root",
    ],
  },
  {
    id: "character-json",
    what: "a character file that is not JSON",
    set: [
      { key: "eliza-coolify:agents[0].characterFile", value: "characters/broken.character.json", path: true },
    ],
    files: { "characters/broken.character.json": '{ "name": "Broken", ' },
    problems: [
      "eliza-coolify:agents[0].characterFile: characters/broken.character.json: invalid JSON at line 1, column 21: Expected double-quoted property name — fix the syntax there (a missing quote, comma or brace)",
    ],
  },
  {
    id: "character-field",
    what: "a character file with a field of the wrong type and an unknown one",
    set: [
      { key: "eliza-coolify:agents[1].characterFile", value: "characters/bad.character.json", path: true },
    ],
    files: {
      "characters/bad.character.json": JSON.stringify({ name: "Bad", bio: 5, lore: ["x"] }),
    },
    problems: [
      "eliza-coolify:agents[1].characterFile: characters/bad.character.json: bio: expected a string or an array of strings, got a number",
      "eliza-coolify:agents[1].characterFile: characters/bad.character.json: lore: unknown field (an ElizaOS 0.x field that 1.x rejects): merge it into bio (ElizaOS 1.x has no lore)",
    ],
  },
  {
    id: "model-plugin",
    what: "a model provider whose plugin the character does not list",
    set: [
      { key: "eliza-coolify:agents[0].modelProvider", value: "google", path: true },
      { key: "eliza-coolify:googleApiKey", value: "g-catalogue-key", secret: true },
    ],
    problems: [
      "eliza-coolify:agents[0].modelProvider: is google, but characters/server-bod.character.json does not list @elizaos/plugin-google-genai in plugins — add it there (or change modelProvider) or the agent will have no model",
    ],
  },
  {
    id: "several",
    what: "several mistakes at once: a latest image, a plain-text key and a bad log level",
    set: [
      { key: "eliza-coolify:agents[0].source.image", value: `${AGENT_IMAGE}:latest`, path: true },
      { key: "eliza-coolify:agents[1].logLevel", value: "loud", path: true },
      { key: "eliza-coolify:openaiApiKey", value: "sk-plain-catalogue-key-0003" },
    ],
    problems: [
      "eliza-coolify:openaiApiKey: is stored in plain text — store it encrypted: pulumi config set --secret eliza-coolify:openaiApiKey <value>",
      'eliza-coolify:agents[0].source.image: "ghcr.io/eliza-coolify/eliza-agent:latest" uses :latest, which changes under you — pin a version tag such as :1.7.2 or an @sha256: digest',
      'eliza-coolify:agents[1].logLevel: one of fatal, error, warn, info, debug, trace (got "loud")',
    ],
  },
];

/** The problem lines of an entry for a project at `root` (a message may name the full path). */
export function expectedProblems(b: BadInput, root: string): string[] {
  return b.problems.map((p) => p.replaceAll("<root>", root));
}

/**
 * The stack config after the entry's changes, as the Pulumi engine hands it to the program:
 * every key full (`eliza-coolify:agents`), structured values as JSON text, and the keys stored
 * encrypted. The starting point is the dev stack file plus the model key `npm run demo` sets.
 */
export function configAfter(
  b: BadInput,
  repoRoot: string,
): { config: Record<string, string>; secretKeys: string[] } {
  const file = YAML.parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const full: Record<string, unknown> = { ...file.config, "eliza-coolify:openaiApiKey": "sk-demo-catalogue" };
  const secret = new Set(["eliza-coolify:openaiApiKey"]);
  for (const change of b.set) {
    applyChange(full, change);
    if (change.secret) secret.add(change.key);
    else if (!change.path) secret.delete(change.key);
  }
  const config = Object.fromEntries(
    Object.entries(full).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  return { config, secretKeys: [...secret] };
}

/**
 * Applies `pulumi config set [--path]` to a config map keyed by full key. A path such as
 * `eliza-coolify:agents[0].env.X` walks into (and creates) lists and objects, as the CLI does.
 */
export function applyChange(config: Record<string, unknown>, change: ConfigChange): void {
  if (!change.path) {
    config[change.key] = change.value;
    return;
  }
  const m = /^([^[.]+:[^[.]+)(.*)$/.exec(change.key);
  if (!m) throw new Error(`not a config path: ${change.key}`);
  const [, root = "", rest = ""] = m;
  const steps = [...rest.matchAll(/\[(\d+)\]|\.([^.[]+)/g)].map((s) =>
    s[1] !== undefined ? Number(s[1]) : (s[2] as string),
  );
  let node = config as Record<string | number, unknown>;
  let key: string | number = root;
  for (const step of steps) {
    if (node[key] === undefined) node[key] = typeof step === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
    key = step;
  }
  node[key] = change.value;
}
