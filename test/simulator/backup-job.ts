// Coolify's DatabaseBackupJob (Coolify 4.3.11 source, app/Jobs/DatabaseBackupJob.php) for the
// simulator's PostgreSQL databases: queued by backup_now (POST and PATCH of a backup) or by the
// scheduler; nothing at all when the database is not running; one execution per database to
// back up, running -> success | failed; pg_dump --format=custom into
// /data/coolify/backups/databases/<team-slug>-<team-id>/<db-slug>-<db-uuid>/pg-dump-<db>-<ts>.dmp;
// then, with save_s3, a connection test and the upload to S3 under that path without its leading
// '/'; then retention. A database backed by a real PostgreSQL (backing.ts) is dumped with the real
// pg_dump; any other gets a small stand-in dump.
import { deleteObject, putObject, type S3Target } from "../../lib/s3";
import type { Core } from "./core";
import { testConnection } from "./s3-endpoint";
import { type BackupConfig, type BackupExecution, type Database, newUuid, type S3Storage } from "./state";
import type { BackupOutcome } from "./types";

/** Laravel's Str::slug. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Carbon's toIso8601String(): "+00:00", no fraction (the executions endpoint uses it). */
export function iso8601(stamp: unknown): string {
  return new Date(String(stamp).replace(/\.(\d{3})\d*Z$/, ".$1Z"))
    .toISOString()
    .replace(/\.\d{3}Z$/, "+00:00");
}

function s3Target(s3: S3Storage): S3Target {
  return {
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    region: s3.region,
    accessKey: s3.key,
    secretKey: s3.secret,
  };
}

export class BackupJobs {
  outcomes = new Map<string, BackupOutcome>();
  private running = new Set<Promise<void>>();

  constructor(private core: Core) {}

  reset(): void {
    this.outcomes.clear();
  }

  /** Queues the job: it starts one phase later, like a queued job on the `high` queue. */
  dispatch(config: BackupConfig): void {
    this.core.clock.after(this.core.opts.deploymentPhaseMs, () => {
      const job = this.run(config).catch((e) => console.error("coolify simulator: backup job", e));
      this.running.add(job);
      void job.finally(() => this.running.delete(job));
    });
  }

