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
  close(): Promise<void>;
}

export interface FaultMatch {
  method?: string;
  path?: string | RegExp; // matched against the path without query
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
