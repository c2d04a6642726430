import { PostgresDatabase, type Project } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";
import type { BackupsConfig, DatabaseConfig, ServerEntry } from "../lib/config";
import { type BackupsOutcome, createDatabaseBackups } from "./backups";

export interface AgentDatabaseArgs {
  config: DatabaseConfig;
  project: Project;
  /** A listed server (eliza-coolify:databaseServer); without it, the project's server. */
  server?: ServerEntry;
  destinationUuid?: pulumi.Input<string>;
  adopt?: boolean;
  /** Scheduled backups of a full-mode database (lib/config/backups.ts). */
  backups?: BackupsConfig;
  /** Per agent, the reference of its image: the backup before a change watches them. */
  agentImages?: Record<string, string>;
  /** The Coolify S3 storage's name, when backups go to S3. */
  backupStorageName?: string;
}

/**
 * The agents' PostgreSQL (with pgvector), in one of two variants:
 * - full: a Coolify-managed database created here; protected from `pulumi destroy` when the
 *   stack config says so (production);
 * - slim: no database container; the agents use an existing Postgres given as a secret URL.
 */
export class AgentDatabase extends pulumi.ComponentResource {
  /** postgres:// URL the agents connect with (secret). */
  public readonly url: pulumi.Output<string>;
  public readonly mode: "full" | "slim";
  /** The Coolify database uuid, or undefined in slim mode. */
  public readonly uuid: pulumi.Output<string | undefined>;
  /** What the agents' deployments wait for: the backup before a change and the restart after it. */
  public readonly beforeDeploy: pulumi.Resource[] = [];
  /** The scheduled backup's uuid, when backups are on. */
  public readonly backupUuid: pulumi.Output<string | undefined>;

  constructor(name: string, args: AgentDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("eliza-coolify:index:AgentDatabase", name, {}, opts);
    this.mode = args.config.mode;
    this.backupUuid = pulumi.output(undefined);
    if (args.config.mode === "full") {
      const db = createManagedDatabase(this, name, args, args.config);
      this.url = pulumi.secret(db.internalUrl);
      this.uuid = db.id;
      const backups = createBackups(this, name, args, args.config, db);
      if (backups) {
        this.beforeDeploy = backups.beforeDeploy;
        this.backupUuid = backups.backup.id;
      }
    } else {
      this.url = pulumi.secret(args.config.url);
      this.uuid = pulumi.output(undefined);
    }
    this.registerOutputs({ url: this.url, uuid: this.uuid, backupUuid: this.backupUuid });
  }
}

function createManagedDatabase(
  parent: AgentDatabase,
  name: string,
  args: AgentDatabaseArgs,
  config: Extract<DatabaseConfig, { mode: "full" }>,
): PostgresDatabase {
  return new PostgresDatabase(
    `${name}-postgres`,
    {
      projectUuid: args.project.id,
      environment: args.project.environment,
      serverUuid: args.server?.uuid ?? args.project.serverUuid,
      destinationUuid: args.server ? args.server.destinationUuid : args.destinationUuid,
      serverName: args.server?.name,
      name: `${name}-postgres`,
      description: "ElizaOS agents' memory (PostgreSQL with pgvector)",
      image: config.image,
      limits: { memory: config.memory },
      isPublic: false,
      adopt: args.adopt,
      recreateIfLost: config.recreateIfLost,
      // With a backup before each change, the restart that applies a new image or memory limit
      // waits for it (a DatabaseRestart); otherwise the update restarts it at once.
      restartOnChange: !(args.backups?.enabled && args.backups.beforeChange),
    },
    // protect makes `pulumi destroy` refuse instead of dropping the agents' memory.
    { parent, protect: config.protect },
  );
}

function createBackups(
  parent: AgentDatabase,
  name: string,
  args: AgentDatabaseArgs,
  config: Extract<DatabaseConfig, { mode: "full" }>,
  database: PostgresDatabase,
): BackupsOutcome | undefined {
  if (!args.backups?.enabled) return undefined;
  return createDatabaseBackups(parent, name, {
    config: args.backups,
    database,
    image: config.image,
    memory: config.memory,
    agentImages: args.agentImages ?? {},
    storageName: args.backupStorageName ?? `${name} backups`,
    protect: config.protect,
    adopt: args.adopt,
  });
}
