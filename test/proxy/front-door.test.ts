// The agent's front door through a real reverse proxy: the agent image (agent/Dockerfile) runs
// with podman, carrying exactly the labels the program sends Coolify as custom_labels for a stack
// with a frontDoor, behind the real Traefik reading them through podman's Docker API, with TLS.
// Checked: HTTP redirects to HTTPS, the security headers, the rate limit (429 past the burst,
// never on /health), the body limit, Socket.IO chat, CORS refusing another origin, and the web UI
// in headless Chromium sending a message and showing the reply (screenshot kept as an artifact).
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Postgres, startPostgres } from "../../agent/scripts/postgres.mjs";
import { AGENT_PORT } from "../../components/agent-env";
import { proxyOptions } from "../../lib/front-door";
import { decodeLabels, encodeLabels, labelsFor } from "../../providers/coolify/src/provider/proxy-labels";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import { type ModelServer, REPLY_MARKER, startModelServer } from "../model-server/index";
import {
  containerEnv,
  devStackAgent,
  HOST_FROM_CONTAINER,
  runAgentContainer,
  writeEnvFile,
} from "../production/dev-agent";
import { ensureImage } from "../production/image";
import { podmanRaw, REPO_DIR } from "../production/podman";
import { connectSocketIo, joinChannel } from "../production/socketio-client";
import { launchChromium, type Page } from "./chromium";
import { makeCertificate } from "./tls";
import { type Running, startPodmanApi, startTraefik, traefikBinary } from "./traefik";

const HOST = "bod.front-door.test";
const FRONTEND = "https://app.front-door.test";
const MODEL_KEY = "sk-front-door-test-model-key";
const AGENT_NAME = "Server Bod";
/** The application uuid Coolify would have given; its router names carry it. */
const APP_UUID = "fdtest0000000000000000aa";
const ARTIFACTS = join(REPO_DIR, "test-artifacts", "proxy");
const FRONT_DOOR = {
  // Above the web UI's burst of asset requests, below what a loop of requests sends at once.
  rateLimit: { average: 600, period: "1m", burst: 40 },
  corsOrigins: [FRONTEND],
  maxBodySize: "64k",
  webUi: true,
};

