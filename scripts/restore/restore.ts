// The restore procedure (Coolify has no restore API): find the backup, download it, stop the
// agents, load it into the database with pg_restore, start the agents and prove they answer.
// It says what it did in one line per step, and never leaves the agents stopped or the
// database public when a step fails.
//
// How it reaches the database: Coolify's internal URL (<uuid>:5432) resolves only on the
// server's docker network. Given --database-url (e.g. through an SSH tunnel), that is used and
// Coolify is not touched. Otherwise the database is made public on a port for the restore and
// private again afterwards, through the API (PATCH is_public + public_port, which starts and
// stops Coolify's database proxy): it needs no SSH access to the server and no extra container,
// and for the minutes it lasts the port is guarded by the database's 40-character password. Use
// --database-url where a port open to the internet is not acceptable.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getObject, type S3Target } from "../../lib/s3";
import { CoolifyClient } from "../../providers/coolify/src/client/client";
import type { BackupConfig, BackupExecution } from "../../providers/coolify/src/client/schemas";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import type { StackFacts } from "./stack";

export interface RestoreOptions {
  /** An execution uuid; default: the latest successful one. */
  execution?: string;
  /** An object key in the stack's S3 bucket, instead of an execution. */
  s3Key?: string;
  /** A backup file on this machine (pg_dump custom format), e.g. copied from the server. */
  file?: string;
  /** A postgres URL that reaches the database from here; otherwise it is made public for the restore. */
  databaseUrl?: string;
  /** The host to reach the public port at (default: the server's IP as Coolify knows it). */
  databaseHost?: string;
  /** The public port to open for the restore (default 54329). */
  publicPort?: number;
  /** The pg_restore to run (default: on PATH, else the embedded-postgres one of the tests' setup). */
  pgRestore?: string;
  /** Bound for each wait (stop, start, healthy, smoke test), in seconds. */
  timeoutSeconds?: number;
}

export type Say = (line: string) => void;

