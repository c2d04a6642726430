// Public types of the Coolify simulator. Other parts of the repo code against these names.

// `delete` exists from Coolify 4.6.0 on, where every DELETE needs it (or root).
export type Ability = "root" | "read" | "write" | "deploy" | "delete" | "read:sensitive";
export type TeamRole = "owner" | "admin" | "member";
export type DeploymentOutcome = "success" | "fail" | "unhealthy";

export interface SimulatorOptions {
  port?: number; // 0 = ephemeral (default)
  host?: string; // default "127.0.0.1"
  openapiPath?: string | null; // default: <repo>/../shared/coolify/openapi.yaml if it exists; null = no validation
  deleteDelayMs?: number; // queued-delete delay, default 300
  deploymentPhaseMs?: number; // time per deployment phase (queued->in_progress->finished), default 200
  rateLimitPerMinute?: number; // per token owner, default 200
  /**
   * Servers to seed, default 1 (Coolify's own host). Each has its own destination, build slots
   * (concurrent_builds 2), deployment queue (limit 25) and proxy: the first server's proxy is the
   * main listener (`url`, `tlsUrl`), every other one listens on a port of its own (`proxies`).
   */
  servers?: number;
  /**
   * The Coolify release modelled, reported by /api/v1/version; default "4.3.11". From 4.6.0 on
   * every DELETE needs the `delete` ability (or root), as the real server does.
   */
  version?: string;
  /**
   * Also serve application https domains (the proxy's https side). `cert`/`key` is the default
   * certificate; `hosts` maps an SNI host name to its own certificate (see setTlsCertificate).
   */
  tls?: { cert: string; key: string; hosts?: Record<string, TlsPem> };
  tlsPort?: number; // port of the https listener, 0 = ephemeral (default)
  /**
   * The instance admin's "allowed internal targets" (Settings > Advanced): S3 endpoint hosts or
   * IPs that may be loopback or private. Default none: such endpoints are refused, as in Coolify.
   */
  trustedInternalHosts?: string[];
}

/** How the next backups of a database end (setBackupOutcome). */
export type BackupOutcome = "success" | "fail";

/**
 * A real PostgreSQL behind a simulator database (backDatabase): reached at host:port with the
 * database's own user, password and name. Backups dump it with the real pg_dump, its public port
 * forwards to it, and applications that name `<db uuid>:5432` reach it (docker's DNS).
 */
export interface DatabaseBacking {
  host: string;
  port: number;
  /** The directory of pg_dump. */
  pgBinDir: string;
}

/**
 * A real process behind a simulator application (backApplication): started with the app's
 * production env when a deployment starts its container, stopped when the app is stopped. The
 * proxy forwards the app's domains to the URL start() resolves with.
 */
export interface ApplicationBacking {
  start(env: Record<string, string>): Promise<{ url: string }>;
  stop(): Promise<void>;
}

export interface TlsPem {
  cert: string;
  key: string;
}

/** How an application's fake ElizaOS misbehaves (setAgentBehaviour). */
export interface AgentBehaviour {
  /** Wall-clock delay before the agent answers a chat message (the model is slow). */
  replyDelayMs?: number;
  /** Every chat message fails as a model provider failure does (500 + run_event error). */
  failChat?: boolean;
  /** The proxy drops the connection without an answer (the container is gone). */
  unreachable?: boolean;
}

/**
 * How the agent built from one image behaves (setImageBehaviour): what its deployment ends as,
 * whether its chat works, and what it prints. `image` is `name:tag` as Coolify deploys it (for a
 * git application the commit sha alone also matches).
 */
export interface ImageBehaviour {
  /** The deployment fails (the image cannot be pulled or built) or ends running:unhealthy. */
  deployment?: "fail" | "unhealthy";
  /** Every chat message fails as a model provider failure does. */
  failChat?: boolean;
  /** Lines the container prints at start; `${NAME}` is replaced by its env value (a leak to mask). */
  logLines?: string[];
}

export interface Simulator {
  url: string;
  apiUrl: string;
  rootToken: string;
  control: SimulatorControl;
  /** Set only when opts.tls was given. */
  tlsUrl?: string;
  tlsPort?: number;
  /**
   * Each seeded server's proxy, in server order: the first is the main listener (which also
   * serves the API); the others route only the applications on their own server.
   */
  proxies: SimulatorProxy[];
  close(): Promise<void>;
}

/** Where one server's proxy (Traefik) listens; a real server would be reached on its IP. */
export interface SimulatorProxy {
  serverUuid: string;
  /** The server's IP as the API reports it (TEST-NET-1, not routable). */
  ip: string;
  url: string;
  port: number;
  /** The https side, when opts.tls was given. */
  tlsUrl?: string;
  tlsPort?: number;
}

export interface FaultMatch {
  method?: string;
  path?: string | RegExp; // matched against the path without query
  /** Matched against the query string without "?", e.g. /uuid=[a-z0-9]{24}/ for one deploy. */
  query?: string | RegExp;
}

