// Scheduled database backups and their executions (Coolify 4.3.11 source,
// app/Http/Controllers/Api/DatabasesController.php: create_backup, update_backup,
// database_backup_details_uuid, delete_backup_by_uuid, list_backup_executions,
// delete_execution_by_uuid). The job itself is backup-job.ts.
import { deleteObject } from "../../lib/s3";
import { iso8601 } from "./backup-job";
import { clone } from "./core";
import {
  bool,
  type Ctx,
  has,
  json,
  message,
  queryBool,
  type Reply,
  type Route,
  validationFailed,
} from "./http";
import { type BackupConfig, type Database, newUuid, type Row } from "./state";

const INT_FIELDS = [
  "database_backup_retention_amount_locally",
  "database_backup_retention_days_locally",
  "database_backup_retention_amount_s3",
  "database_backup_retention_days_s3",
];
const NUM_FIELDS = [
  "database_backup_retention_max_storage_locally",
  "database_backup_retention_max_storage_s3",
];
const ALLOWED = new Set([
  "frequency",
  "enabled",
  "save_s3",
  "dump_all",
  "backup_now",
  "s3_storage_uuid",
  "databases_to_backup",
  ...INT_FIELDS,
  ...NUM_FIELDS,
  "timeout",
]);
/** removeUnnecessaryFieldsFromRequest (bootstrap/helpers/api.php): dropped before PATCH checks. */
const PATCH_DROPPED = [
  "type",
  "domains",
  "tags",
  "instant_deploy",
  "server_uuid",
  "project_uuid",
  "environment_name",
  "environment_uuid",
  "destination_uuid",
];
/** VALID_CRON_STRINGS (bootstrap/helpers/constants.php). */
const CRON_WORDS = new Set([
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
]);

/** poliander/cron's isValid for standard 5-field expressions: numbers, *, ranges, lists, steps, names. */
export function isValidCron(expr: string): boolean {
  if (CRON_WORDS.has(expr)) return true;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  const bounds: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
  ];
  const names = [
    {},
    {},
    {},
    { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
    { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
  ] as Record<string, number>[];
  return fields.every((field, i) => {
    const [lo, hi] = bounds[i] as [number, number];
    const value = (v: string) => {
      const n = /^\d+$/.test(v) ? Number(v) : (names[i] as Record<string, number>)[v.toLowerCase()];
      return n !== undefined && n >= lo && n <= hi ? n : undefined;
    };
    return field.split(",").every((part) => {
      const [range, step] = part.split("/");
      if (step !== undefined && !/^[1-9]\d*$/.test(step)) return false;
      if (range === "*") return true;
      const [a, b] = (range ?? "").split("-");
      if (a === undefined || value(a) === undefined) return false;
      return b === undefined || (value(b) !== undefined && (value(b) as number) >= (value(a) as number));
    });
  });
}

function findDb(ctx: Ctx, uuid: string | undefined): Database | undefined {
  return ctx.core.store.teamDatabases(ctx.teamId).find((d) => d.uuid === uuid);
}

/** The validator of create_backup / update_backup (shape (a) messages). */
function ruleErrors(ctx: Ctx, b: Row, create: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = { ...(ctx.schemaErrors ?? {}) };
  const add = (f: string, m: string) => {
    if (!errors[f]) errors[f] = [m];
  };
  if (create && (b.frequency === undefined || b.frequency === null))
    add("frequency", "This field is required.");
  if (b.frequency !== undefined && b.frequency !== null && typeof b.frequency !== "string")
    add("frequency", "The frequency field must be a string.");
  for (const f of ["enabled", "save_s3", "dump_all", "backup_now"]) {
    const v = b[f];
    if (v !== undefined && v !== null && ![true, false, 0, 1, "0", "1"].includes(v as never))
      add(f, `The ${f.replace(/_/g, " ")} field must be true or false.`);
  }
  for (const f of INT_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(Number(v)) || typeof v === "boolean")
      add(f, `The ${f.replace(/_/g, " ")} field must be an integer.`);
    else if (Number(v) < 0) add(f, `The ${f.replace(/_/g, " ")} field must be at least 0.`);
  }
  for (const f of NUM_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null) continue;
    if (!Number.isFinite(Number(v)) || typeof v === "boolean")
      add(f, `The ${f.replace(/_/g, " ")} field must be a number.`);
    else if (Number(v) < 0) add(f, `The ${f.replace(/_/g, " ")} field must be at least 0.`);
  }
  if (b.timeout !== undefined && b.timeout !== null) {
    const t = Number(b.timeout);
    if (!Number.isInteger(t)) add("timeout", "The timeout field must be an integer.");
    else if (t < 60) add("timeout", "The timeout field must be at least 60.");
    else if (t > 36000) add("timeout", "The timeout field must not be greater than 36000.");
  }
  const su = b.s3_storage_uuid;
  if (su !== undefined && su !== null) {
    if (typeof su !== "string") add("s3_storage_uuid", "The s3 storage uuid field must be a string.");
    // exists:s3_storages,uuid: any team's.
    else if (!ctx.core.store.s3Storages.some((s) => s.uuid === su))
      add("s3_storage_uuid", "The selected s3 storage uuid is invalid.");
  }
  if (
    b.databases_to_backup !== undefined &&
    b.databases_to_backup !== null &&
    typeof b.databases_to_backup !== "string"
  )
    add("databases_to_backup", "The databases to backup field must be a string.");
  return errors;
}

