// Scheduled database backups and their executions (Coolify 4.3.11 source, DatabasesController
// create_backup, update_backup, database_backup_details_uuid, delete_backup_by_uuid,
// list_backup_executions). backup_now only queues the job, and the job makes no execution at all
// when the database is not running.
import {
  type BackupConfig,
  BackupConfigSchema,
  BackupExecutionsSchema,
  CreateBackupResponseSchema,
} from "../schemas";
import type { Transport } from "../transport";
import { seg, withoutUndefined } from "./encode";

export interface BackupBody {
  frequency?: string;
  enabled?: boolean;
  /** Always sent: its column default is true, whatever the spec says. */
  save_s3?: boolean;
  s3_storage_uuid?: string;
  backup_now?: boolean;
  database_backup_retention_amount_locally?: number;
  database_backup_retention_days_locally?: number;
  database_backup_retention_amount_s3?: number;
  database_backup_retention_days_s3?: number;
  timeout?: number;
}

export async function createDatabaseBackup(
  t: Transport,
  dbUuid: string,
  body: BackupBody,
): Promise<{ uuid: string }> {
  const r = await t.request("POST", `/databases/${seg(dbUuid)}/backups`, {
    body: withoutUndefined({ ...body }),
    schema: CreateBackupResponseSchema,
  });
  return { uuid: r.uuid };
}

/** Every backup of the database with all its executions, newest first (no GET of one exists). */
export function listDatabaseBackups(t: Transport, dbUuid: string): Promise<BackupConfig[]> {
  return t.request("GET", `/databases/${seg(dbUuid)}/backups`, { schema: BackupConfigSchema.array() });
}

export async function updateDatabaseBackup(
  t: Transport,
  dbUuid: string,
  backupUuid: string,
  body: BackupBody,
): Promise<void> {
  await t.request("PATCH", `/databases/${seg(dbUuid)}/backups/${seg(backupUuid)}`, {
    body: withoutUndefined({ ...body }),
  });
}

/** Deletes the configuration, its executions and their local files; S3 copies stay unless deleteS3. */
export async function deleteDatabaseBackup(
  t: Transport,
  dbUuid: string,
  backupUuid: string,
  opts: { deleteS3?: boolean } = {},
): Promise<void> {
  await t.request("DELETE", `/databases/${seg(dbUuid)}/backups/${seg(backupUuid)}`, {
    query: { delete_s3: opts.deleteS3 },
  });
}

export async function listBackupExecutions(t: Transport, dbUuid: string, backupUuid: string) {
  const r = await t.request("GET", `/databases/${seg(dbUuid)}/backups/${seg(backupUuid)}/executions`, {
    schema: BackupExecutionsSchema,
  });
  return r.executions;
}
