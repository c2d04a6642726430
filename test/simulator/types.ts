// Public types of the Coolify simulator. Other parts of the repo code against these names.

export type Ability = "root" | "read" | "write" | "deploy" | "read:sensitive";
export type TeamRole = "owner" | "admin" | "member";
export type DeploymentOutcome = "success" | "fail" | "unhealthy";

export interface SimulatorOptions {
  port?: number; // 0 = ephemeral (default)
  host?: string; // default "127.0.0.1"
  openapiPath?: string | null; // default: <repo>/../shared/coolify/openapi.yaml if it exists; null = no validation
  deleteDelayMs?: number; // queued-delete delay, default 300
  deploymentPhaseMs?: number; // time per deployment phase (queued->in_progress->finished), default 200
  rateLimitPerMinute?: number; // per token owner, default 200
  version?: string; // reported by /api/v1/version, default "4.3.11"
  tls?: { cert: string; key: string }; // also serve application https domains
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
  clearRequestLog(): void;
  state(): SimulatorState;
  setDeploymentOutcome(appUuid: string | "*", outcome: DeploymentOutcome): void;
  setClockSpeed(factor: number): void;
  step(ms: number): void;
}
