// The simulator's domain core: store + virtual clock + timed behaviour (queued deletes, deployment
// lifecycle, container status) + the response views that hide sensitive fields (notes section 7).
import { randomBytes } from "node:crypto";
import { Backings } from "./backing";
import { BackupJobs } from "./backup-job";
import { VirtualClock } from "./clock";
import type { OpenApiValidator } from "./openapi";
import { Runtime } from "./runtime";
import {
  type Application,
  type Database,
  type Deployment,
  type EnvVar,
  isoStamp,
  newUuid,
  type Row,
  Store,
  type Token,
} from "./state";
import type { Ability, DeploymentOutcome, SimulatorState, TeamRole } from "./types";

export interface CoreOptions {
  deleteDelayMs: number;
  deploymentPhaseMs: number;
  rateLimitPerMinute: number;
  version: string;
  /** Servers seeded (1: Coolify's own host only). */
  servers: number;
  /** Allowed internal S3 endpoint hosts (SimulatorOptions.trustedInternalHosts). */
  trustedInternalHosts?: string[];
}

export function makeToken(id: number): string {
  const secret = randomBytes(30)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .padEnd(40, "x")
    .slice(0, 40);
  const crc = randomBytes(4).toString("hex");
  return `${id}|${secret}${crc}`;
}

export class Core {
  store = new Store();
  clock = new VirtualClock();
  readonly rootToken: string;
  /** Called when a deployment (re)starts an application's container (the data plane listens). */
  onContainerStart?: (app: Application, outcome?: DeploymentOutcome) => void;
  /** Database backups (backup-job.ts) and the real processes behind objects (backing.ts). */
  backupJobs = new BackupJobs(this);
  backings = new Backings(this);
  /** Called when an application's container is removed (stop, delete). */
  onContainerStop?: (app: Application) => void;
  /** Images, containers and volumes of the simulated server (runtime.ts). */
  runtime = new Runtime(this);

  constructor(
    public opts: CoreOptions,
    public validator: OpenApiValidator | null,
  ) {
    this.rootToken = makeToken(1);
    this.store.seed(this.rootToken, this.clock.now(), this.opts.servers);
  }

  /** Coolify 4.6.0 and later: DELETE needs the `delete` ability (notes runtime-and-versions.md 4). */
  get deletesNeedDeleteAbility(): boolean {
    const [major = 0, minor = 0] = this.opts.version.replace(/^v/, "").split(".").map(Number);
    return major > 4 || (major === 4 && minor >= 6);
  }

  reset(): void {
    this.clock.reset();
    this.starting.clear();
    this.depOutcome.clear();
    this.backupJobs.reset();
    void this.backings.reset();
    this.runtime.reset();
    this.store = new Store();
    this.store.seed(this.rootToken, this.clock.now(), this.opts.servers);
  }

  now(): number {
    return this.clock.now();
  }

  stamp(): string {
    return isoStamp(this.clock.now());
  }

  createToken(o: { abilities: Ability[]; role?: TeamRole; teamId?: number }): string {
    const teamId = o.teamId ?? 0;
    const role = o.role ?? "owner";
    const s = this.store;
    if (!s.teams.some((t) => t.id === teamId)) {
      const ts = this.stamp();
      s.teams.push({
        id: teamId,
        name: `Team ${teamId}`,
        description: null,
        personal_team: false,
        show_boarding: false,
        created_at: ts,
        updated_at: ts,
      });
    }
    // One user per (team, role); tokens of the same user share a rate-limit bucket (notes 2.5).
    let user = s.users.find((u) => u.roles.size === 1 && u.roles.get(teamId) === role);
    if (!user) {
      const id = s.users.length === 0 ? 0 : Math.max(...s.users.map((u) => u.id)) + 1;
      user = { id, name: `User ${id}`, email: `user${id}@example.com`, roles: new Map([[teamId, role]]) };
      s.users.push(user);
    }
    const id = s.nextId("tokens");
    const plain = makeToken(id);
    s.tokens.push({ id, plain, userId: user.id, teamId, abilities: [...o.abilities] });
    return plain;
  }

  roleOf(token: Token): TeamRole | undefined {
    return this.store.users.find((u) => u.id === token.userId)?.roles.get(token.teamId);
  }

  // ---------------------------------------------------------------- timed behaviour