const FREQUENCY_INVALID = validationFailed({ frequency: ["Invalid cron expression or frequency format."] });

/** save_s3 needs s3_storage_uuid in the same request; it must be the team's. Sets s3_storage_id. */
function s3Check(ctx: Ctx, b: Row, target: Row): Reply | null {
  if (bool(b.save_s3, false) && (b.s3_storage_uuid === undefined || b.s3_storage_uuid === null))
    return validationFailed({
      s3_storage_uuid: ["The s3_storage_uuid field is required when save_s3 is true."],
    });
  if (typeof b.s3_storage_uuid === "string") {
    const s3 = ctx.core.store.s3Storages.find(
      (s) => s.uuid === b.s3_storage_uuid && s.team_id === ctx.teamId,
    );
    if (!s3)
      return validationFailed({ s3_storage_uuid: ["The selected S3 storage is invalid for this team."] });
    target.s3_storage_id = s3.id;
  }
  return null;
}

/** databases_to_backup entries (validateDatabasesBackupInput): no shell metacharacters. */
function databasesError(b: Row): Reply | null {
  const v = b.databases_to_backup;
  if (typeof v !== "string") return null;
  if (/[`|&;<>\n\t]|\$\(|\$\{/.test(v))
    return validationFailed({
      databases_to_backup: [
        "Invalid database name: contains forbidden character (shell metacharacters are not allowed).",
      ],
    });
  return null;
}

function applyFields(config: Row, b: Row): void {
  for (const f of ["frequency", "databases_to_backup"]) if (has(b, f) && b[f] !== null) config[f] = b[f];
  for (const f of ["enabled", "save_s3", "dump_all"])
    if (has(b, f) && b[f] !== null) config[f] = bool(b[f], false);
  for (const f of [...INT_FIELDS, "timeout"]) if (has(b, f) && b[f] !== null) config[f] = Number(b[f]);
  for (const f of NUM_FIELDS) if (has(b, f) && b[f] !== null) config[f] = Number(b[f]);
}

function createBackup(ctx: Ctx): Reply {
  const b = ctx.body;
  const errors = ruleErrors(ctx, b, true);
  if (Object.keys(errors).length) return validationFailed(errors);
  const db = findDb(ctx, ctx.params.uuid);
  if (!db) return message(404, "Database not found.");
  if (!isValidCron(String(b.frequency))) return FREQUENCY_INVALID;
  const ts = ctx.core.stamp();
  // Column order of scheduled_database_backups; save_s3's column default is TRUE (the spec says
  // false): a create without it stores save_s3 true with no storage.
  const config: BackupConfig = {
    id: ctx.core.store.nextId("scheduled_database_backups"),
    description: null,
    uuid: newUuid(),
    enabled: true,
    save_s3: true,
    frequency: String(b.frequency),
    database_backup_retention_amount_locally: 0,
    database_type: "App\\Models\\StandalonePostgresql",
    database_id: db.id,
    s3_storage_id: null,
    team_id: ctx.teamId,
    created_at: ts,
    updated_at: ts,
    databases_to_backup: db.postgres_db,
    dump_all: false,
    database_backup_retention_days_locally: 0,
    database_backup_retention_max_storage_locally: 0,
    database_backup_retention_amount_s3: 0,
    database_backup_retention_days_s3: 0,
    database_backup_retention_max_storage_s3: 0,
    timeout: 3600,
    disable_local_backup: false,
  };
  const s3Wrong = s3Check(ctx, b, config);
  if (s3Wrong) return s3Wrong;
  const unknown: Record<string, string[]> = {};
  for (const k of Object.keys(b)) if (!ALLOWED.has(k)) unknown[k] = ["This field is not allowed."];
  if (Object.keys(unknown).length) return validationFailed(unknown);
  const dbWrong = databasesError(b);
  if (dbWrong) return dbWrong;
  applyFields(config, b);
  ctx.core.store.backups.push(config);
  if (bool(b.backup_now, false)) ctx.core.backupJobs.dispatch(config);
  return json(201, { uuid: config.uuid, message: "Backup configuration created successfully." });
}

function updateBackup(ctx: Ctx): Reply {
  const b: Row = clone(ctx.body);
  const errors = ruleErrors(ctx, b, false);
  if (Object.keys(errors).length) return validationFailed(errors);
  const db = findDb(ctx, ctx.params.uuid);
  if (!db) return message(404, "Database not found.");
  for (const k of PATCH_DROPPED) delete b[k];
  if (typeof b.frequency === "string" && b.frequency !== "" && !isValidCron(b.frequency))
    return FREQUENCY_INVALID;
  const changes: Row = {};
  const s3Wrong = s3Check(ctx, b, changes);
  if (s3Wrong) return s3Wrong;
  const config = ctx.core.store.backups.find(
    (x) => x.uuid === ctx.params.scheduled_backup_uuid && x.database_id === db.id,
  );
  if (!config) return message(404, "Backup config not found.");
  const unknown: Record<string, string[]> = {};
  for (const k of Object.keys(b)) if (!ALLOWED.has(k)) unknown[k] = ["This field is not allowed."];
  if (Object.keys(unknown).length) return validationFailed(unknown);
  const dbWrong = databasesError(b);
  if (dbWrong) return dbWrong;
  applyFields(config, b);
  Object.assign(config, changes);
  config.updated_at = ctx.core.stamp();
  if (bool(b.backup_now, false)) ctx.core.backupJobs.dispatch(config);
  return message(200, "Database backup configuration updated");
}

/** The raw rows with their executions, newest first (GET /databases/{uuid}/backups). */
function configsWithExecutions(ctx: Ctx, db: Database): Row[] {
  const s = ctx.core.store;
  return s.backups
    .filter((b) => b.database_id === db.id)
    .sort((a, b) => b.id - a.id)
    .map((config) => ({
      ...clone(config),
      executions: s.executions
        .filter((e) => e.scheduled_database_backup_id === config.id)
        .sort((a, b) => b.id - a.id)
        .map((e) => clone(e)),
    }));
}

/** GET /databases: each database's backup_configs, with the latest execution as latest_log. */
export function backupConfigsOf(ctx: Ctx, db: Database): Row[] {
  const s = ctx.core.store;
  return s.backups
    .filter((b) => b.database_id === db.id)
    .map((config) => {
      const latest = s.executions
        .filter((e) => e.scheduled_database_backup_id === config.id)
        .sort((a, b) => b.id - a.id)[0];
      return { ...clone(config), latest_log: latest ? clone(latest) : null };
    });
}

function backupOf(ctx: Ctx, db: Database): BackupConfig | undefined {
  return ctx.core.store.backups.find(
    (x) => x.uuid === ctx.params.scheduled_backup_uuid && x.database_id === db.id,
  );
}

const BASE = "/databases/{uuid}/backups";

export const databaseBackupRoutes: Route[] = [
  {
    method: "GET",
    template: BASE,
    ability: "read",
    handler: (ctx) => {
      const db = findDb(ctx, ctx.params.uuid);
      if (!db) return message(404, "Database not found.");
      return json(200, configsWithExecutions(ctx, db));
    },
  },
  { method: "POST", template: BASE, ability: "write", bodyCheck: true, handler: createBackup },
  {
    method: "PATCH",
    template: `${BASE}/{scheduled_backup_uuid}`,
    ability: "write",
    bodyCheck: true,
    handler: updateBackup,
  },
  {
    method: "DELETE",
    template: `${BASE}/{scheduled_backup_uuid}`,
    ability: "write",
    handler: async (ctx) => {
      const db = findDb(ctx, ctx.params.uuid);
      if (!db) return message(404, "Database not found.");
      const config = backupOf(ctx, db);
      if (!config) return message(404, "Backup configuration not found.");
      const s = ctx.core.store;
      const deleteS3 = queryBool(ctx.query, "delete_s3", false);
      for (const e of s.executions.filter((x) => x.scheduled_database_backup_id === config.id)) {
        if (!e.filename) continue;
        s.serverFiles.delete(e.filename);
        await deleteFromS3(ctx, config, e.filename, deleteS3);
      }
      s.executions = s.executions.filter((x) => x.scheduled_database_backup_id !== config.id);
      s.backups = s.backups.filter((x) => x !== config);
      return message(200, "Backup configuration and all executions deleted.");
    },
  },
  {
    method: "GET",
    template: `${BASE}/{scheduled_backup_uuid}/executions`,
    ability: "read",
    handler: (ctx) => {
      const db = findDb(ctx, ctx.params.uuid);
      if (!db) return message(404, "Database not found.");
      const config = backupOf(ctx, db);
      if (!config) return message(404, "Backup configuration not found.");
      const executions = ctx.core.store.executions
        .filter((e) => e.scheduled_database_backup_id === config.id)
        .sort((a, b) => b.id - a.id)
        .map((e) => ({
          uuid: e.uuid,
          filename: e.filename,
          size: e.size,
          created_at: iso8601(e.created_at),
          message: e.message,
          status: e.status,
        }));
      return json(200, { executions });
    },
  },
  {
    method: "DELETE",
    template: `${BASE}/{scheduled_backup_uuid}/executions/{execution_uuid}`,
    ability: "write",
    handler: async (ctx) => {
      const db = findDb(ctx, ctx.params.uuid);
      if (!db) return message(404, "Database not found.");
      const config = backupOf(ctx, db);
      if (!config) return message(404, "Backup configuration not found.");
      const s = ctx.core.store;
      const e = s.executions.find(
        (x) => x.uuid === ctx.params.execution_uuid && x.scheduled_database_backup_id === config.id,
      );
      if (!e) return message(404, "Backup execution not found.");
      if (e.filename) {
        s.serverFiles.delete(e.filename);
        await deleteFromS3(ctx, config, e.filename, queryBool(ctx.query, "delete_s3", false));
      }
      s.executions = s.executions.filter((x) => x !== e);
      return message(200, "Backup execution deleted.");
    },
  },
];

async function deleteFromS3(
  ctx: Ctx,
  config: BackupConfig,
  filename: string,
  wanted: boolean,
): Promise<void> {
  if (!wanted) return;
  const s3 = ctx.core.store.s3Storages.find((x) => x.id === config.s3_storage_id);
  if (!s3) return;
  await deleteObject(
    { endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKey: s3.key, secretKey: s3.secret },
    filename.slice(1),
  ).catch(() => {});
}
