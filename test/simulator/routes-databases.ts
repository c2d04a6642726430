// PostgreSQL databases (notes 4.7, P20, P21, P28, P32).
import { clone } from "./core";
import {
  bool,
  type Ctx,
  has,
  json,
  message,
  onItem,
  postOnly,
  type Reply,
  type Route,
  SERVER_ERROR,
  unknownFields,
  validationFailed,
  validationFailedStrings,
} from "./http";
import { LIMIT_FIELDS, resolvePlacement } from "./routes-applications";
import { backupConfigsOf } from "./routes-database-backups";
import type { Database, Row } from "./state";
import { newUuid, randomAlnum } from "./state";

/** Columns that both create and PATCH accept. */
const COLUMN_FIELDS = [
  "name",
  "description",
  "image",
  "is_public",
  "public_port",
  "public_port_timeout",
  ...LIMIT_FIELDS,
  "postgres_user",
  "postgres_password",
  "postgres_db",
  "postgres_initdb_args",
  "postgres_host_auth_method",
  "postgres_conf",
];

const CREATE_ALLOWED = new Set([
  "project_uuid",
  "server_uuid",
  "environment_name",
  "environment_uuid",
  "destination_uuid",
  ...COLUMN_FIELDS,
  "instant_deploy",
  "tags",
]);

const PATCH_ALLOWED = new Set([
  ...COLUMN_FIELDS,
  "health_check_enabled",
  "health_check_interval",
  "health_check_timeout",
  "health_check_retries",
  "health_check_start_period",
]);
/** notes 4.7: removed before the unknown-field check runs. */
const PATCH_DROPPED = [
  "instant_deploy",
  "project_uuid",
  "environment_name",
  "environment_uuid",
  "server_uuid",
  "destination_uuid",
  "tags",
  "domains",
];

// P21: identifiers are letters, digits and underscore; passwords exclude shell metacharacters.
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const PASSWORD_RE = /^[A-Za-z0-9!@#%^*()_+\-=[\]{}:,.?/~]{1,128}$/;

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

/** Type-specific rules (the only validator that really runs on DB create, notes 4.7). */
function postgresErrors(b: Row): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const f of ["postgres_user", "postgres_db"]) {
    const v = b[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") errors[f] = [`The ${f.replace(/_/g, " ")} field must be a string.`];
    else if (!IDENT_RE.test(v))
      errors[f] = [
        `The ${f.replace(/_/g, " ")} may only contain letters, numbers and underscores, and must start with a letter or underscore.`,
      ];
  }
  const pw = b.postgres_password;
  if (pw !== undefined && pw !== null) {
    if (typeof pw !== "string") errors.postgres_password = ["The postgres password field must be a string."];
    else if (!PASSWORD_RE.test(pw))
      errors.postgres_password = [
        "The postgres password contains characters that are not allowed ($ & ; | < > \\ ' \" space or backtick).",
      ];
  }
  for (const f of ["postgres_initdb_args", "postgres_host_auth_method"]) {
    if (b[f] !== undefined && b[f] !== null && typeof b[f] !== "string")
      errors[f] = [`The ${f.replace(/_/g, " ")} field must be a string.`];
  }
  return errors;
}

/**
 * P32: the generic validator of DB create is built but never checked, so a wrongly typed value
 * reaches the database layer and gives a 500.
 */
function wouldCrash(b: Row): boolean {
  const boolFields = ["is_public", "instant_deploy"];
  const intFields = ["public_port", "public_port_timeout", "limits_memory_swappiness", "limits_cpu_shares"];
  const strFields = [
    "name",
    "description",
    "image",
    "limits_memory",
    "limits_memory_swap",
    "limits_memory_reservation",
    "limits_cpus",
    "limits_cpuset",
  ];
  for (const f of boolFields) {
    const v = b[f];
    if (v !== undefined && v !== null && ![true, false, 0, 1, "0", "1", "true", "false"].includes(v as never))
      return true;
  }
  for (const f of intFields) {
    const v = b[f];
    if (
      v !== undefined &&
      v !== null &&
      !(Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v)))
    )
      return true;
  }
  for (const f of strFields) {
    const v = b[f];
    if (v !== undefined && v !== null && typeof v === "object") return true;
  }
  return false;
}

function findDb(ctx: Ctx, uuid: string | undefined): Database | undefined {
  return ctx.core.store.teamDatabases(ctx.teamId).find((d) => d.uuid === uuid);
}

/** A route on the database in the path: 404 unless the team has it. */
const onDb = onItem(findDb, "Database not found.");

