// In-memory store of the simulator: the seeded team, user, server and destination, and every object
// created through the API. Records are plain objects so they can be deep-copied for state().
import { randomBytes } from "node:crypto";
import type { Ability, DeploymentOutcome, TeamRole } from "./types";

export type Row = Record<string, unknown>;

export interface Team extends Row {
  id: number;
  name: string;
}
export interface User {
  id: number;
  name: string;
  email: string;
  roles: Map<number, TeamRole>; // team id -> role
}
export interface Token {
  id: number;
  plain: string;
  userId: number;
  teamId: number;
  abilities: Ability[];
}
export interface Server extends Row {
  id: number;
  uuid: string;
  name: string;
  ip: string;
  team_id: number;
  proxy: { type: string; status: string };
  settings: Row;
}
export interface Destination extends Row {
  id: number;
  uuid: string;
  name: string;
  network: string;
  server_id: number;
}
export interface Project extends Row {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  team_id: number;
}
export interface Environment extends Row {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  project_id: number;
}
export interface Application extends Row {
  id: number;
  uuid: string;
  name: string;
  fqdn: string | null;
  status: string;
  environment_id: number;
  destination_id: number;
  build_pack: string;
  git_commit_sha: string;
  settings: Row;
  tags: string[];
  /** simulator bookkeeping, stripped from responses */
  _deleting: boolean;
}
export interface EnvVar extends Row {
  id: number;
  uuid: string;
  key: string;
  value: string | null;
  is_preview: boolean;
  is_shown_once: boolean | null;
  resourceable_type: string;
  resourceable_id: number;
}
export interface Database extends Row {
  id: number;
  uuid: string;
  name: string;
  status: string;
  environment_id: number;
  destination_id: number;
  postgres_user: string;
  postgres_password: string;
  postgres_db: string;
  is_public: boolean;
  public_port: number | null;
  _deleting: boolean;
}
export interface Deployment extends Row {
  id: number;
  deployment_uuid: string;
  application_id: number;
  status: string;
  commit: string;
  restart_only: boolean;
  server_id: number;
}

/** An S3 storage (Coolify 4.3.11 source, app/Models/S3Storage.php): key and secret are hidden. */
export interface S3Storage extends Row {
  id: number;
  uuid: string;
  name: string;
  endpoint: string;
  bucket: string;
  region: string;
  key: string;
  secret: string;
  team_id: number;
  is_usable: boolean;
}
/** A scheduled database backup (scheduled_database_backups), columns in table order. */
export interface BackupConfig extends Row {
  id: number;
  uuid: string;
  enabled: boolean;
  save_s3: boolean;
  frequency: string;
  database_id: number;
  s3_storage_id: number | null;
  team_id: number;
}
/** One run of a backup for one database (scheduled_database_backup_executions). */
export interface BackupExecution extends Row {
  id: number;
  uuid: string;
  status: "running" | "success" | "failed";
  message: string | null;
  size: number | null;
  filename: string | null;
  scheduled_database_backup_id: number;
  s3_uploaded: boolean | null;
}
/** A persistent storage (LocalPersistentVolume): a docker volume or a bind mount of the app. */
export interface PersistentStorage extends Row {
  id: number;
  uuid: string;
  /** The docker volume's name: `<app-uuid>-<name>` when created by POST (a PATCH stores it verbatim). */
  name: string;
  mount_path: string;
  host_path: string | null;
  resource_id: number;
}
/** A file storage (LocalFileVolume): a file or directory Coolify writes and mounts. */
export interface FileStorage extends Row {
  id: number;
  uuid: string;
  fs_path: string;
  mount_path: string;
  content: string | null;
  is_directory: boolean;
  is_host_file: boolean;
  resource_id: number;
}
/** A docker volume (or a bind-mounted host directory) on a server, with the files in it. */
export interface Volume extends Row {
  name: string;
  server_id: number;
  /** A host path bound into the container, which `docker volume rm` never removes. */
  bind: boolean;
  /** Path inside the volume (no leading slash) -> content. */
  files: Record<string, string>;
  created_at: string;
}
/** An image present on a server (what `docker images` lists). */
export interface ImageRow extends Row {
  server_id: number;
  repository: string;
  tag: string;
  created_at: number;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Coolify ids: 24 random lower-case alphanumeric characters (notes 1.1 item 3, section 3). */
export function newUuid(): string {
  const bytes = randomBytes(24);
  let s = "";
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

export function randomAlnum(n: number): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(n);
  let s = "";
  for (const b of bytes) s += chars[b % chars.length];
  return s;
}

/** Laravel's JSON date format. */
export function isoStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export const SERVER_IP = "192.0.2.10";
/** At most this many seeded servers: their uuids end in a letter. */
export const MAX_SEEDED_SERVERS = 26;

/** Seeded server k (0 = Coolify's own host): `sim0server0000000000000a`, `...b`, ... */
export function seededServerUuid(k: number): string {
  return `sim0server0000000000000${String.fromCharCode(97 + k)}`;
}
/** Its one destination: `sim0destination000000000` for the first, `sim0destination00000000b`, ... */
export function seededDestinationUuid(k: number): string {
  return k === 0 ? "sim0destination000000000" : `sim0destination00000000${String.fromCharCode(97 + k)}`;
}
/** 192.0.2.10, .11, ... (TEST-NET-1). */
export function seededServerIp(k: number): string {
  return `192.0.2.${10 + k}`;
}

export class Store {
  teams: Team[] = [];
  users: User[] = [];
  tokens: Token[] = [];
  servers: Server[] = [];
  destinations: Destination[] = [];
  projects: Project[] = [];
  environments: Environment[] = [];
  applications: Application[] = [];
  envs: EnvVar[] = [];
  databases: Database[] = [];
  deployments: Deployment[] = [];
  apiEnabled = true;
  outcomes = new Map<string, DeploymentOutcome>();
  s3Storages: S3Storage[] = [];
  backups: BackupConfig[] = [];
  executions: BackupExecution[] = [];
  /** Files on the server's disk (backup dumps), by absolute path. */
  serverFiles = new Map<string, Buffer>();
  persistentStorages: PersistentStorage[] = [];
  fileStorages: FileStorage[] = [];
  volumes: Volume[] = [];
  images: ImageRow[] = [];
  private nextIds = new Map<string, number>();