describe("the front door through the real Traefik", () => {
  let dir: string;
  let postgres: Postgres;
  let model: ModelServer;
  let podmanApi: Running | undefined;
  let traefik: Running | undefined;
  let container = "";
  let dispatcher: Agent;
  let httpPort: number;
  let httpsPort: number;
  let agentId: string;
  let labels: string[];
  const authToken = `front-door-${randomUUID()}`;
  const origin = () => `https://${HOST}:${httpsPort}`;
  const request = (path: string, init: Parameters<typeof undiciFetch>[1] = {}) =>
    undiciFetch(`${origin()}${path}`, { dispatcher, ...init, signal: AbortSignal.timeout(30_000) });
  const diagnostics = async () => {
    const logs = container ? await podmanRaw(["logs", "--tail", "40", container]) : undefined;
    return `--- traefik (tail) ---\n${traefik?.output().slice(-4_000)}\n--- agent (tail) ---\n${logs?.stdout.slice(-3_000)}${logs?.stderr.slice(-3_000)}`;
  };
  const withDiagnostics = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof Error) error.message += `\n${await diagnostics()}`;
      throw error;
    }
  };

  beforeAll(async () => {
    const startedAt = Date.now();
    dir = mkdtempSync(join(tmpdir(), "front-door-"));
    const bin = traefikBinary();
    const image = await ensureImage((line) => console.info(`[image] ${line}`));
    postgres = await startPostgres();
    model = await startModelServer({ apiKey: MODEL_KEY });
    // The dev stack's first agent with this test's domain, model server and front door.
    const agent = devStackAgent({
      modelKey: MODEL_KEY,
      agent: {
        domain: `https://${HOST}`,
        modelBaseUrl: `http://${HOST_FROM_CONTAINER}:${new URL(model.url).port}/v1`,
      },
      values: { frontDoor: FRONT_DOOR },
    });
    if (!agent.frontDoor) throw new Error("the test stack has no agent with a front door");

    // The labels exactly as the Application resource writes them to custom_labels, read back the
    // way Coolify's deploy does (base64, coolify.* lines dropped), plus Coolify's own coolify.* ones.
    const written = labelsFor(
      { uuid: APP_UUID, domains: [`https://${HOST}`], port: AGENT_PORT },
      proxyOptions(agent.frontDoor),
    );
    if (!written) throw new Error("the front door produced no labels");
    labels = decodeLabels(encodeLabels(written));
    const env = containerEnv(agent, { postgresUrl: postgres.url, apiToken: authToken, modelKey: MODEL_KEY });
    const envFile = writeEnvFile(join(dir, "agent.env"), env);
    container = `eliza-front-door-test-${process.pid}`;
    const containerStartedAt = Date.now();
    await runAgentContainer({
      name: container,
      kind: "proxy",
      image: image.tag,
      envFile,
      hostPort: await freePort(),
      labels: ["coolify.managed=true", `coolify.name=${agent.name}`, ...labels],
    });

    const cert = makeCertificate(dir, HOST);
    const socket = join(dir, "podman.sock");
    podmanApi = startPodmanApi(socket);
    httpPort = await freePort();
    httpsPort = await freePort();
    traefik = startTraefik(bin, {
      dir,
      socket,
      httpPort,
      httpsPort,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
    });
    const lookup: LookupFunction = (hostname, options, callback) => {
      if (hostname !== HOST) return callback(new Error(`unexpected host ${hostname}`), "", 4);
      if (options.all)
        return (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: "127.0.0.1", family: 4 },
        ]);
      callback(null, "127.0.0.1", 4);
    };
    dispatcher = new Agent({ connect: { ca: cert.caPem, lookup } });

    // Ready when the agent answers /health through the proxy (routers built, agent started).
    await withDiagnostics(async () => {
      const deadline = Date.now() + 180_000;
      let last = "no answer";
      while (Date.now() < deadline) {
        try {
          const res = await request("/health");
          if (res.status === 200) return;
          last = `${res.status} ${(await res.text()).slice(0, 200)}`;
        } catch (error) {
          last = (error as Error).message;
        }
        // Traefik routes to a container with a health check only once it is healthy, and podman
        // runs health checks on a systemd timer, which this machine has not: run it by hand.
        await podmanRaw(["healthcheck", "run", container]);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      throw new Error(`/health through Traefik did not answer 200 within 180 s (${last})`);
    });
    console.info(
      `[proxy] container start to /health 200 through Traefik: ${Date.now() - containerStartedAt} ms; setup ${Date.now() - startedAt} ms`,
    );
  }, 900_000);

  afterAll(async () => {
    if (container) await podmanRaw(["rm", "-f", "-t", "0", container]);
    await traefik?.stop();
    await podmanApi?.stop();
    await model?.close();
    await postgres?.close();
    await dispatcher?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("redirects HTTP to HTTPS", async () => {
    const res = await undiciFetch(`http://${HOST}:${httpPort}/health`, { dispatcher, redirect: "manual" });
    expect([301, 302, 307, 308]).toContain(res.status);
    expect(res.headers.get("location")).toMatch(
      new RegExp(`^https://${HOST.replace(/\./g, "\\.")}(:\\d+)?/health$`),
    );
  });

  it("serves TLS with the certificate for the domain (verified against the CA)", async () => {
    const res = await request("/health");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("OK");
  });

  it("sends the security headers, over the agent's own", async () => {
    const res = await request("/health");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // ElizaOS's helmet sends SAMEORIGIN and no-referrer-when-downgrade; the proxy's values win.
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });

  it("answers chat over HTTP through the proxy (the program's smoke test)", async () => {
    const fetchImpl = ((url: string, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
    const result = await withDiagnostics(() =>
      runSmokeTest({ baseUrl: origin(), authToken, agentName: AGENT_NAME, timeoutMs: 90_000, fetchImpl }),
    );
    expect(result.reply).toContain(REPLY_MARKER);
    agentId = result.agentId;
  });

  it("carries a Socket.IO chat through the proxy (WebSocket upgrade over TLS)", async () => {
    const userId = randomUUID();
    const opened = await request("/api/messaging/sessions", {
      method: "POST",
      headers: { "x-api-key": authToken, "content-type": "application/json" },
      body: JSON.stringify({ agentId, userId }),
    });
    expect(opened.status).toBe(201);
    const { sessionId, channelId } = (await opened.json()) as { sessionId: string; channelId: string };
    const socket = await withDiagnostics(() =>
      connectSocketIo(origin(), { entityId: userId, apiKey: authToken }, 15_000, dispatcher),
    );
    try {
      await joinChannel(socket, { channelId, entityId: userId, agentId }, 15_000);
      const sent = await request(`/api/messaging/sessions/${sessionId}/messages`, {
        method: "POST",
        headers: { "x-api-key": authToken, "content-type": "application/json" },
        body: JSON.stringify({ content: "hello through the front door", transport: "websocket" }),
      });
      expect(sent.status).toBeLessThan(300);
      const reply = await withDiagnostics(() =>
        socket.waitFor<{ senderId?: string; text?: string; channelId?: string; roomId?: string }>(
          "messageBroadcast",
          (d) => d.senderId === agentId && (d.channelId ?? d.roomId) === channelId,
          45_000,
        ),
      );
      expect(reply.text).toContain(REPLY_MARKER);
    } finally {
      socket.close();
    }
  });

  it("lets the frontend's origin call the API and refuses another origin", async () => {
    const preflight = (from: string) =>
      request("/api/agents", {
        method: "OPTIONS",
        headers: {
          origin: from,
          "access-control-request-method": "GET",
          "access-control-request-headers": "x-api-key",
        },
      });
    const allowed = await preflight(FRONTEND);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(FRONTEND);
    const other = await preflight("https://evil.example.com");
    // The cors package answers with the one configured origin: a browser on another origin
    // sees a mismatch and refuses the response.
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("*");
    const get = await request("/api/agents", {
      headers: { origin: "https://evil.example.com", "x-api-key": authToken },
    });
    expect(get.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.com");
  });

  it("refuses a request body above maxBodySize with 413", async () => {
    const res = await request("/api/messaging/sessions", {
      method: "POST",
      headers: { "x-api-key": authToken, "content-type": "application/json" },
      body: JSON.stringify({ agentId, userId: randomUUID(), padding: "x".repeat(70 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it("shows the web UI in Chromium through the proxy: a message sent in the page gets its reply", async () => {
    const page: Page = await launchChromium({ hostMap: `MAP ${HOST} 127.0.0.1`, port: await freePort() });
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = async () => writeFileSync(join(ARTIFACTS, "web-ui-chat.png"), await page.screenshot());
    const pageText = async () => (await page.evaluate<string>("document.body.innerText")).slice(-1_500);
    try {
      // The UI keeps the API key per origin in localStorage (eliza-api-key-<origin>).
      await page.navigate(`${origin()}/healthz`);
      await page.evaluate(
        `localStorage.setItem("eliza-api-key-" + location.origin, ${JSON.stringify(authToken)})`,
      );
      if (!agentId) {
        // Run alone (-t): find the agent the smoke test would have found.
        const list = await request("/api/agents", { headers: { "x-api-key": authToken } });
        agentId = ((await list.json()) as { data: { agents: { id: string }[] } }).data.agents[0]?.id ?? "";
      }
      await page.navigate(`${origin()}/chat/${agentId}`);
      await page.waitFor(`document.querySelector("textarea")`, 60_000, "the chat input");
      // The page shows messages once its Socket.IO connection (through the proxy) is up.
      await page.waitFor(
        `document.body.innerText.includes("Connected")`,
        60_000,
        "the page's Socket.IO connection",
      );
      const message = `hello from the browser ${randomUUID().slice(0, 8)}`;
      const replies = () =>
        page.evaluate<number>(`document.body.innerText.split(${JSON.stringify(REPLY_MARKER)}).length`);
      const before = await replies();
      await page.evaluate(`document.querySelector("textarea").focus()`);
      await page.send("Input.insertText", { text: message });
      for (const type of ["keyDown", "keyUp"]) {
        await page.send("Input.dispatchKeyEvent", {
          type,
          key: "Enter",
          code: "Enter",
          windowsVirtualKeyCode: 13,
          text: type === "keyDown" ? "\r" : undefined,
        });
      }
      // The message the page sent reached the agent: it is in the server's message store.
      const stored = async () =>
        (await postgres.query<{ content: string }>("select content from central_messages")).some(
          (row) => row.content === message,
        );
      const until = Date.now() + 30_000;
      while (!(await stored()) && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
      expect(await stored(), "the message typed in the page is in central_messages").toBe(true);
      await page.waitFor(
        `document.body.innerText.split(${JSON.stringify(REPLY_MARKER)}).length > ${before}`,
        60_000,
        "the agent's reply in the page",
      );
      await shot();
    } catch (error) {
      await shot();
      if (error instanceof Error)
        error.message += `\n--- page text (tail) ---\n${await pageText()}\n${await diagnostics()}`;
      throw error;
    } finally {
      await page.close();
    }
  });

  it("answers 429 past the burst for one client, but never on /health", async () => {
    // The web UI and the tests above spent part of the bucket; let it refill (10 a second).
    await new Promise((r) => setTimeout(r, 5_000));
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) {
      const res = await request("/api/server/ping", { headers: { "x-api-key": authToken } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const limited = statuses.filter((s) => s === 429).length;
    console.info(
      `[proxy] rate limit: ${statuses.indexOf(429)} requests passed before the first 429; ${limited} of 120 answered 429`,
    );
    expect(
      statuses.slice(0, 30).every((s) => s === 200),
      statuses.join(","),
    ).toBe(true);
    expect(limited).toBeGreaterThan(30);
    // Still limited now, and /health passes all the same.
    for (let i = 0; i < 30; i++) {
      const res = await request("/health");
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
  });
});