export type Fault =
  | { kind: "latency"; ms: number; match?: FaultMatch; count?: number }
  | {
      kind: "status";
      status: 429 | 500 | 502 | 503 | 504;
      retryAfterSeconds?: number;
      match?: FaultMatch;
      count?: number;
    }
  | { kind: "reset"; match?: FaultMatch; count?: number }
  | { kind: "dropAfterCommit"; match?: FaultMatch; count?: number };

export interface RequestLogEntry {
  method: string;
  path: string; // with query
  status: number; // 0 when the socket was destroyed without a response
  at: number; // ms epoch (wall clock)
  durationMs: number;
  token?: string; // short label, never the secret
  fault?: Fault["kind"];
  /**
   * "api": Coolify's API (and /_sim is not logged); "agent": the data plane (the proxy and the
   * deployed agents, reached by an application's domain). Filter on it for API-economy checks.
   */
  plane?: "api" | "agent";
  /** Data plane: the Host the request named, and the application it was routed to (if any). */
  host?: string;
  app?: string;
  /** Data plane: the uuid of the server whose proxy took the request. */
  server?: string;
}

export interface SimulatorState {
  teams: Record<string, unknown>[];
  servers: Record<string, unknown>[];
  destinations: Record<string, unknown>[];
  projects: Record<string, unknown>[];
  environments: Record<string, unknown>[];
  applications: Record<string, unknown>[];
  envs: Record<string, unknown>[];
  databases: Record<string, unknown>[];
  deployments: Record<string, unknown>[];
  s3Storages: Record<string, unknown>[];
  backups: Record<string, unknown>[];
  executions: Record<string, unknown>[];
  /** Persistent storages, then file storages, of every application (rows as Coolify keeps them). */
  storages: Record<string, unknown>[];
  /** Docker volumes (and bind-mounted host paths) on the servers, with their files. */
  volumes: Record<string, unknown>[];
  /** Images present on the servers (repository, tag). */
  images: Record<string, unknown>[];
  apiEnabled: boolean;
  now: number; // virtual clock, ms
}

export interface SimulatorControl {
  reset(): void;
  createToken(o: { abilities: Ability[]; role?: TeamRole; teamId?: number }): string;
  setApiEnabled(enabled: boolean): void;
  injectFault(f: Fault): void;
  clearFaults(): void;
  requestLog(): RequestLogEntry[];
  /**
   * API requests a latency fault is holding right now, not handled yet (a create among them has
   * not reached the store), oldest first.
   */
  inFlight(): RequestLogEntry[];
  /** API answers the OpenAPI document does not allow (validation on); tests expect none. */
  responseViolations(): string[];
  clearRequestLog(): void;
  state(): SimulatorState;
  setDeploymentOutcome(appUuid: string | "*", outcome: DeploymentOutcome): void;
  setClockSpeed(factor: number): void;
  step(ms: number): void;
  /** Make an application's agent slow, broken or unreachable; `{}` restores normal behaviour. */
  setAgentBehaviour(appUuid: string, behaviour: AgentBehaviour): void;
  /**
   * Serve `pem` for SNI `host` on the https listener (null: back to the configured one), e.g. the
   * proxy's self-signed default until Let's Encrypt "issues" the real one. Needs opts.tls.
   */
  setTlsCertificate(host: string, pem: TlsPem | null): void;
  /** The next backups of a database ("*": every database) end so: "fail" fails the dump. */
  setBackupOutcome(databaseUuid: string | "*", outcome: BackupOutcome): void;
  /** Runs every enabled backup now, as Coolify's scheduler does when their time is due. */
  runScheduledBackups(): void;
  /** Resolves when no backup job is running (dumps and uploads are real I/O). */
  backupJobsIdle(): Promise<void>;
  /** A file on the simulated server's disk (a backup dump), or undefined. */
  serverFile(path: string): Buffer | undefined;
  /** Puts a real PostgreSQL behind a database; null removes it. */
  backDatabase(databaseUuid: string, backing: DatabaseBacking | null): Promise<void>;
  /** Puts a real process behind an application; null removes it. */
  backApplication(appUuid: string, backing: ApplicationBacking | null): void;
  /** How the agent deployed from `image` behaves (see ImageBehaviour); `{}` restores. */
  setImageBehaviour(image: string, behaviour: ImageBehaviour): void;
  /** Move a git branch: the next deployment of an application on it builds `commit`. */
  setGitHead(repository: string, branch: string, commit: string): void;
  /**
   * Write a file in an application's running container, as `docker exec` would: under a mounted
   * volume it lands in the volume (kept across redeploys), elsewhere in the container's own layer
   * (gone with the container). Throws when no container runs.
   */
  writeContainerFile(appUuid: string, path: string, content: string): void;
  /** A file as the application's running container sees it; undefined when absent or not running. */
  readContainerFile(appUuid: string, path: string): string | undefined;
}