  async idle(): Promise<void> {
    for (;;) {
      this.core.clock.tick();
      if (this.running.size === 0) return;
      await Promise.race([...this.running, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  private async run(config: BackupConfig): Promise<void> {
    const s = this.core.store;
    if (!s.backups.includes(config)) return;
    const db = s.databases.find((d) => d.id === config.database_id);
    if (!db) return;
    // WithoutOverlapping(...)->dontRelease(): a second run while one is going is dropped.
    if (s.executions.some((e) => e.scheduled_database_backup_id === config.id && e.status === "running"))
      return;
    // Not running: the job returns before it creates any execution (DatabaseBackupJob 125-134).
    if (!db.status.startsWith("running")) return;
    const team = s.teams.find((t) => t.id === config.team_id);
    const dir = `/data/coolify/backups/databases/${slug(String(team?.name ?? "team"))}-${config.team_id}/${slug(db.name)}-${db.uuid}`;
    const names = config.dump_all
      ? ["all"]
      : String(config.databases_to_backup ?? db.postgres_db)
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
    let last: BackupExecution | undefined;
    for (const name of names) {
      const ts = Math.floor(this.core.now() / 1000);
      const filename = config.dump_all ? `${dir}/pg-dump-all-${ts}.gz` : `${dir}/pg-dump-${name}-${ts}.dmp`;
      const stamp = this.core.stamp();
      const exec: BackupExecution = {
        id: s.nextId("executions"),
        uuid: newUuid(),
        status: "running",
        message: null,
        size: null,
        filename,
        scheduled_database_backup_id: config.id,
        created_at: stamp,
        updated_at: stamp,
        database_name: name,
        finished_at: null,
        local_storage_deleted: false,
        s3_storage_deleted: false,
        s3_uploaded: null,
      };
      s.executions.push(exec);
      last = exec;
      let dump: Buffer;
      try {
        dump = await this.dump(db, name);
      } catch (e) {
        Object.assign(exec, {
          status: "failed",
          message: (e as Error).message,
          size: 0,
          filename: null,
          s3_uploaded: null,
          updated_at: this.core.stamp(),
        });
        continue;
      }
      s.serverFiles.set(filename, dump);
      exec.size = dump.length;
      let message: string | null = null;
      if (config.save_s3) {
        try {
          await this.upload(config, filename, dump);
          exec.s3_uploaded = true;
        } catch (e) {
          message = `Warning: S3 upload failed: ${(e as Error).message}`;
          exec.s3_uploaded = config.save_s3 ? false : null;
        }
      }
      Object.assign(exec, { status: "success", message, updated_at: this.core.stamp() });
    }
    if (last) last.finished_at = this.core.stamp();
    await this.removeOldBackups(config);
  }

  private async dump(db: Database, name: string): Promise<Buffer> {
    const outcome = this.outcomes.get(db.uuid) ?? this.outcomes.get("*") ?? "success";
    if (outcome === "fail") {
      await this.phase();
      throw new Error(
        `pg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  the database system is shutting down`,
      );
    }
    const real = this.core.backings.dump(db, name);
    if (real) return real;
    await this.phase();
    // A stand-in for pg_dump's custom format: its magic, then what was dumped.
    return Buffer.from(`PGDMP simulated dump of database ${name} of ${db.uuid} at ${this.core.stamp()}\n`);
  }

  /** One deployment phase on the virtual clock, so a running execution can be seen. */
  private phase(): Promise<void> {
    return new Promise((resolve) => this.core.clock.after(this.core.opts.deploymentPhaseMs, resolve));
  }

  private async upload(config: BackupConfig, filename: string, dump: Buffer): Promise<void> {
    const s3 = this.core.store.s3Storages.find((x) => x.id === config.s3_storage_id);
    if (!s3) {
      config.save_s3 = false;
      config.s3_storage_id = null;
      throw new Error(
        "S3 storage configuration is missing or has been deleted (S3 storage ID: null). S3 backup has been disabled for this schedule.",
      );
    }
    const test = await testConnection(this.core, s3);
    if (!test.valid) throw new Error(test.message);
    // mc cp <file> temporary/<bucket><backup_dir>/: the key is the local path without its '/'.
    await putObject(s3Target(s3), filename.slice(1), dump);
  }

  /** removeOldBackups: amount and days per location, 0 meaning unlimited. */
  private async removeOldBackups(config: BackupConfig): Promise<void> {
    const s = this.core.store;
    const done = s.executions
      .filter((e) => e.scheduled_database_backup_id === config.id && e.status === "success")
      .sort((a, b) => b.id - a.id);
    const tooOld = (e: BackupExecution, days: number) =>
      days > 0 && this.core.now() - Date.parse(String(e.created_at)) > days * 86_400_000;
    const localAmount = Number(config.database_backup_retention_amount_locally ?? 0);
    const localDays = Number(config.database_backup_retention_days_locally ?? 0);
    done.forEach((e, i) => {
      if (e.local_storage_deleted) return;
      if ((localAmount > 0 && i >= localAmount) || tooOld(e, localDays)) {
        if (e.filename) s.serverFiles.delete(e.filename);
        e.local_storage_deleted = true;
      }
    });
    const s3 = s.s3Storages.find((x) => x.id === config.s3_storage_id);
    const s3Amount = Number(config.database_backup_retention_amount_s3 ?? 0);
    const s3Days = Number(config.database_backup_retention_days_s3 ?? 0);
    const uploaded = done.filter((e) => e.s3_uploaded === true);
    for (const [i, e] of uploaded.entries()) {
      if (e.s3_storage_deleted || !s3 || !e.filename) continue;
      if ((s3Amount > 0 && i >= s3Amount) || tooOld(e, s3Days)) {
        await deleteObject(s3Target(s3), e.filename.slice(1)).catch(() => {});
        e.s3_storage_deleted = true;
      }
    }
    s.executions = s.executions.filter(
      (e) =>
        !(
          e.local_storage_deleted &&
          (e.s3_storage_deleted || e.s3_uploaded === null || e.s3_uploaded === undefined)
        ),
    );
  }
}
