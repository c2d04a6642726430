/**
 * The whole stack config: the section parsers run in turn on one problem collector, and the
 * parse fails once, at the end, with every problem. Pure: no Pulumi engine needed.
 */
import { existsSync, readFileSync } from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import type { AgentConfig } from "./agent-schema";
import { parseAgents } from "./agents";
import { type BackupsConfig, parseBackups } from "./backups";
import { type CoolifyConfig, parseCoolify, type RawCoolifyConfig } from "./coolify";
import { type DatabaseConfig, parseDatabase } from "./database";
import { reportUnknownKeys } from "./keys";
import { type LifecycleConfig, parseLifecycle } from "./lifecycle";
import { Problems, StackConfigError } from "./problems";
import {
  type NetworkConfig,
  type ProjectConfig,
  parseNetwork,
  parseProject,
  parseServer,
  type ServerConfig,
} from "./project";
import { type ModelKeys, parseSecrets } from "./secrets";
import { parseServers, type ServerEntry } from "./servers";
import { ConfigValues } from "./values";

export interface StackConfig {
  stack: string;
  coolify: CoolifyConfig;
  project: ProjectConfig;
  /** The one-server form (serverUuid, destinationUuid); empty when `servers` is listed. */
  server: ServerConfig;
  /** The listed servers (`servers`); empty in the one-server form. Agents carry their own. */
  servers: ServerEntry[];
  /** The server of the full-mode database when `servers` is listed. */
  databaseServer?: ServerEntry;
  database: DatabaseConfig;
  /** Scheduled backups of the full-mode database (lib/config/backups.ts). */
  backups: BackupsConfig;
  agents: AgentConfig[];
  modelKeys: ModelKeys;
  /** Registry password for `build` sources that push to a registry (config key registryPassword). */
  registryPassword?: pulumi.Output<string>;
  protect: boolean;
  adopt: boolean;
  network: NetworkConfig;
  /** Stack-wide lifecycle defaults (rollback). */
  lifecycle: LifecycleConfig;
  /** Things that are allowed but probably unintended; readStackConfig logs them as warnings. */
  warnings: string[];
}

export interface RawStackConfig {
  /**
   * `eliza-coolify:*` values keyed WITHOUT the namespace: strings as `pulumi.Config.get` returns
   * them, or values already parsed from YAML/JSON (structured config such as `agents`).
   */
  values: Record<string, unknown>;
  /** Keys of `values` that were stored encrypted (`pulumi config set --secret`). */
  secretKeys?: readonly string[];
  /** The Coolify provider's config (`coolify:url`, `coolify:token`). */
  coolify?: RawCoolifyConfig;
}

export interface ParseContext {
  stack: string;
  /** Project root: character files and build contexts are resolved against it. */
  baseDir: string;
  readFile?: (p: string) => string;
  exists?: (p: string) => boolean;
}

/** Validates raw config values into a StackConfig, or throws StackConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig, ctx: ParseContext): StackConfig {
  const problems = new Problems();
  const warnings: string[] = [];
  const values = new ConfigValues(raw.values ?? {}, new Set(raw.secretKeys ?? []), problems);
  reportUnknownKeys(values.raw, problems);

  // Booleans first: defaults below depend on them.
  const protect = values.boolean("protect") ?? ["prod", "production"].includes(ctx.stack.toLowerCase());
  const adopt = values.boolean("adopt") ?? false;
  const coolify = parseCoolify(raw.coolify, problems);
  const project = parseProject(values, problems, ctx.stack);
  const server = parseServer(values);
  const network = parseNetwork(values, problems);
  const database = parseDatabase(values, problems, protect);
  const databaseMode = values.raw.databaseMode ?? "full";
  const servers = parseServers(values, problems, server, databaseMode);
  const backups = parseBackups(values, problems, warnings, protect, database);
  const secrets = parseSecrets(values);
  const lifecycle = parseLifecycle(values, protect);
  const agents = parseAgents({
    stack: ctx.stack,
    baseDir: ctx.baseDir,
    readFile: ctx.readFile ?? ((p: string) => readFileSync(p, "utf8")),
    exists: ctx.exists ?? existsSync,
    values,
    secrets,
    problems,
    warnings,
    servers,
    databaseMode,
    rollbackDefault: lifecycle.rollback,
  });

  if (problems.list.length > 0 || !database) throw new StackConfigError(ctx.stack, problems.list);
  return {
    stack: ctx.stack,
    coolify,
    project,
    server,
    servers: servers.list,
    ...(database.mode === "full" && servers.database ? { databaseServer: servers.database } : {}),
    database,
    backups,
    agents,
    ...secrets,
    protect,
    adopt,
    network,
    lifecycle,
    warnings,
  };
}
