import { PostgresDatabase, type Project } from "@eliza-coolify/coolify";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConfig, ServerEntry } from "../lib/config";

export interface AgentDatabaseArgs {
  config: DatabaseConfig;
  project: Project;
  /** A listed server (eliza-coolify:databaseServer); without it, the project's server. */
  server?: ServerEntry;
  destinationUuid?: pulumi.Input<string>;
  adopt?: boolean;
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

  constructor(name: string, args: AgentDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("eliza-coolify:index:AgentDatabase", name, {}, opts);
    this.mode = args.config.mode;
    if (args.config.mode === "full") {
      const db = createManagedDatabase(this, name, args, args.config);
      this.url = pulumi.secret(db.internalUrl);
      this.uuid = db.id;
    } else {
      this.url = pulumi.secret(args.config.url);
      this.uuid = pulumi.output(undefined);
    }
    this.registerOutputs({ url: this.url, uuid: this.uuid });
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
    },
    // protect makes `pulumi destroy` refuse instead of dropping the agents' memory.
    { parent, protect: config.protect },
  );
}
