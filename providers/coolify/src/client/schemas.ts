/**
 * Response schemas. Loose objects: Coolify returns many more fields than we use and adds new ones
 * between releases, so unknown fields pass through untouched. The fields the provider relies on are
 * typed and checked; a wrong type there is a "bad_response" error naming the endpoint and field.
 * Shapes follow the running server (notes/coolify-api.md section 4), not the OpenAPI document.
 */
import { z } from "zod";

const str = z.string();
const optStr = z.string().nullish();
const optNum = z.number().nullish();
/** Laravel casts most flags to booleans, but older rows and some columns come back as 0/1. */
const flag = z.preprocess((v) => (v === 0 ? false : v === 1 ? true : v), z.boolean());
const optFlag = flag.nullish();
/** Limits and ports: strings in the schema, but a number here and there must not break a read. */
const strOrNum = z.union([z.string(), z.number()]).nullish();

export const UuidResponseSchema = z.looseObject({ uuid: str });

export const ProjectSummarySchema = z.looseObject({
  id: optNum,
  uuid: str,
  name: str,
  description: optStr,
});
export type ProjectSummary = z.infer<typeof ProjectSummarySchema>;

export const EnvironmentSummarySchema = z.looseObject({
  id: optNum,
  uuid: str,
  name: str,
  description: optStr,
  project_id: optNum,
});
export type EnvironmentSummary = z.infer<typeof EnvironmentSummarySchema>;

export const ProjectSchema = ProjectSummarySchema.extend({
  team_id: optNum,
  environments: z.array(EnvironmentSummarySchema),
});
export type Project = z.infer<typeof ProjectSchema>;

/** An item in an environment's resource lists (applications, postgresqls, ...). */
export const EnvironmentResourceSchema = z.looseObject({
  uuid: str,
  name: str,
  status: optStr,
});
export type EnvironmentResource = z.infer<typeof EnvironmentResourceSchema>;

const resourceList = z.array(EnvironmentResourceSchema).optional();

export const EnvironmentSchema = EnvironmentSummarySchema.extend({
  applications: resourceList,
  postgresqls: resourceList,
  redis: resourceList,
  mongodbs: resourceList,
  mysqls: resourceList,
  mariadbs: resourceList,
  services: resourceList,
});
export type Environment = z.infer<typeof EnvironmentSchema>;

export const ApplicationSchema = z.looseObject({
  uuid: str,
  name: str,
  description: optStr,
  /** Comma-separated URLs or null. The request field is `domains`; the stored one is `fqdn`. */
  fqdn: optStr,
  /** e.g. running:healthy, running:unhealthy, starting:unknown, exited. */
  status: str,
  build_pack: optStr,
  git_repository: optStr,
  git_branch: optStr,
  git_commit_sha: optStr,
  docker_registry_image_name: optStr,
  docker_registry_image_tag: optStr,
  ports_exposes: strOrNum,
  ports_mappings: optStr,
  health_check_enabled: optFlag,
  health_check_path: optStr,
  health_check_port: strOrNum,
  limits_memory: strOrNum,
  limits_cpus: strOrNum,
  environment_id: optNum,
  destination_id: optNum,
  destination_type: optStr,
  server_status: optFlag,
  /** Only on GET /applications/{uuid}, not in lists. */
  settings: z.looseObject({}).nullish(),
  created_at: optStr,
  updated_at: optStr,
});
export type Application = z.infer<typeof ApplicationSchema>;

export const CreateApplicationResponseSchema = z.looseObject({
  uuid: str,
  /** The stored fqdn (comma-separated) or null; Coolify before beta.454 always sent null. */
  domains: optStr,
});

export const EnvVarSchema = z.looseObject({
  uuid: str,
  key: str,
  /** Hidden without a read:sensitive/root token, and always when is_shown_once. */
  value: optStr,
  real_value: optStr,
  is_preview: optFlag,
  is_literal: optFlag,
  is_multiline: optFlag,
  is_shown_once: optFlag,
  is_runtime: optFlag,
  is_buildtime: optFlag,
  is_shared: optFlag,
  is_required: optFlag,
  is_coolify: optFlag,
  comment: optStr,
});
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const CreatePostgresResponseSchema = z.looseObject({
  uuid: str,
  internal_db_url: optStr,
  external_db_url: optStr,
});

export const DatabaseSchema = z.looseObject({
  uuid: str,
  name: str,
  description: optStr,
  image: optStr,
  /** e.g. exited, running:healthy. */
  status: str,
  database_type: optStr,
  is_public: optFlag,
  public_port: optNum,
  public_port_timeout: optNum,
  postgres_user: optStr,
  postgres_db: optStr,
  /** Hidden without a sensitive token. */
  postgres_password: optStr,
  internal_db_url: optStr,
  external_db_url: optStr,
  limits_memory: strOrNum,
  limits_cpus: strOrNum,
  environment_id: optNum,
  destination_id: optNum,
  created_at: optStr,
  updated_at: optStr,
});
export type Database = z.infer<typeof DatabaseSchema>;