  nextId(table: string): number {
    const n = (this.nextIds.get(table) ?? 0) + 1;
    this.nextIds.set(table, n);
    return n;
  }

  /**
   * Seed: root team 0 (owner user 0) and `servers` servers, each with proxy TRAEFIK, its own
   * build slots and deployment queue, and one destination (network `coolify`, as Coolify gives a
   * new server). The first is Coolify's own host (`localhost`); the others are remote servers.
   */
  seed(rootToken: string, now: number, servers = 1): void {
    const ts = isoStamp(now);
    this.teams.push({
      id: 0,
      name: "Root Team",
      description: null,
      personal_team: true,
      show_boarding: false,
      created_at: ts,
      updated_at: ts,
    });
    this.users.push({ id: 0, name: "Root User", email: "root@example.com", roles: new Map([[0, "owner"]]) });
    const tokenId = Number(rootToken.split("|")[0]);
    this.nextIds.set("tokens", tokenId);
    this.tokens.push({ id: tokenId, plain: rootToken, userId: 0, teamId: 0, abilities: ["root"] });
    for (let k = 0; k < servers; k++) this.seedServer(k, ts);
  }

  private seedServer(k: number, ts: string): void {
    const serverId = this.nextId("servers");
    const local = k === 0;
    this.servers.push({
      id: serverId,
      uuid: seededServerUuid(k),
      name: local ? "localhost" : `sim-server-${k + 1}`,
      description: local ? "This is the server where Coolify is running on. Don't delete this!" : null,
      ip: seededServerIp(k),
      user: "root",
      port: 22,
      team_id: 0,
      is_coolify_host: local,
      is_build_server: false,
      proxy: { type: "TRAEFIK", status: "running" },
      validation_logs: null,
      created_at: ts,
      updated_at: ts,
      settings: {
        is_reachable: true,
        is_usable: true,
        is_build_server: false,
        concurrent_builds: 2,
        deployment_queue_limit: 25,
        dynamic_timeout: 3600,
        wildcard_domain: null,
        server_timezone: "UTC",
        sentinel_token: randomAlnum(40),
        sentinel_custom_url: null,
        logdrain_axiom_api_key: null,
        logdrain_newrelic_license_key: null,
        logdrain_custom_config: null,
        logdrain_custom_config_parser: null,
      },
    });
    this.destinations.push({
      id: this.nextId("destinations"),
      uuid: seededDestinationUuid(k),
      name: "coolify",
      network: "coolify",
      server_id: serverId,
      type: "standalone",
      created_at: ts,
      updated_at: ts,
    });
  }

  teamOfEnvironment(env: Environment): number | undefined {
    return this.projects.find((p) => p.id === env.project_id)?.team_id;
  }

  teamApplications(teamId: number): Application[] {
    const envIds = new Set(
      this.environments.filter((e) => this.teamOfEnvironment(e) === teamId).map((e) => e.id),
    );
    return this.applications.filter((a) => envIds.has(a.environment_id));
  }

  teamDatabases(teamId: number): Database[] {
    const envIds = new Set(
      this.environments.filter((e) => this.teamOfEnvironment(e) === teamId).map((e) => e.id),
    );
    return this.databases.filter((d) => envIds.has(d.environment_id));
  }

  serverOfDestination(destinationId: number): Server | undefined {
    const d = this.destinations.find((x) => x.id === destinationId);
    return d ? this.servers.find((s) => s.id === d.server_id) : undefined;
  }
}