interface Backup {
  what: string;
  file: string;
  cleanup?: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function restore(facts: StackFacts, opts: RestoreOptions, say: Say): Promise<void> {
  const started = Date.now();
  const url = process.env.COOLIFY_URL || facts.coolify.url;
  const token = process.env.COOLIFY_TOKEN || facts.coolify.token;
  if (!url || !token) {
    throw new Error(
      "No Coolify URL or token: set COOLIFY_URL and COOLIFY_TOKEN, or coolify:url and coolify:token in the stack.",
    );
  }
  const client = new CoolifyClient({ baseUrl: url, token });
  const timeoutMs = (opts.timeoutSeconds ?? 600) * 1000;
  say(
    `stack ${facts.stack}: database ${facts.databaseUuid}, agents ${facts.agents.map((a) => `${a.name} (${a.applicationUuid})`).join(", ") || "none"}`,
  );
  const pgRestore = findPgRestore(opts.pgRestore);
  const backup = await fetchBackup(client, facts, opts, say);
  const stopped: typeof facts.agents = [];
  let madePublic = false;
  try {
    for (const agent of facts.agents) {
      await client.stopApplication(agent.applicationUuid);
      stopped.push(agent);
      const status = await waitFor(
        async () => (await client.getApplication(agent.applicationUuid)).status,
        (s) => s.startsWith("exited"),
        timeoutMs,
        `agent ${agent.name} to stop`,
      );
      say(`stopped agent ${agent.name} (${status})`);
    }
    let target: string;
    if (opts.databaseUrl) {
      target = opts.databaseUrl;
      say(`database reached at the given --database-url (${redact(target)})`);
    } else {
      const reach = await makePublic(client, facts, opts);
      madePublic = reach.madePublic;
      target = reach.url;
      say(
        madePublic
          ? `database public on port ${reach.port} for the restore (${redact(target)})`
          : `database already public on port ${reach.port} (${redact(target)})`,
      );
    }
    const seconds = await runPgRestore(pgRestore, target, backup.file, timeoutMs);
    say(`pg_restore --clean --if-exists --no-owner of ${backup.what}: done in ${seconds.toFixed(1)} s`);
  } finally {
    // Whatever happened: the database private again, the agents running again.
    if (madePublic) {
      await client
        .updateDatabase(facts.databaseUuid, { is_public: false })
        .then(() => say("database private again"))
        .catch((e: Error) =>
          say(
            `COULD NOT MAKE THE DATABASE PRIVATE AGAIN: ${e.message} — turn "Make it publicly available" off in Coolify`,
          ),
        );
    }
    backup.cleanup?.();
    for (const agent of stopped) {
      await startAgent(client, facts, agent, timeoutMs, say).catch((e: Error) =>
        say(`AGENT ${agent.name} DID NOT START AGAIN: ${e.message} — start it in Coolify (its page, Deploy)`),
      );
    }
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The backup file on this machine, from --file, an S3 key, an execution or the latest one. */
async function fetchBackup(
  client: CoolifyClient,
  facts: StackFacts,
  opts: RestoreOptions,
  say: Say,
): Promise<Backup> {
  if (opts.file) {
    if (!existsSync(opts.file)) throw new Error(`No backup file at ${opts.file}.`);
    const size = readFileSync(opts.file).length;
    say(`backup: the file ${opts.file} (${size} bytes)`);
    return { what: opts.file, file: opts.file };
  }
  let key = opts.s3Key;
  if (!key) {
    const execution = await findExecution(client, facts, opts.execution);
    const where = execution.s3_uploaded
      ? `s3://${facts.s3?.bucket ?? "?"}/${String(execution.filename).slice(1)}`
      : "the server only";
    say(
      `backup: execution ${execution.uuid} of ${execution.created_at}, ${execution.filename} (${execution.size} bytes), in ${where}`,
    );
    if (!execution.s3_uploaded || !facts.s3) {
      throw new Error(
        `Backup ${execution.uuid} is on the Coolify server only (${execution.filename}); Coolify has no API to download it. ` +
          `Copy it here (scp root@<server>:${execution.filename} .) and run the restore again with --file <that file>. ` +
          "Nothing was changed.",
      );
    }
    key = String(execution.filename).slice(1);
  }
  if (!facts.s3)
    throw new Error(`Stack ${facts.stack} has no S3 target (eliza-coolify:backupS3*): give --file instead.`);
  const s3: S3Target = facts.s3;
  const t0 = Date.now();
  const data = await getObject(s3, key);
  const dir = mkdtempSync(join(tmpdir(), "eliza-coolify-restore-"));
  const file = join(dir, key.split("/").pop() ?? "backup.dmp");
  writeFileSync(file, data, { mode: 0o600 });
  say(
    `downloaded ${data.length} bytes from s3://${s3.bucket}/${key} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    what: `s3://${s3.bucket}/${key}`,
    file,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function findExecution(
  client: CoolifyClient,
  facts: StackFacts,
  uuid?: string,
): Promise<BackupExecution> {
  const configs: BackupConfig[] = await client.listDatabaseBackups(facts.databaseUuid);
  const mine = facts.backupUuid ? configs.filter((c) => c.uuid === facts.backupUuid) : configs;
  const all = mine.flatMap((c) => c.executions ?? []);
  if (uuid) {
    const found = all.find((e) => e.uuid === uuid);
    if (!found) throw new Error(`No backup execution ${uuid} on database ${facts.databaseUuid}.`);
    if (found.status !== "success")
      throw new Error(`Backup execution ${uuid} is ${found.status}: pick a successful one.`);
    return found;
  }
  const ok = all
    .filter((e) => e.status === "success" && e.filename && (e.s3_uploaded || !facts.s3))
    .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const latest = ok[0] ?? all.find((e) => e.status === "success" && e.filename);
  if (!latest)
    throw new Error(`Database ${facts.databaseUuid} has no successful backup yet. Nothing was changed.`);
  return latest;
}

async function makePublic(
  client: CoolifyClient,
  facts: StackFacts,
  opts: RestoreOptions,
): Promise<{ url: string; port: number; madePublic: boolean }> {
  const db = await client.getDatabase(facts.databaseUuid);
  let port = opts.publicPort ?? 54329;
  let madePublic = false;
  if (db.is_public && db.public_port) port = db.public_port;
  else {
    // Coolify starts its proxy only when both fields come in one request (notes P28).
    await client.updateDatabase(facts.databaseUuid, { is_public: true, public_port: port });
    madePublic = true;
  }
  const server = (db as { destination?: { server?: { ip?: string } } }).destination?.server?.ip;
  const host = opts.databaseHost ?? server;
  if (!host) {
    if (madePublic) await client.updateDatabase(facts.databaseUuid, { is_public: false }).catch(() => {});
    throw new Error("Cannot tell the server's address from Coolify: give --database-host <server address>.");
  }
  const { user, name, password } = facts.database;
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
  // Coolify's proxy comes up as a job: wait until the port answers.
  const deadline = Date.now() + 60_000;
  while (!(await reachable(host, port))) {
    if (Date.now() > deadline) {
      if (madePublic) await client.updateDatabase(facts.databaseUuid, { is_public: false }).catch(() => {});
      throw new Error(`The database's public port ${host}:${port} does not answer after 60 s (a firewall?).`);
    }
    await sleep(500);
  }
  return { url, port, madePublic };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

function findPgRestore(given?: string): string {
  if (given) return given;
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (dir && existsSync(join(dir, "pg_restore"))) return join(dir, "pg_restore");
  const cache =
    process.env.ELIZA_COOLIFY_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? "/root", ".cache"), "eliza-coolify");
  const embedded = join(
    cache,
    "postgres",
    "embedded-postgres-18.6.3",
    "embedded_postgres",
    "pginstall",
    "bin",
    "pg_restore",
  );
  if (existsSync(embedded)) return embedded;
  throw new Error(
    "No pg_restore found: install the PostgreSQL client (apt-get install postgresql-client, version 17 or newer) or " +
      "give --pg-restore <path>. (`bash agent/setup.sh` installs one under ~/.cache/eliza-coolify.)",
  );
}

/** pg_restore into the URL; the password goes by PGPASSWORD, never on the command line. */
function runPgRestore(bin: string, target: string, file: string, timeoutMs: number): Promise<number> {
  const u = new URL(target);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      bin,
      [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--exit-on-error",
        "--host",
        u.hostname,
        "--port",
        u.port || "5432",
        "--username",
        decodeURIComponent(u.username),
        "--dbname",
        decodeURIComponent(u.pathname.slice(1)),
        file,
      ],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          PGPASSWORD: decodeURIComponent(u.password),
          PGCONNECT_TIMEOUT: "15",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve((Date.now() - t0) / 1000);
      else
        reject(
          new Error(`pg_restore failed (exit ${code}): ${err.trim().split("\n").slice(-5).join(" | ")}`),
        );
    });
  });
}