  /** Queued delete (notes 4.5.4, P6): the row is marked deleting and stays visible until the job has run. */
  queueDelete(
    kind: "application" | "database",
    row: { uuid: string; _deleting: boolean },
    opts: { deleteVolumes?: boolean } = {},
  ): void {
    row._deleting = true;
    const uuid = row.uuid;
    this.clock.after(this.opts.deleteDelayMs, () => {
      const s = this.store;
      if (kind === "application") {
        const app = s.applications.find((a) => a.uuid === uuid);
        if (!app) return;
        // The job stops the containers and, with delete_volumes (default), removes the volumes.
        this.runtime.applicationDeleted(app, opts.deleteVolumes ?? true);
        this.onContainerStop?.(app);
        s.applications = s.applications.filter((a) => a !== app);
        s.envs = s.envs.filter(
          (e) => !(e.resourceable_type === "application" && e.resourceable_id === app.id),
        );
        s.deployments = s.deployments.filter((d) => d.application_id !== app.id);
      } else {
        const db = s.databases.find((d) => d.uuid === uuid);
        if (!db) return;
        s.databases = s.databases.filter((d) => d !== db);
        // Its backup configurations and their executions go with it.
        const configs = new Set(s.backups.filter((b) => b.database_id === db.id).map((b) => b.id));
        s.backups = s.backups.filter((b) => !configs.has(b.id));
        s.executions = s.executions.filter((e) => !configs.has(e.scheduled_database_backup_id));
      }
    });
  }

  /** Coolify's queue_application_deployment: skip when one for the same commit is queued/running. */
  queueDeployment(
    app: Application,
    o: { force: boolean; restartOnly: boolean; isApi: boolean; rollback?: boolean; commit?: string },
  ): { deployment?: Deployment; skipped: boolean } {
    const s = this.store;
    const commit = o.commit ?? String(app.git_commit_sha ?? "HEAD");
    // Rollbacks are never deduplicated (bootstrap/helpers/applications.php:56).
    const dup =
      !o.rollback &&
      s.deployments.some(
        (d) =>
          d.application_id === app.id &&
          d.commit === commit &&
          d.pull_request_id === 0 &&
          (d.status === "queued" || d.status === "in_progress"),
      );
    if (dup) return { skipped: true };
    const server = s.serverOfDestination(app.destination_id);
    const env = s.environments.find((e) => e.id === app.environment_id);
    const project = env ? s.projects.find((p) => p.id === env.project_id) : undefined;
    const uuid = newUuid();
    const ts = this.stamp();
    const dep: Deployment = {
      id: s.nextId("deployments"),
      application_id: app.id,
      deployment_uuid: uuid,
      pull_request_id: 0,
      docker_registry_image_tag: null,
      force_rebuild: o.force,
      commit,
      status: "queued",
      is_webhook: false,
      is_api: o.isApi,
      restart_only: o.restartOnly,
      git_type: null,
      server_id: server?.id ?? 0,
      server_name: server?.name ?? null,
      application_name: app.name,
      deployment_url: `/project/${project?.uuid}/environment/${env?.uuid}/application/${app.uuid}/deployment/${uuid}`,
      destination_id: String(app.destination_id),
      only_this_server: false,
      rollback: o.rollback ?? false,
      commit_message: null,
      build_server_id: null,
      horizon_job_id: null,
      horizon_job_worker: null,
      current_process_id: null,
      logs: JSON.stringify([]),
      finished_at: null,
      created_at: ts,
      updated_at: ts,
    };
    s.deployments.push(dep);
    const outcome: DeploymentOutcome =
      s.outcomes.get(app.uuid) ??
      this.runtime.imageOutcome(app, commit, o.rollback ?? false) ??
      s.outcomes.get("*") ??
      "success";
    this.depOutcome.set(dep.id, outcome);
    this.pump(dep.server_id);
    return { deployment: dep, skipped: false };
  }

  /** Deployments scheduled to leave the queue (a phase after a build slot became free). */
  private starting = new Set<number>();
  private depOutcome = new Map<number, DeploymentOutcome>();

  /**
   * Start queued deployments while the server has free build slots (settings.concurrent_builds,
   * default 2). Deployments of the same application never run side by side.
   */
  pump(serverId: number): void {
    const s = this.store;
    const server = s.servers.find((x) => x.id === serverId);
    const limit = Number(server?.settings.concurrent_builds ?? 2);
    const active = s.deployments.filter(
      (d) => d.server_id === serverId && (d.status === "in_progress" || this.starting.has(d.id)),
    );
    const waiting = s.deployments
      .filter((d) => d.server_id === serverId && d.status === "queued" && !this.starting.has(d.id))
      .sort((a, b) => a.id - b.id);
    for (const d of waiting) {
      if (active.length >= limit) break;
      if (active.some((a) => a.application_id === d.application_id)) continue;
      this.starting.add(d.id);
      active.push(d);
      this.clock.after(this.opts.deploymentPhaseMs, () => this.startDeployment(d));
    }
  }

