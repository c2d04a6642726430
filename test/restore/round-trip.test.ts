// The restore round trip (`npm run test:restore`): a prod-like stack through the real pulumi CLI
// on the simulator, with a REAL PostgreSQL (pgvector) behind its database and a REAL ElizaOS
// agent behind its application (simulator backings), and a real S3 server (versitygw) as the
// backup target. The agent remembers a conversation; Coolify's scheduled backup dumps it with
// pg_dump and uploads it to S3; the data is lost; `npm run restore` brings it back (download,
// stop the agent, public port, pg_restore, private again, start, smoke test); the agent
// remembers it again through its own API.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, installPostgres, type Postgres, startPostgres } from "../../agent/scripts/postgres.mjs";
import { type AgentServer, assertAgentInstalled, startAgent } from "../../agent/test/harness";
import { listObjects } from "../../lib/s3";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import { DEMO_MODEL_KEY, type LocalStack, openLocalStack, repoRoot } from "../../scripts/demo/local-stack";
import { type ModelServer, startModelServer } from "../model-server";
import { backDatabase, postgresBinDir, psql as runPsql } from "../real-postgres";
import { backupS3Config, type S3Server, startS3Server } from "../s3-server";

const BUCKET = "restore-round-trip";
const PHRASE = "ultramarine-kestrel-4417";
const AGENT_NAME = "Server Bod";

