import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { BackupBody, CoolifyClient } from "../client/client";
import { isNotFound } from "../client/errors";
import type { BackupConfig } from "../client/schemas";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith, replacedKeys } from "../provider/inputs";
import { isLostResponse } from "../provider/lookup";
import { CoolifyResource } from "../provider/shim";
import type { ResourceImpl } from "../provider/types";

/** Coolify's VALID_CRON_STRINGS (bootstrap/helpers/constants.php). */
export const BACKUP_FREQUENCY_WORDS = [
  "every_minute",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "@hourly",
  "@daily",
  "@weekly",
  "@monthly",
  "@yearly",
];

/** One cron field: *, a number or name, a range, a step, or a list of them. */
const CRON_FIELD = /^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;

/** A frequency Coolify accepts: one of its words, or a 5-field cron expression. */
export function isBackupFrequency(v: string): boolean {
  if (BACKUP_FREQUENCY_WORDS.includes(v)) return true;
  const fields = v.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}

const count = z.number().int().min(0);

export const DatabaseBackupInputsSchema = z.object({
  databaseUuid: z.string().min(1),
  /** A cron expression in the server's time zone, or daily, hourly, weekly, ... */
  frequency: z
    .string()
    .refine(
      isBackupFrequency,
      `a 5-field cron expression ("0 3 * * *") or one of ${BACKUP_FREQUENCY_WORDS.join(", ")}`,
    ),
  enabled: z.boolean().default(true),
  /** Upload each backup to this Coolify S3 storage too; local only when absent. */
  s3StorageUuid: z.string().min(1).optional(),
  /** How many backups, and for how many days, to keep on the server and in S3 (0: no limit). */
  retention: z
    .object({
      localAmount: count.default(7),
      localDays: count.default(0),
      s3Amount: count.default(30),
      s3Days: count.default(0),
    })
    .prefault({}),
  /** Coolify stops a backup that runs longer (60-36000 s). */
  timeoutSeconds: z.number().int().min(60).max(36000).default(3600),
});
export type DatabaseBackupInputs = z.infer<typeof DatabaseBackupInputsSchema>;

export interface DatabaseBackupArgs {
  databaseUuid: pulumi.Input<string>;
  frequency: pulumi.Input<string>;
  enabled?: pulumi.Input<boolean>;
  s3StorageUuid?: pulumi.Input<string | undefined>;
  retention?: pulumi.Input<{
    localAmount?: pulumi.Input<number>;
    localDays?: pulumi.Input<number>;
    s3Amount?: pulumi.Input<number>;
    s3Days?: pulumi.Input<number>;
  }>;
  timeoutSeconds?: pulumi.Input<number>;
}

function backupBody(i: DatabaseBackupInputs): BackupBody {
  return {
    frequency: i.frequency,
    enabled: i.enabled,
    // Always sent: the column default is true (the spec says false), and save_s3 without a
    // storage makes Coolify's first run turn it off again (drift).
    save_s3: i.s3StorageUuid !== undefined,
    // save_s3 true needs the storage in the same request, even on PATCH.
    s3_storage_uuid: i.s3StorageUuid,
    database_backup_retention_amount_locally: i.retention.localAmount,
    database_backup_retention_days_locally: i.retention.localDays,
    database_backup_retention_amount_s3: i.retention.s3Amount,
    database_backup_retention_days_s3: i.retention.s3Days,
    timeout: i.timeoutSeconds,
  };
}

const num = (v: unknown, d: number) => (v === null || v === undefined || v === "" ? d : Number(v));

/** Does this configuration hold what `body` asked for? (A lost create is recognised by it.) */
function matches(c: BackupConfig, b: BackupBody): boolean {
  return (
    c.frequency === b.frequency &&
    Boolean(c.enabled ?? true) === b.enabled &&
    Boolean(c.save_s3) === b.save_s3 &&
    num(c.database_backup_retention_amount_locally, 0) === b.database_backup_retention_amount_locally &&
    num(c.database_backup_retention_amount_s3, 0) === b.database_backup_retention_amount_s3 &&
    num(c.timeout, 3600) === b.timeout
  );
}

