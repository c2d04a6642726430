/**
 * The backups section: scheduled backups of the full-mode database (backups, backupSchedule,
 * backupRetention, backupS3Retention, backupBeforeChange) and the S3 target they are copied to
 * (backupS3Endpoint, backupS3Bucket, backupS3Region, backupS3AccessKey, backupS3SecretKey).
 * Production (a protected stack) backs up by default; without an S3 target the backups stay on
 * the Coolify server, which a warning says at preview.
 */
import { BACKUP_FREQUENCY_WORDS, isBackupFrequency } from "@eliza-coolify/coolify";
import type * as pulumi from "@pulumi/pulumi";
import { describeValue } from "../../characters/schema";
import type { DatabaseConfig } from "./database";
import { isHttpUrl } from "./formats";
import { ns } from "./keys";
import type { Problems } from "./problems";
import type { ConfigValues } from "./values";

export const DEFAULT_BACKUP_SCHEDULE = "daily";
export const DEFAULT_BACKUP_RETENTION = 7;
export const DEFAULT_BACKUP_S3_RETENTION = 30;
export const DEFAULT_BACKUP_S3_REGION = "us-east-1";

export interface BackupS3Target {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: pulumi.Output<string>;
}

export type BackupsConfig =
  | { enabled: false }
  | {
      enabled: true;
      /** Coolify frequency: cron in the server's time zone, or daily, hourly, ... */
      schedule: string;
      /** How many backups to keep on the server, and in S3 (0: no limit). */
      retention: { local: number; s3: number };
      /** Take a backup before a change to the database or the agents' images, and wait for it. */
      beforeChange: boolean;
      s3?: BackupS3Target;
    };

const S3_KEYS = ["backupS3Endpoint", "backupS3Bucket", "backupS3AccessKey", "backupS3SecretKey"] as const;

function count(values: ConfigValues, problems: Problems, key: string, dflt: number): number {
  const raw = values.raw[key];
  if (raw === undefined || raw === null || raw === "") return dflt;
  const n =
    typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 0) {
    problems.add(
      ns(key),
      "",
      `must be a whole number of backups, 0 for no limit (got ${describeValue(raw)})`,
    );
    return dflt;
  }
  return n;
}

function scheduleProblem(schedule: string): string | undefined {
  if (isBackupFrequency(schedule)) return undefined;
  return `"${schedule}" is not a schedule Coolify accepts — use a 5-field cron expression in the server's time zone ("0 3 * * *": 03:00 every day) or one of ${BACKUP_FREQUENCY_WORDS.join(", ")}`;
}

/** The backups config; problems go to the collector, warnings to the list. */
export function parseBackups(
  values: ConfigValues,
  problems: Problems,
  warnings: string[],
  protect: boolean,
  database: DatabaseConfig | undefined,
): BackupsConfig {
  const asked = values.boolean("backups");
  const s3Given = S3_KEYS.some((k) => values.raw[k] !== undefined && values.raw[k] !== "");
  if (database?.mode === "slim") {
    if (asked === true) {
      problems.add(
        ns("backups"),
        "",
        "needs databaseMode full: a slim stack's database is not Coolify's, so Coolify cannot back it up — back it up where it lives, or remove the key",
      );
    }
    if (s3Given) {
      problems.add(
        ns("backupS3Endpoint"),
        "",
        "is only used when databaseMode is full and backups are on — remove the backupS3* keys",
      );
    }
    return { enabled: false };
  }
  const enabled = asked ?? protect;
  if (!enabled) {
    if (s3Given) {
      problems.add(
        ns("backups"),
        "",
        `is off, yet an S3 target is configured — turn backups on (pulumi config set ${ns("backups")} true) or remove the backupS3* keys`,
      );
    }
    return { enabled: false };
  }
  const schedule = values.string("backupSchedule") ?? DEFAULT_BACKUP_SCHEDULE;
  const wrong = scheduleProblem(schedule);
  if (wrong) problems.add(ns("backupSchedule"), "", wrong);
  const retention = {
    local: count(values, problems, "backupRetention", DEFAULT_BACKUP_RETENTION),
    s3: count(values, problems, "backupS3Retention", DEFAULT_BACKUP_S3_RETENTION),
  };
  const beforeChange = values.boolean("backupBeforeChange") ?? true;
  const s3 = parseS3(values, problems, s3Given);
  if (!s3Given) {
    warnings.push(
      `${ns("backups")}: the database's backups are kept on the Coolify server only, and are lost with it — to keep a copy elsewhere, set ${ns("backupS3Endpoint")}, ${ns("backupS3Bucket")}, ${ns("backupS3AccessKey")} and (pulumi config set --secret) ${ns("backupS3SecretKey")}`,
    );
  }
  return { enabled: true, schedule, retention, beforeChange, ...(s3 ? { s3 } : {}) };
}

function parseS3(values: ConfigValues, problems: Problems, given: boolean): BackupS3Target | undefined {
  if (!given) return undefined;
  const endpoint = values.string("backupS3Endpoint");
  const bucket = values.string("backupS3Bucket");
  const region = values.string("backupS3Region") ?? DEFAULT_BACKUP_S3_REGION;
  const accessKey = values.string("backupS3AccessKey");
  const secretKey = values.secret("backupS3SecretKey");
  const missing = (key: string, how: string) =>
    problems.add(ns(key), "", `is required for backups to S3 — ${how}`);
  if (endpoint === undefined)
    missing(
      "backupS3Endpoint",
      `pulumi config set ${ns("backupS3Endpoint")} https://s3.eu-central-1.amazonaws.com`,
    );
  else if (!isHttpUrl(endpoint, ["https:", "http:"]) || new URL(endpoint).pathname.replace(/\/+$/, "") !== "")
    problems.add(
      ns("backupS3Endpoint"),
      "",
      "must be the http(s) URL of the S3 service, without the bucket or a path (e.g. https://s3.eu-central-1.amazonaws.com)",
    );
  if (bucket === undefined) missing("backupS3Bucket", `pulumi config set ${ns("backupS3Bucket")} <bucket>`);
  else if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    /\.\.|\.-|-\./.test(bucket) ||
    /^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  )
    problems.add(
      ns("backupS3Bucket"),
      "",
      "must be an S3 bucket name: 3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit",
    );
  if (accessKey === undefined)
    missing("backupS3AccessKey", `pulumi config set ${ns("backupS3AccessKey")} <access key id>`);
  if (values.raw.backupS3SecretKey === undefined || values.raw.backupS3SecretKey === "")
    missing("backupS3SecretKey", `pulumi config set --secret ${ns("backupS3SecretKey")} <secret access key>`);
  if (endpoint === undefined || bucket === undefined || accessKey === undefined || secretKey === undefined)
    return undefined;
  return { endpoint: endpoint.replace(/\/+$/, ""), bucket, region, accessKey, secretKey };
}