describe("backup and restore round trip (real PostgreSQL with pgvector, real ElizaOS agent, real S3)", () => {
  let s3: S3Server;
  let pg: Postgres;
  let model: ModelServer;
  let t: LocalStack;
  let agent: AgentServer | undefined;
  let pgBin: string;
  let db: { uuid: string; user: string; password: string; name: string };
  let app: string;
  let token: string;
  let agentId: string;
  const evidence: Record<string, number> = {};

  /** psql as the superuser, on the agents' database; -At output. */
  const psql = (sql: string, database = db?.name ?? "postgres"): string =>
    runPsql({ pg, binDir: pgBin }, database, sql);
  const phraseRows = () => ({
    central_messages: Number(psql(`select count(*) from central_messages where content like '%${PHRASE}%'`)),
    memories: Number(psql(`select count(*) from memories where content->>'text' like '%${PHRASE}%'`)),
  });
  const totalRows = () => ({
    central_messages: Number(psql("select count(*) from central_messages")),
    memories: Number(psql("select count(*) from memories")),
  });
  const agentFetch = () =>
    fetchVia({ connectTo: `127.0.0.1:${t.sim.tlsPort}`, caCertificate: t.certs.caPem });
  /** What the agent itself says it remembers (GET /api/memory/:agentId/memories, from the database). */
  async function remembered(): Promise<string[]> {
    const res = await agentFetch()(`https://bod.example.com/api/memory/${agentId}/memories`, {
      headers: { "x-api-key": token },
    });
    if (res.status !== 200)
      throw new Error(
        `memories: ${res.status} ${await res.text()}\n${agent?.logs().slice(-3000) ?? "(no agent)"}`,
      );
    const body = (await res.json()) as { data: { memories: { content: { text?: string } }[] } };
    return body.data.memories.map((m) => m.content.text ?? "");
  }
  const appStatus = () => String(t.sim.control.state().applications.find((a) => a.uuid === app)?.status);

  beforeAll(async () => {
    assertAgentInstalled();
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    pg = await startPostgres();
    pgBin = postgresBinDir(installPostgres());
    model = await startModelServer({ apiKey: DEMO_MODEL_KEY });
    t = await openLocalStack({
      stackName: "prod",
      simulator: { trustedInternalHosts: ["127.0.0.1"] },
      config: {
        ...backupS3Config(s3, BUCKET),
      },
    });
    await t.stack.setConfig("eliza-coolify:agents[0].modelBaseUrl", { value: model.url }, true);
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await t?.close();
    await model?.close();
    await pg?.close();
    await s3?.close();
  }, 120_000);

  it("deploys the stack, then puts the real database and the real agent behind Coolify's objects", {
    timeout: 600_000,
  }, async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    const uuid = String(state.databases[0]?.uuid);
    app = String(state.applications[0]?.uuid);
    const tokens = (up.outputs.agentApiTokens?.value ?? {}) as Record<string, string>;
    token = String(tokens["server-bod"]);
    db = { uuid, ...(await backDatabase(t.sim, uuid, { pg, binDir: pgBin })) };
    t.sim.control.backApplication(app, {
      async start(env) {
        const { SERVER_PORT: _port, SERVER_HOST: _host, ...rest } = env;
        agent = await startAgent({ env: rest, startTimeoutMs: 180_000 });
        console.info(`[restore] the real agent started in ${(agent.coldStartMs / 1000).toFixed(1)} s`);
        return { url: agent.url };
      },
      async stop() {
        await agent?.stop();
        agent = undefined;
      },
    });
    // A redeploy starts the real agent in the app's container, with the app's environment.
    const res = await fetch(`${t.sim.apiUrl}/applications/${app}/restart`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.sim.rootToken}`, accept: "application/json" },
    });
    expect(res.status).toBe(200);
    // Healthy once the real agent serves (its process is behind the app then).
    const deadline = Date.now() + 240_000;
    // appStatus() first: reading the state is what moves the simulator's clock on.
    const served = () => appStatus().startsWith("running:healthy") && agent !== undefined;
    while (!served() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(served(), agent?.logs().slice(-3000)).toBe(true);
  });

  it("the agent remembers a conversation, and Coolify's scheduled backup puts it in S3", {
    timeout: 300_000,
  }, async () => {
    const chat = await runSmokeTest({
      baseUrl: "https://bod.example.com",
      authToken: token,
      agentName: AGENT_NAME,
      message: `Please remember this code word: ${PHRASE}`,
      fetchImpl: agentFetch(),
      timeoutMs: 120_000,
    });
    agentId = chat.agentId;
    // The real agent answered, through our model server (the simulator's fake one says "simulated").
    expect(chat.reply).toContain(AGENT_NAME);
    expect(chat.reply).not.toContain("simulated");
    expect((await remembered()).some((text) => text.includes(PHRASE))).toBe(true);
    const before = phraseRows();
    expect(before.central_messages).toBeGreaterThan(0);
    expect(before.memories).toBeGreaterThan(0);
    evidence.phraseCentralBefore = before.central_messages;
    evidence.phraseMemoriesBefore = before.memories;
    const total = totalRows();
    evidence.totalCentralBefore = total.central_messages;
    evidence.totalMemoriesBefore = total.memories;

    t.sim.control.runScheduledBackups();
    await new Promise((r) => setTimeout(r, 500));
    await t.sim.control.backupJobsIdle();
    const [execution] = t.sim.control.state().executions;
    expect(execution).toMatchObject({ status: "success", s3_uploaded: true });
    // A real pg_dump custom-format archive.
    const dump = t.sim.control.serverFile(String(execution?.filename));
    expect(dump?.subarray(0, 5).toString()).toBe("PGDMP");
    evidence.dumpBytes = dump?.length ?? 0;
    const keys = (await listObjects(s3.target(BUCKET))).map((o) => o.key);
    expect(keys).toContain(String(execution?.filename).slice(1));
  });

  it("the data is lost; the agent no longer remembers", { timeout: 120_000 }, async () => {
    psql("truncate central_messages, memories cascade");
    const lost = phraseRows();
    evidence.phraseCentralLost = lost.central_messages;
    evidence.phraseMemoriesLost = lost.memories;
    expect(lost).toEqual({ central_messages: 0, memories: 0 });
    expect((await remembered()).some((text) => text.includes(PHRASE))).toBe(false);
  });

  /** `npm run restore` as a user runs it (the command, in its own process), with extra arguments. */
  async function runRestore(
    port: number,
    extra: string[] = [],
  ): Promise<{ code: number | null; out: string }> {
    const ws = t.stack.workspace;
    const args = [
      "tsx",
      "scripts/restore/index.ts",
      "--stack",
      "prod",
      "--cwd",
      t.workDir,
      "--database-host",
      "127.0.0.1",
    ];
    args.push("--public-port", String(port), "--pg-restore", join(pgBin, "pg_restore"), "--yes", ...extra);
    const child: ChildProcess = spawn("npx", args, {
      cwd: repoRoot,
      env: { ...process.env, ...ws.envVars, PULUMI_HOME: ws.pulumiHome ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    return { code, out };
  }

  it("a restore that fails leaves the database private and the agent running", {
    timeout: 600_000,
  }, async () => {
    const bogus = join(t.stateDir, "not-a-dump.dmp");
    writeFileSync(bogus, "this is not a pg_dump archive\n");
    const { code, out } = await runRestore(await freePort(), ["--file", bogus]);
    const lines = out.split("\n").filter((l) => l.startsWith("restore: "));
    console.info(`[restore] a failing restore:\n  ${lines.join("\n  ")}`);
    expect(code, out).toBe(1);
    expect(lines.find((l) => l.includes("FAILED"))).toMatch(/^restore: FAILED: pg_restore failed \(exit 1\)/);
    expect(lines).toContain("restore: database private again");
    expect(
      lines.some((l) => /^restore: started agent server-bod \(deployment \w+, running:healthy\)$/.test(l)),
    ).toBe(true);
    expect(t.sim.control.state().databases[0]?.is_public).toBe(false);
    expect(appStatus()).toBe("running:healthy");
  });

  it("npm run restore brings it back, one line per step; the agent remembers it again", {
    timeout: 600_000,
  }, async () => {
    const port = await freePort();
    const { code, out } = await runRestore(port);
    const lines = out.split("\n").filter((l) => l.startsWith("restore: "));
    console.info(`[restore] output:\n  ${lines.join("\n  ")}`);
    expect(code, out).toBe(0);
    const steps = [
      /^restore: stack prod: database \w+, agents server-bod \(\w+\)$/,
      /^restore: backup: execution \w+ of .*pg-dump-eliza-\d+\.dmp \(\d+ bytes\), in s3:\/\/restore-round-trip\//,
      /^restore: downloaded \d+ bytes from s3:\/\/restore-round-trip\/data\/coolify\/backups\/databases\//,
      /^restore: stopped agent server-bod \(exited\)$/,
      new RegExp(`^restore: database public on port ${port} for the restore`),
      /^restore: pg_restore --clean --if-exists --no-owner of s3:\/\/.*: done in [\d.]+ s$/,
      /^restore: database private again$/,
      /^restore: started agent server-bod \(deployment \w+, running:healthy\)$/,
      /^restore: smoke test: server-bod answered ".*Server Bod.*"/,
      /^restore: done in [\d.]+ s$/,
    ];
    expect(lines).toHaveLength(steps.length);
    steps.forEach((re, i) => {
      expect(lines[i]).toMatch(re);
    });
    // The secret values never reach the output.
    expect(out).not.toContain(db.password);
    expect(out).not.toContain(s3.secretKey);
    // The database is private again, the agent runs again (a new process behind the app).
    expect(t.sim.control.state().databases[0]?.is_public).toBe(false);
    expect(appStatus()).toBe("running:healthy");

    const after = phraseRows();
    evidence.phraseCentralAfter = after.central_messages;
    evidence.phraseMemoriesAfter = after.memories;
    expect(after).toEqual({
      central_messages: evidence.phraseCentralBefore,
      memories: evidence.phraseMemoriesBefore,
    });
    const total = totalRows();
    // Everything the backup held, plus what the restore's smoke test said since.
    expect(total.central_messages).toBeGreaterThanOrEqual(evidence.totalCentralBefore as number);
    expect(total.memories).toBeGreaterThanOrEqual(evidence.totalMemoriesBefore as number);
    evidence.totalCentralAfter = total.central_messages;
    evidence.totalMemoriesAfter = total.memories;
    expect((await remembered()).some((text) => text.includes(PHRASE))).toBe(true);
    console.info(`[restore] row counts: ${JSON.stringify(evidence)}`);
  });
});