function portInUse(ctx: Ctx, db: { destination_id: number; uuid: string }, port: number): boolean {
  const server = ctx.core.store.serverOfDestination(db.destination_id);
  return ctx.core.store.databases.some(
    (d) =>
      d.uuid !== db.uuid &&
      d.is_public &&
      Number(d.public_port) === port &&
      ctx.core.store.serverOfDestination(d.destination_id)?.id === server?.id,
  );
}

function createPostgres(ctx: Ctx): Reply {
  const b = ctx.body;
  const unknown = unknownFields(b, CREATE_ALLOWED);
  if (Object.keys(unknown).length) return validationFailed(unknown);
  const base: Record<string, string[]> = {};
  for (const f of ["project_uuid", "server_uuid"])
    if (b[f] === undefined || b[f] === null) base[f] = ["This field is required."];
  if (Object.keys(base).length) return validationFailed(base);
  const placement = resolvePlacement(ctx, "database");
  if ("status" in placement) return placement;
  const pgErrors = postgresErrors(b);
  if (Object.keys(pgErrors).length) return validationFailed(pgErrors);
  if (typeof b.postgres_conf === "string" && !isBase64(b.postgres_conf))
    return validationFailedStrings({ postgres_conf: "The postgres_conf should be base64 encoded." });
  if (has(b, "public_port") && b.public_port !== null) {
    const port = Number(b.public_port);
    if (Number.isFinite(port) && (port < 1024 || port > 65535))
      return validationFailedStrings({ public_port: "The public port should be between 1024 and 65535." });
  }
  if (wouldCrash(b)) return SERVER_ERROR;
  const uuid = newUuid();
  // is_public without public_port is quietly set to false (notes 4.7).
  const publicPort = b.public_port === undefined || b.public_port === null ? null : Number(b.public_port);
  const isPublic = bool(b.is_public, false) && publicPort !== null;
  if (
    isPublic &&
    publicPort !== null &&
    portInUse(ctx, { destination_id: placement.destination.id, uuid }, publicPort)
  )
    return message(400, "Public port already used by another database.");
  const ts = ctx.core.stamp();
  const str = (v: unknown, d: string | null): string | null =>
    v === undefined || v === null ? d : String(v);
  const db: Database = {
    id: ctx.core.store.nextId("databases"),
    uuid,
    name: str(b.name, `postgresql-database-${uuid}`) as string,
    description: str(b.description, null),
    image: str(b.image, "postgres:16-alpine"),
    status: "exited",
    is_public: isPublic,
    public_port: publicPort,
    public_port_timeout:
      b.public_port_timeout === undefined || b.public_port_timeout === null
        ? 3600
        : Number(b.public_port_timeout),
    ports_mappings: null,
    limits_memory: str(b.limits_memory, "0"),
    limits_memory_swap: str(b.limits_memory_swap, "0"),
    limits_memory_swappiness:
      b.limits_memory_swappiness === undefined ? 60 : Number(b.limits_memory_swappiness),
    limits_memory_reservation: str(b.limits_memory_reservation, "0"),
    limits_cpus: str(b.limits_cpus, "0"),
    limits_cpuset: str(b.limits_cpuset, "0"),
    limits_cpu_shares: b.limits_cpu_shares === undefined ? 1024 : Number(b.limits_cpu_shares),
    postgres_user: str(b.postgres_user, "postgres") as string,
    postgres_password: str(b.postgres_password, randomAlnum(64)) as string,
    postgres_db: str(b.postgres_db, "postgres") as string,
    postgres_initdb_args: str(b.postgres_initdb_args, null),
    postgres_host_auth_method: str(b.postgres_host_auth_method, null),
    postgres_conf: str(b.postgres_conf, null),
    init_scripts: null,
    enable_ssl: false,
    ssl_mode: "require",
    health_check_enabled: true,
    health_check_interval: 15,
    health_check_timeout: 10,
    health_check_retries: 10,
    health_check_start_period: 10,
    custom_docker_run_options: null,
    started_at: null,
    last_online_at: ts,
    restart_count: 0,
    last_restart_at: null,
    last_restart_type: null,
    environment_id: placement.environment.id,
    destination_id: placement.destination.id,
    destination_type: "App\\Models\\StandaloneDocker",
    database_type: "standalone-postgresql",
    tags: Array.isArray(b.tags) ? (b.tags as unknown[]).map((t) => String(t).toLowerCase()) : [],
    created_at: ts,
    updated_at: ts,
    deleted_at: null,
    _deleting: false,
  };
  ctx.core.store.databases.push(db);
  if (bool(b.instant_deploy, false)) {
    db.status = "starting:unknown";
    ctx.core.setDatabaseStatusLater(db, "running:healthy");
  }
  // notes 1.2 / 4.7: 201 with the URLs, even without read:sensitive.
  const out: Row = { uuid: db.uuid, internal_db_url: ctx.core.internalDbUrl(db) };
  const ext = ctx.core.externalDbUrl(db);
  if (ext) out.external_db_url = ext;
  return json(201, out);
}

