import {
  BackupBeforeChange,
  DatabaseBackup,
  DatabaseRestart,
  type PostgresDatabase,
  S3Storage,
} from "@eliza-coolify/coolify";
import type * as pulumi from "@pulumi/pulumi";
import type { BackupsConfig } from "../lib/config";

export type EnabledBackups = Extract<BackupsConfig, { enabled: true }>;

export interface DatabaseBackupsArgs {
  config: EnabledBackups;
  database: PostgresDatabase;
  /** The database's declared image and memory: a change takes a backup, then restarts it. */
  image: string;
  memory: string;
  /** Per agent, the reference of the image it runs: a change takes a backup before its deploy. */
  agentImages: Record<string, string>;
  /** The Coolify S3 storage's name (Coolify storages are team-wide, so it names the project). */
  storageName: string;
  /** Keep the backups (and their S3 target) when the database is kept: production. */
  protect: boolean;
  adopt?: boolean;
}

/** What a deploy must wait for: the backup before a change, and the restart it allows. */
export interface BackupsOutcome {
  backup: DatabaseBackup;
  beforeDeploy: pulumi.Resource[];
}

/**
 * Scheduled backups of the full-mode database: an S3 storage when an S3 target is configured
 * (Coolify tests it when it is made), the scheduled backup, and, unless turned off, the backup
 * before a change with the database's restart after it.
 */
export function createDatabaseBackups(
  parent: pulumi.Resource,
  name: string,
  args: DatabaseBackupsArgs,
): BackupsOutcome {
  const { config } = args;
  const storage = config.s3 ? createS3Storage(parent, name, args) : undefined;
  const backup = new DatabaseBackup(
    `${name}-backup`,
    {
      databaseUuid: args.database.id,
      frequency: config.schedule,
      s3StorageUuid: storage?.id,
      retention: { localAmount: config.retention.local, s3Amount: config.retention.s3 },
    },
    // Deleting a backup configuration deletes its files on the server: kept with the database.
    { parent, protect: args.protect },
  );
  if (!config.beforeChange) return { backup, beforeDeploy: [] };
  const before = new BackupBeforeChange(
    `${name}-backup-before-change`,
    {
      databaseUuid: args.database.id,
      backupUuid: backup.id,
      triggers: triggersOf(args),
    },
    { parent },
  );
  const restart = new DatabaseRestart(
    `${name}-restart`,
    { databaseUuid: args.database.id, triggers: { image: args.image, memory: args.memory } },
    { parent, dependsOn: [before] },
  );
  return { backup, beforeDeploy: [before, restart] };
}

function createS3Storage(parent: pulumi.Resource, name: string, args: DatabaseBackupsArgs): S3Storage {
  const s3 = args.config.s3 as NonNullable<EnabledBackups["s3"]>;
  return new S3Storage(
    `${name}-s3`,
    {
      name: args.storageName,
      description: "Backups of the ElizaOS agents' database",
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      adopt: args.adopt,
    },
    { parent, protect: args.protect },
  );
}

/** One trigger per thing whose change the backup protects against, so previews name it. */
function triggersOf(args: DatabaseBackupsArgs): Record<string, string> {
  const triggers: Record<string, string> = { databaseImage: args.image, databaseMemory: args.memory };
  for (const [agent, image] of Object.entries(args.agentImages).sort(([a], [b]) => (a < b ? -1 : 1)))
    triggers[`agent:${agent}`] = image;
  return triggers;
}