async function startAgent(
  client: CoolifyClient,
  facts: StackFacts,
  agent: StackFacts["agents"][number],
  timeoutMs: number,
  say: Say,
): Promise<void> {
  const { deploymentUuid } = await client.startApplication(agent.applicationUuid);
  if (deploymentUuid) {
    const status = await waitFor(
      async () => (await client.getDeployment(deploymentUuid)).status,
      (s) => ["finished", "failed", "cancelled-by-user"].includes(s),
      timeoutMs,
      `deployment ${deploymentUuid} of ${agent.name}`,
    );
    if (status !== "finished") throw new Error(`its deployment ${deploymentUuid} ${status}`);
  }
  const status = await waitFor(
    async () => (await client.getApplication(agent.applicationUuid)).status,
    (s) => s.startsWith("running:healthy"),
    timeoutMs,
    `agent ${agent.name} to be running:healthy`,
  );
  say(`started agent ${agent.name} (deployment ${deploymentUuid ?? "already queued"}, ${status})`);
  if (!agent.url) {
    say(`no smoke test for ${agent.name}: it has no domain`);
    return;
  }
  const result = await runSmokeTest({
    baseUrl: agent.url,
    authToken: agent.apiToken,
    timeoutMs: Math.min(timeoutMs, 180_000),
    fetchImpl: fetchVia(facts.network),
  });
  say(`smoke test: ${agent.name} answered "${result.reply.slice(0, 80)}" in ${result.latencyMs} ms`);
}

async function waitFor<T>(
  get: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 500;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s (last: ${String(v)})`);
    await sleep(delay);
    delay = Math.min(5000, delay * 1.5);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "(the given URL)";
  }
}
