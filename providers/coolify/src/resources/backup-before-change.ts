import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CoolifyClient } from "../client/client";
import { coolifyClient } from "../provider/context";
import { changedKeys, checkWith } from "../provider/inputs";
import { tell } from "../provider/notify";
import { now, pollDelay, pollScale, sleep } from "../provider/poll";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

export const BackupBeforeChangeInputsSchema = z.object({
  databaseUuid: z.string().min(1),
  /** The scheduled backup whose backup_now takes the backup. */
  backupUuid: z.string().min(1),
  /** A change here takes a backup first: the database's image and memory, each agent's image. */
  triggers: z.record(z.string(), z.string()).default({}),
  /** How long the backup may take (Coolify's own limit for it is the backup's timeout). */
  timeoutSeconds: z.number().int().min(30).max(36000).default(3600),
});
export type BackupBeforeChangeInputs = z.infer<typeof BackupBeforeChangeInputsSchema>;

export interface BackupBeforeChangeArgs {
  databaseUuid: pulumi.Input<string>;
  backupUuid: pulumi.Input<string>;
  triggers: pulumi.Input<Record<string, pulumi.Input<string>>>;
  timeoutSeconds?: pulumi.Input<number>;
}

/** Coolify queues the job; it starts within seconds unless its queue worker is stuck or busy. */
const START_TIMEOUT_SECONDS = 300;

type Execution = Awaited<ReturnType<CoolifyClient["listBackupExecutions"]>>[number];

/**
 * Takes a backup now and waits for it: backup_now (PATCH) only queues Coolify's job, and the
 * job makes no execution at all when the database is not running, so the database's status is
 * checked first and the new execution is found among the executions by what was there before.
 * One that was already running counts too: Coolify drops a second run while one goes on, and
 * that running one dumps the database as it is before this change as well.
 */
async function backupNow(client: CoolifyClient, i: BackupBeforeChangeInputs): Promise<Execution> {
  const db = await client.getDatabase(i.databaseUuid);
  if (!db.status.startsWith("running")) {
    throw new Error(
      `No backup could be taken before this change: the database "${db.name}" (${i.databaseUuid}) is "${db.status}", ` +
        "and Coolify backs up only a running database. Nothing was changed or deployed. Start it (Coolify: the " +
        "database's page, Start) and run `pulumi up` again; or, to change without a backup, set " +
        "`eliza-coolify:backupBeforeChange false` for this one `up`.",
    );
  }
  const before = await client.listBackupExecutions(i.databaseUuid, i.backupUuid);
  const known = new Set(before.map((e) => e.uuid));
  const wasRunning = new Set(before.filter((e) => e.status === "running").map((e) => e.uuid));
  await client.updateDatabaseBackup(i.databaseUuid, i.backupUuid, { backup_now: true });
  const started = now();
  const startBy = started + START_TIMEOUT_SECONDS * 1000 * pollScale();
  const deadline = started + i.timeoutSeconds * 1000 * pollScale();
  let seen: Execution | undefined;
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt));
    const list = await client.listBackupExecutions(i.databaseUuid, i.backupUuid);
    seen = list.find((e) => !known.has(e.uuid)) ?? list.find((e) => wasRunning.has(e.uuid));
    if (seen && seen.status !== "running") return seen;
    if (!seen && now() > startBy) {
      throw new Error(
        `Coolify queued a backup of database ${i.databaseUuid} (backup ${i.backupUuid}) but started none within ` +
          `${START_TIMEOUT_SECONDS} s, so nothing was changed or deployed. Its queue worker may be stopped or busy ` +
          "(Coolify: Settings > Horizon), or the database stopped meanwhile. Run `pulumi up` again once it runs.",
      );
    }
    if (seen && now() > deadline) {
      throw new Error(
        `The backup before this change (execution ${seen.uuid} of database ${i.databaseUuid}) still runs after ` +
          `${i.timeoutSeconds} s, so nothing was changed or deployed. Look at it in Coolify (the database's Backups ` +
          "tab), then run `pulumi up` again.",
      );
    }
  }
}

export const backupBeforeChangeImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(BackupBeforeChangeInputsSchema, news);
  },

  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["databaseUuid", "backupUuid", "triggers"]);
    return { changes: changed.length > 0, replaces: [] };
  },

  async create(raw) {
    // Nothing to protect yet: the database and the agents are being made now.
    const i = raw as unknown as BackupBeforeChangeInputs;
    return { id: `${i.databaseUuid}/backup-before-change`, outs: { ...i } };
  },

  async read(id, props) {
    // An event, not an object: nothing to read back.
    return { id, props };
  },

  async update(_id, olds, news) {
    const i = news as unknown as BackupBeforeChangeInputs;
    // A new backup configuration alone (same triggers) changes nothing that needs protecting.
    if (changedKeys(olds, news, ["triggers"]).length === 0) return { outs: { ...olds, ...i } };
    const e = await backupNow(coolifyClient(), i);
    if (e.status !== "success") {
      throw new Error(
        `The backup before this change failed (execution ${e.uuid} of database ${i.databaseUuid}): ` +
          `${(e.message ?? "no message").trim()}\nNothing was changed or deployed. Look at the database's Backups tab ` +
          "and logs in Coolify (disk space on the server, the database's health), fix the cause and run `pulumi up` " +
          "again; or, to change without a backup, set `eliza-coolify:backupBeforeChange false` for this one `up`.",
      );
    }
    if (e.message?.startsWith("Warning:")) {
      tell(`the backup before this change (execution ${e.uuid}) is on the server only: ${e.message}`);
    }
    tell(
      `backed up database ${i.databaseUuid} before this change: execution ${e.uuid}, ${e.filename} (${e.size} bytes)`,
    );
    const outs: Props = {
      ...i,
      lastExecutionUuid: e.uuid,
      lastBackupFile: e.filename,
      lastBackupSize: e.size === null || e.size === undefined ? undefined : Number(e.size),
    };
    return { outs };
  },

  async delete() {
    // Nothing in Coolify: the backups it took belong to the scheduled backup.
  },
};

/**
 * A backup of the database taken before a change that touches it or the agents that use it
 * (their images, its image or memory); what depends on this waits for the backup to succeed.
 */
export class BackupBeforeChange extends CoolifyResource {
  declare readonly lastExecutionUuid: pulumi.Output<string | undefined>;
  declare readonly lastBackupFile: pulumi.Output<string | undefined>;

  constructor(name: string, args: BackupBeforeChangeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "BackupBeforeChange",
      name,
      { ...args, lastExecutionUuid: undefined, lastBackupFile: undefined, lastBackupSize: undefined },
      opts,
    );
  }
}