export const DeploymentStatusSchema = z.string();
export const TERMINAL_DEPLOYMENT_STATUSES = ["finished", "failed", "cancelled-by-user"] as const;

export const DeploymentSchema = z.looseObject({
  deployment_uuid: str,
  /** queued | in_progress | finished | failed | cancelled-by-user */
  status: DeploymentStatusSchema,
  application_id: z.union([z.number(), z.string()]).nullish(),
  application_name: optStr,
  commit: optStr,
  force_rebuild: optFlag,
  restart_only: optFlag,
  deployment_url: optStr,
  finished_at: optStr,
  created_at: optStr,
  updated_at: optStr,
});
export type Deployment = z.infer<typeof DeploymentSchema>;

export const ApplicationDeploymentsSchema = z.looseObject({
  count: z.number(),
  deployments: z.array(DeploymentSchema),
});

/** POST /applications/{uuid}/start and /restart. */
export const QueuedDeploymentResponseSchema = z.looseObject({
  message: z.string().optional(),
  deployment_uuid: optStr,
});

/** POST /deploy?uuid=... */
export const DeployResponseSchema = z.looseObject({
  deployments: z.array(
    z.looseObject({
      message: z.string().optional(),
      resource_uuid: optStr,
      deployment_uuid: optStr,
    }),
  ),
});

/** GET /s3-storages(/{uuid}); key and secret only with a sensitive token. */
export const S3StorageSchema = z.looseObject({
  uuid: str,
  name: str,
  description: optStr,
  endpoint: str,
  bucket: str,
  region: optStr,
  is_usable: optFlag,
  key: optStr,
  secret: optStr,
});
export type S3Storage = z.infer<typeof S3StorageSchema>;

/** POST /s3-storages/{uuid}/validate: always 200, valid or not. */
export const S3ValidationSchema = z.looseObject({ valid: flag, message: z.string().nullish() });

/** An execution as GET /databases/{uuid}/backups embeds it (raw rows). */
export const BackupExecutionSchema = z.looseObject({
  uuid: str,
  /** running | success | failed */
  status: str,
  message: optStr,
  /** null while running */
  size: strOrNum,
  /** null when it failed */
  filename: optStr,
  created_at: optStr,
  s3_uploaded: optFlag,
  database_name: optStr,
});
export type BackupExecution = z.infer<typeof BackupExecutionSchema>;

/** A scheduled backup of a database (GET /databases/{uuid}/backups: a raw array, not the spec's string). */
export const BackupConfigSchema = z.looseObject({
  id: optNum,
  uuid: str,
  enabled: optFlag,
  save_s3: optFlag,
  frequency: str,
  s3_storage_id: optNum,
  database_backup_retention_amount_locally: strOrNum,
  database_backup_retention_days_locally: strOrNum,
  database_backup_retention_amount_s3: strOrNum,
  database_backup_retention_days_s3: strOrNum,
  timeout: strOrNum,
  created_at: optStr,
  executions: z.array(BackupExecutionSchema).optional(),
});
export type BackupConfig = z.infer<typeof BackupConfigSchema>;

export const CreateBackupResponseSchema = z.looseObject({ uuid: str, message: z.string().optional() });

/** GET .../executions: six fields per execution, newest first. */
export const BackupExecutionsSchema = z.looseObject({
  executions: z.array(
    z.looseObject({
      uuid: str,
      status: str,
      message: optStr,
      size: strOrNum,
      filename: optStr,
      created_at: optStr,
    }),
  ),
});

/** A persistent storage (LocalPersistentVolume) as Coolify 4.3.11 returns it, raw model. */
export const PersistentStorageSchema = z.looseObject({
  uuid: str,
  /** The docker volume's name: `<app-uuid>-<name>` when created through the API. */
  name: str,
  mount_path: str,
  host_path: optStr,
  /** Absent from the create answer (database defaults are not loaded). */
  is_preview_suffix_enabled: optFlag,
});
export type PersistentStorage = z.infer<typeof PersistentStorageSchema>;

/** GET /applications/{uuid}/storages. */
export const ApplicationStoragesSchema = z.looseObject({
  persistent_storages: z.array(PersistentStorageSchema),
  file_storages: z.array(z.looseObject({ uuid: str, mount_path: str })),
});

/** GET /applications/{uuid}/logs: the container's last lines, stdout and stderr merged. */
export const ApplicationLogsSchema = z.looseObject({ logs: z.string() });

/** POST /applications/{uuid}/rollback. */
export const RollbackResponseSchema = z.looseObject({
  message: z.string().optional(),
  deployment_uuid: optStr,
});