async function configsOf(client: CoolifyClient, dbUuid: string): Promise<BackupConfig[]> {
  return client.listDatabaseBackups(dbUuid);
}

export const databaseBackupImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(DatabaseBackupInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, [
      "databaseUuid",
      "frequency",
      "enabled",
      "s3StorageUuid",
      "retention",
      "timeoutSeconds",
    ]);
    return {
      changes: changed.length > 0,
      replaces: replacedKeys(olds, news, ["databaseUuid"]),
      deleteBeforeReplace: false,
    };
  },

  async create(raw) {
    const i = raw as unknown as DatabaseBackupInputs;
    const client = coolifyClient();
    const body = backupBody(i);
    // Coolify lets no description be set on a backup through the API, so no ownership marker
    // can mark ours. A lost create is reconciled by what else identifies it: a configuration on
    // this database that did not exist before the POST (by id, which this endpoint shows) and
    // holds exactly what was sent. That costs this one GET before every create.
    const before = new Set((await configsOf(client, i.databaseUuid)).map((c) => c.id));
    let uuid: string;
    try {
      uuid = (await client.createDatabaseBackup(i.databaseUuid, body)).uuid;
    } catch (e) {
      if (!isLostResponse(e)) throw e;
      const made = (await configsOf(client, i.databaseUuid)).filter(
        (c) => !before.has(c.id) && matches(c, body),
      );
      if (made.length !== 1 || !made[0]) throw e;
      uuid = made[0].uuid;
    }
    return { id: uuid, outs: { ...i, uuid } };
  },

  async read(id, props) {
    let configs: BackupConfig[];
    try {
      configs = await configsOf(coolifyClient(), String(props.databaseUuid));
    } catch (e) {
      if (isNotFound(e)) return {}; // the database is gone, and its backups with it
      throw e;
    }
    const c = configs.find((x) => x.uuid === id);
    if (!c) return {};
    const retention = (props.retention ?? {}) as Record<string, number>;
    return {
      id,
      props: {
        ...props,
        frequency: c.frequency,
        enabled: Boolean(c.enabled ?? true),
        // Coolify shows the storage's id, never its uuid: keep ours while S3 is on. S3 turned
        // off (the storage deleted, or by hand) shows as a change, and the next up restores it.
        s3StorageUuid: c.save_s3 && c.s3_storage_id !== null ? props.s3StorageUuid : undefined,
        retention: {
          localAmount: num(c.database_backup_retention_amount_locally, retention.localAmount ?? 0),
          localDays: num(c.database_backup_retention_days_locally, retention.localDays ?? 0),
          s3Amount: num(c.database_backup_retention_amount_s3, retention.s3Amount ?? 0),
          s3Days: num(c.database_backup_retention_days_s3, retention.s3Days ?? 0),
        },
        timeoutSeconds: num(c.timeout, 3600),
      },
    };
  },

  async update(id, _olds, news) {
    const i = news as unknown as DatabaseBackupInputs;
    await coolifyClient().updateDatabaseBackup(i.databaseUuid, id, backupBody(i));
    return { outs: { ...i, uuid: id } };
  },

  async delete(id, props) {
    try {
      // The S3 copies stay (delete_s3 is not sent): a destroy must not take the backups along.
      await coolifyClient().deleteDatabaseBackup(String(props.databaseUuid), id);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
};

/** A scheduled backup of a Coolify database (pg_dump), kept on the server and optionally in S3. */
export class DatabaseBackup extends CoolifyResource {
  declare readonly uuid: pulumi.Output<string>;

  constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.CustomResourceOptions) {
    super("DatabaseBackup", name, { ...args, uuid: undefined }, opts);
  }
}