  private startDeployment(dep: Deployment): void {
    this.starting.delete(dep.id);
    if (dep.status !== "queued" || !this.store.deployments.includes(dep)) {
      this.pump(dep.server_id);
      return;
    }
    dep.status = "in_progress";
    dep.updated_at = this.stamp();
    const app = this.store.applications.find((a) => a.id === dep.application_id);
    const image = app ? this.runtime.deploymentStarted(dep, app) : dep.application_name;
    this.addLog(dep, `Starting deployment of ${image} to ${dep.server_name}.`);
    this.clock.after(this.opts.deploymentPhaseMs, () => this.finishDeployment(dep));
  }

  private finishDeployment(dep: Deployment): void {
    const s = this.store;
    if (dep.status !== "in_progress" || !s.deployments.includes(dep)) {
      this.pump(dep.server_id);
      return;
    }
    const outcome = this.depOutcome.get(dep.id) ?? "success";
    const live = s.applications.find((a) => a.id === dep.application_id);
    dep.finished_at = this.stamp();
    dep.updated_at = dep.finished_at;
    if (outcome === "fail") {
      dep.status = "failed";
      this.addLog(dep, "Oops something is not okay, are you okay? 😢", "stderr");
      this.addLog(dep, "Deployment failed. Removing the new version of your application.", "stderr");
      // A failed rollout leaves the previous container (if any) as it was.
      if (live && !live.status.startsWith("running")) live.status = "exited";
    } else {
      dep.status = "finished";
      this.addLog(dep, "New container started.");
      if (live) {
        // The container status is reported by a later status check, not by the deployment itself
        // (DESIGN: a finished deployment is not proof). One more phase until healthy/unhealthy.
        live.status = "starting:unknown";
        const image = this.runtime.imageOfDeployment(dep);
        if (image) {
          this.runtime.imagePresent(dep.server_id, image);
          this.runtime.startContainer(live, image);
        }
        this.onContainerStart?.(live, outcome);
        const healthy = outcome === "unhealthy" ? "running:unhealthy" : "running:healthy";
        // A real process behind the app: its status follows that process.
        const started = this.backings.containerStarting(live);
        if (started) {
          void started.then((ok) => {
            if (live.status === "starting:unknown") live.status = ok ? healthy : "exited";
          });
        } else {
          this.clock.after(this.opts.deploymentPhaseMs, () => {
            if (live.status !== "starting:unknown") return;
            live.status = healthy;
          });
        }
      }
    }
    this.pump(dep.server_id);
  }

  private addLog(dep: Deployment, output: string, type: "stdout" | "stderr" = "stdout"): void {
    const entries = JSON.parse(String(dep.logs ?? "[]")) as Row[];
    entries.push({
      command: null,
      output,
      type,
      timestamp: this.stamp(),
      hidden: false,
      batch: 1,
      order: entries.length + 1,
    });
    dep.logs = JSON.stringify(entries);
  }

  /** StopApplication is a queued job: docker stop + rm of the containers, then status exited. */
  stopApplication(app: Application, dockerCleanup = true): void {
    const removed = () => {
      app.status = "exited";
      this.runtime.removeContainer(app.uuid);
      this.onContainerStop?.(app);
      if (dockerCleanup) this.runtime.cleanupImages(app);
    };
    // A real process behind the app: exited once that process has stopped.
    const stopping = this.backings.containerStopping(app);
    if (stopping) {
      void stopping.finally(removed);
      return;
    }
    this.clock.after(this.opts.deploymentPhaseMs, removed);
  }

  setDatabaseStatusLater(db: Database, status: string): void {
    this.clock.after(this.opts.deploymentPhaseMs, () => {
      db.status = status;
      if (status.startsWith("running")) db.started_at = this.stamp();
    });
  }

  // ---------------------------------------------------------------- views (notes section 7)

  static readonly APP_HIDDEN_ALWAYS = ["id", "domain_dns_statuses", "_deleting", "tags", "team_id"];
  static readonly APP_SENSITIVE = [
    "http_basic_auth_password",
    "manual_webhook_secret_github",
    "manual_webhook_secret_gitlab",
    "manual_webhook_secret_bitbucket",
    "manual_webhook_secret_gitea",
    "dockerfile",
    "docker_compose",
    "docker_compose_raw",
    "custom_labels",
    "private_key_id",
  ];