export const databaseRoutes: Route[] = [
  {
    method: "GET",
    template: "/databases",
    ability: "read",
    handler: (ctx) =>
      json(
        200,
        ctx.core.store.teamDatabases(ctx.teamId).map((d) => ({
          ...ctx.core.dbView(d, ctx.sensitive, false),
          backup_configs: backupConfigsOf(ctx, d),
        })),
      ),
  },
  {
    method: "POST",
    template: "/databases/postgresql",
    ability: "write",
    bodyCheck: true,
    handler: createPostgres,
  },
  {
    method: "GET",
    template: "/databases/{uuid}",
    ability: "read",
    handler: onDb((ctx, db) => json(200, ctx.core.dbView(db, ctx.sensitive, true))),
  },
  {
    method: "PATCH",
    template: "/databases/{uuid}",
    ability: "write",
    bodyCheck: true,
    handler: (ctx) => {
      const b: Row = clone(ctx.body);
      for (const k of PATCH_DROPPED) delete b[k];
      const errors = {
        ...(ctx.schemaErrors ?? {}),
        ...unknownFields(b, PATCH_ALLOWED),
        ...postgresErrors(b),
      };
      for (const k of PATCH_DROPPED) delete errors[k];
      if (Object.keys(errors).length) return validationFailed(errors);
      const db = findDb(ctx, ctx.params.uuid);
      if (!db) return message(404, "Database not found.");
      if (typeof b.postgres_conf === "string" && !isBase64(b.postgres_conf))
        return validationFailedStrings({ postgres_conf: "The postgres_conf should be base64 encoded." });
      const wantPublic = has(b, "is_public") ? bool(b.is_public, false) : undefined;
      const port = has(b, "public_port") && b.public_port !== null ? Number(b.public_port) : undefined;
      if (wantPublic === true && port !== undefined && portInUse(ctx, db, port))
        return message(400, "Public port already used by another database.");
      for (const [k, v] of Object.entries(b)) {
        if (k === "is_public" || k === "public_port") continue;
        db[k] = clone(v);
      }
      if (port !== undefined) db.public_port = port;
      if (wantPublic !== undefined) db.is_public = wantPublic;
      db.updated_at = ctx.core.stamp();
      // The database proxy (StartDatabaseProxy / StopDatabaseProxy) follows, as a job.
      void ctx.core.backings.syncPublicPort(db);
      // notes 4.7: nothing is restarted.
      return message(200, "Database updated.");
    },
  },
  {
    method: "DELETE",
    template: "/databases/{uuid}",
    ability: "write",
    handler: onDb((ctx, db) => {
      ctx.core.queueDelete("database", db);
      return message(200, "Database deletion request queued.");
    }),
  },
  {
    method: "POST",
    template: "/databases/{uuid}/start",
    ability: "deploy",
    handler: onDb((ctx, db) => {
      if (db.status.includes("running")) return message(400, "Database is already running.");
      db.status = "starting:unknown";
      ctx.core.setDatabaseStatusLater(db, "running:healthy");
      return message(200, "Database starting request queued.");
    }),
  },
  {
    method: "POST",
    template: "/databases/{uuid}/stop",
    ability: "deploy",
    handler: onDb((ctx, db) => {
      if (db.status.includes("stopped") || db.status.includes("exited"))
        return message(400, "Database is already stopped.");
      ctx.core.setDatabaseStatusLater(db, "exited");
      return message(200, "Database stopping request queued.");
    }),
  },
  {
    method: "POST",
    template: "/databases/{uuid}/restart",
    ability: "deploy",
    handler: onDb((ctx, db) => {
      db.status = "restarting:unknown";
      ctx.core.setDatabaseStatusLater(db, "running:healthy");
      return message(200, "Database restarting request queued.");
    }),
  },
  { method: "GET", template: "/databases/{uuid}/start", ability: null, handler: postOnly },
  { method: "GET", template: "/databases/{uuid}/stop", ability: null, handler: postOnly },
  { method: "GET", template: "/databases/{uuid}/restart", ability: null, handler: postOnly },
];

export { findDb };