  appView(app: Application, sensitive: boolean, single: boolean): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(app)) {
      if (Core.APP_HIDDEN_ALWAYS.includes(k)) continue;
      if (k === "settings") continue;
      if (!sensitive && Core.APP_SENSITIVE.includes(k)) continue;
      out[k] = clone(v);
    }
    const server = this.store.serverOfDestination(app.destination_id);
    if (single) {
      out.settings = clone(app.settings);
      out.server_status = Boolean(server?.settings.is_usable && server?.settings.is_reachable);
      if (sensitive && server) {
        const dest = this.store.destinations.find((d) => d.id === app.destination_id);
        out.destination = { ...clone(dest), server: this.serverView(server, true) };
      }
    }
    return out;
  }

  envView(env: EnvVar, sensitive: boolean, applyShownOnce = true): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(env)) {
      if (k === "id" || k === "resourceable_type" || k === "resourceable_id") continue;
      out[k] = clone(v);
    }
    const hide = !sensitive || (applyShownOnce && env.is_shown_once === true);
    if (hide) {
      delete out.value;
      delete out.real_value;
    } else {
      out.real_value = realValue(env);
    }
    return out;
  }

  static readonly DB_SENSITIVE = ["internal_db_url", "external_db_url", "init_scripts", "postgres_password"];

  dbView(db: Database, sensitive: boolean, withDestination: boolean): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(db)) {
      if (k === "id" || k === "_deleting" || k === "tags") continue;
      if (!sensitive && Core.DB_SENSITIVE.includes(k)) continue;
      out[k] = clone(v);
    }
    if (sensitive) {
      out.internal_db_url = this.internalDbUrl(db);
      out.external_db_url = this.externalDbUrl(db);
    }
    const server = this.store.serverOfDestination(db.destination_id);
    out.server_status = Boolean(server?.settings.is_usable && server?.settings.is_reachable);
    if (withDestination && server) {
      const dest = this.store.destinations.find((d) => d.id === db.destination_id);
      out.destination = { ...clone(dest), server: this.serverView(server, sensitive) };
    }
    return out;
  }

  internalDbUrl(db: Database): string {
    return `postgres://${encodeURIComponent(db.postgres_user)}:${encodeURIComponent(db.postgres_password)}@${db.uuid}:5432/${db.postgres_db}`;
  }

  externalDbUrl(db: Database): string | null {
    if (!db.is_public || !db.public_port) return null;
    const server = this.store.serverOfDestination(db.destination_id);
    return `postgres://${encodeURIComponent(db.postgres_user)}:${encodeURIComponent(db.postgres_password)}@${server?.ip}:${db.public_port}/${db.postgres_db}`;
  }

  static readonly SERVER_SENSITIVE = [
    "logdrain_axiom_api_key",
    "logdrain_newrelic_license_key",
    "sentinel_token",
    "sentinel_custom_url",
    "logdrain_custom_config",
    "logdrain_custom_config_parser",
  ];

  serverView(server: Row, sensitive: boolean): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(server)) {
      if (k === "id" || k === "team_id") continue;
      out[k] = clone(v);
    }
    const settings = clone(server.settings) as Row;
    if (!sensitive) for (const k of Core.SERVER_SENSITIVE) delete settings[k];
    out.settings = settings;
    out.is_reachable = settings.is_reachable;
    out.is_usable = settings.is_usable;
    return out;
  }

  deploymentView(dep: Deployment, sensitive: boolean): Row {
    const out = clone(dep) as Row;
    if (!sensitive) delete out.logs;
    // The queue table's application_id is a varchar column: the API returns it as a string.
    out.application_id = String(dep.application_id);
    return out;
  }

  state(): SimulatorState {
    this.clock.tick();
    const s = this.store;
    const strip = (rows: Row[]) => rows.map((r) => clone(r) as Record<string, unknown>);
    return {
      teams: strip(s.teams),
      servers: strip(s.servers),
      destinations: strip(s.destinations),
      projects: strip(s.projects),
      environments: strip(s.environments),
      applications: strip(s.applications),
      envs: strip(s.envs),
      databases: strip(s.databases),
      deployments: strip(s.deployments),
      s3Storages: strip(s.s3Storages),
      backups: strip(s.backups),
      executions: strip(s.executions),
      storages: strip([...s.persistentStorages, ...s.fileStorages]),
      volumes: strip(s.volumes),
      images: strip(s.images),
      apiEnabled: s.apiEnabled,
      now: this.clock.now(),
    };
  }
}

export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** real_value: literal or multiline values are wrapped in single quotes (notes 4.6). */
function realValue(env: EnvVar): string | null {
  if (env.value === null) return null;
  if (env.is_literal || env.is_multiline) return `'${env.value}'`;
  return env.value;
}
