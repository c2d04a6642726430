// The data plane: the real post-deploy smoke test (providers/coolify/src/smoke-test.ts) against an
// application created and deployed through the simulator's API, reached by its domain over http
// and https (fetchVia keeps the domain in the URL and connects to the simulator's port).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { runSmokeTest, SmokeTestError, type SmokeTestOptions } from "../../providers/coolify/src/smoke-test";
import { stringToUuid } from "./agent-plane";
import { startSimulator } from "./index";
import { call, makeApp, makeProject } from "./testkit";
import type { Simulator, TlsPem } from "./types";

const HTTP_HOST = "agent-http.example.test";
const HTTPS_HOST = "agent.example.test";
const TOKEN = "sim-auth-token-0123456789";
const CHARACTER = { name: "Server Bod", bio: ["Keeps servers up."], plugins: ["@elizaos/plugin-openai"] };

/** A throwaway CA and server certificates made with the openssl CLI. */
class Pki {
  readonly dir = mkdtempSync(join(tmpdir(), "sim-agent-tls-"));
  readonly ca: TlsPem;
  constructor() {
    this.write(
      "ca.cnf",
      "[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n[dn]\nCN = simulator test CA\n" +
        "[v3]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n",
    );
    this.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes");
    this.openssl("-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-config", "ca.cnf");
    this.run();
    this.ca = this.read("ca");
  }
  leaf(name: string, hosts: string[]): TlsPem {
    this.write(
      `${name}.ext`,
      `basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = ${hosts.map((h) => `DNS:${h}`).join(", ")}\n`,
    );
    this.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes");
    this.openssl("-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${hosts[0]}`);
    this.run();
    this.openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
    );
    this.openssl("-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    this.run();
    return this.read(name);
  }
  selfSigned(name: string, cn: string): TlsPem {
    this.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes");
    this.openssl("-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${cn}`);
    this.run();
    return this.read(name);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
  private args: string[] = [];
  private openssl(...a: string[]): void {
    this.args.push(...a);
  }
  private run(): void {
    execFileSync("openssl", this.args, { cwd: this.dir, stdio: "pipe" });
    this.args = [];
  }
  private write(file: string, text: string): void {
    writeFileSync(join(this.dir, file), text);
  }
  private read(name: string): TlsPem {
    return {
      cert: readFileSync(join(this.dir, `${name}.crt`), "utf8"),
      key: readFileSync(join(this.dir, `${name}.key`), "utf8"),
    };
  }
}

let pki: Pki;
let sim: Simulator;
let viaHttp: typeof fetch;
let viaHttps: typeof fetch;

beforeAll(async () => {
  pki = new Pki();
  const leaf = pki.leaf("agent", [HTTPS_HOST, "other.example.test"]);
  sim = await startSimulator({ tls: leaf, deploymentPhaseMs: 10, deleteDelayMs: 10 });
  viaHttp = fetchVia({ connectTo: `127.0.0.1:${new URL(sim.url).port}` });
  viaHttps = fetchVia({ connectTo: `127.0.0.1:${sim.tlsPort}`, caCertificate: pki.ca.cert });
});
afterAll(async () => {
  await sim?.close();
  pki?.remove();
});
beforeEach(() => {
  sim.control.reset();
  sim.control.setClockSpeed(0);
});

/** Create an app with the domain and production env vars through the API; optionally deploy it. */
async function agentApp(
  domains: string,
  env: Record<string, string>,
  o: { deploy?: boolean } = {},
): Promise<string> {
  const app = await makeApp(sim, await makeProject(sim), { domains });
  for (const [key, value] of Object.entries(env)) {
    const r = await call(sim, "POST", `/applications/${app.uuid}/envs`, { key, value });
    expect(r.status, r.text).toBe(201);
  }
  if (o.deploy !== false) await deploy(app.uuid);
  return app.uuid;
}

async function deploy(uuid: string): Promise<void> {
  const r = await call(sim, "POST", `/applications/${uuid}/start`);
  expect(r.body.deployment_uuid).toBeTruthy();
  sim.control.step(100); // queued -> in_progress -> finished -> starting -> running
}

const defaultEnv = (extra: Record<string, string> = {}) => ({
  ELIZA_SERVER_AUTH_TOKEN: TOKEN,
  AGENT_CHARACTER_JSON: JSON.stringify(CHARACTER),
  OPENAI_API_KEY: "sk-sim-test-key-1234",
  ...extra,
});

function smoke(baseUrl: string, o: Partial<SmokeTestOptions> = {}) {
  return runSmokeTest({
    baseUrl,
    authToken: TOKEN,
    agentName: CHARACTER.name,
    timeoutMs: 5_000,
    fetchImpl: baseUrl.startsWith("https:") ? viaHttps : viaHttp,
    ...o,
  });
}

async function failure(p: Promise<unknown>): Promise<SmokeTestError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof SmokeTestError)) throw new Error(`expected a SmokeTestError, got ${String(e)}`);
  return e;
}

/** GET through the proxy; returns status and body text. */
async function get(url: string, headers: Record<string, string> = {}) {
  const f = url.startsWith("https:") ? viaHttps : viaHttp;
  const r = await f(url, { headers, redirect: "manual" });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

describe("smoke test against the simulated agent", () => {
  it("chats over http by domain, and marks data-plane requests in the request log", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    sim.control.clearRequestLog();
    const result = await smoke(`http://${HTTP_HOST}`);
    expect(result.ok).toBe(true);
    expect(result.agentId).toBe(stringToUuid(CHARACTER.name));
    expect(result.reply).toContain("pong");
    expect(result.reply).toContain("Server Bod");

    const log = sim.control.requestLog();
    const agentPaths = log
      .filter((e) => e.plane === "agent")
      .map((e) => `${e.method} ${e.path.split("?")[0]}`);
    expect(agentPaths).toEqual(
      expect.arrayContaining([
        "GET /healthz",
        "GET /health",
        "GET /api/agents",
        "POST /api/messaging/sessions",
        `POST /api/messaging/sessions/${/[0-9a-f-]{36}/.exec(agentPaths.join(" "))?.[0]}/messages`,
      ]),
    );
    expect(log.filter((e) => e.plane === "agent").every((e) => e.host === HTTP_HOST && e.app === uuid)).toBe(
      true,
    );
    expect(log.filter((e) => e.plane !== "agent")).toEqual([]);
  });

  it("chats over https with the domain's certificate (SNI), the port in the domain being the container's", async () => {
    await agentApp(`https://${HTTPS_HOST}:3000`, defaultEnv());
    const result = await smoke(`https://${HTTPS_HOST}`);
    expect(result.reply).toContain("Server Bod");
  });

  it("answers the real 1.7.2 shapes: health, agents, 401, session, message, delete", async () => {
    await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    const base = `http://${HTTP_HOST}`;
    const healthz = await get(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(JSON.parse(healthz.text)).toMatchObject({ status: "ok" });
    expect(JSON.parse((await get(`${base}/health`)).text)).toMatchObject({
      status: "OK",
      dependencies: { agents: "healthy" },
      agentCount: 1,
    });
    const denied = await get(`${base}/api/agents`, { "x-api-key": "nope" });
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.text)).toEqual({
      error: "API key required",
      message: "Missing or invalid X-API-KEY header",
    });
    const key = { "x-api-key": TOKEN, "content-type": "application/json" };
    const agents = JSON.parse((await get(`${base}/api/agents`, key)).text);
    const id = stringToUuid("Server Bod");
    expect(agents).toEqual({
      success: true,
      data: {
        agents: [
          { id, name: "Server Bod", characterName: "Server Bod", bio: "Keeps servers up.", status: "active" },
        ],
      },
    });
    const userId = "11111111-2222-4333-8444-555555555555";
    const opened = await viaHttp(`${base}/api/messaging/sessions`, {
      method: "POST",
      headers: key,
      body: JSON.stringify({ agentId: id, userId }),
    });
    expect(opened.status).toBe(201);
    const session = (await opened.json()) as Record<string, unknown>;
    expect(session).toMatchObject({ agentId: id, userId, timeoutConfig: { timeoutMinutes: 30 } });
    const sent = await viaHttp(`${base}/api/messaging/sessions/${session.sessionId}/messages`, {
      method: "POST",
      headers: key,
      body: JSON.stringify({ content: "ping", transport: "http" }),
    });
    expect(sent.status).toBe(201);
    expect(await sent.json()).toMatchObject({
      success: true,
      userMessage: { content: "ping", author_id: userId },
      agentResponse: { text: expect.stringContaining("Server Bod"), actions: ["REPLY"] },
      sessionStatus: { renewalCount: 0 },
    });
    const del = await viaHttp(`${base}/api/messaging/sessions/${session.sessionId}`, {
      method: "DELETE",
      headers: key,
    });
    expect(await del.json()).toEqual({
      success: true,
      message: `Session ${session.sessionId} deleted successfully`,
    });
    const missing = await viaHttp(`${base}/api/messaging/sessions/${session.sessionId}/messages`, {
      method: "POST",
      headers: key,
      body: JSON.stringify({ content: "ping", transport: "http" }),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "SESSION_NOT_FOUND" } });
  });

  it("a wrong token is unauthorized (401)", async () => {
    await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    const e = await failure(smoke(`http://${HTTP_HOST}`, { authToken: "not-the-token" }));
    expect(e.code).toBe("unauthorized");
    expect(e.message).toContain("401");
    expect(e.message).toContain("does not match the server's ELIZA_SERVER_AUTH_TOKEN");
  });

  it("a character with another name gives agent_missing, listing the agent that runs", async () => {
    await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    const e = await failure(smoke(`http://${HTTP_HOST}`, { agentName: "Client Bod" }));
    expect(e.code).toBe("agent_missing");
    expect(e.message).toContain('"Server Bod" (');
  });

  it("the default agent is Eliza and the API is open without ELIZA_SERVER_AUTH_TOKEN", async () => {
    await agentApp(`http://${HTTP_HOST}`, { OPENAI_API_KEY: "sk-sim-test-key-1234" });
    const result = await smoke(`http://${HTTP_HOST}`, { authToken: undefined, agentName: "eliza" });
    expect(result.reply).toContain("Eliza");
  });

  it("an invalid model key fails the chat as the real server does, the detail in the agent's logs", async () => {
    await agentApp(`http://${HTTP_HOST}`, defaultEnv({ OPENAI_API_KEY: "invalid" }));
    const e = await failure(smoke(`http://${HTTP_HOST}`));
    expect(e.code).toBe("model_failed");
    expect(e.message).toContain('500 "Failed to process message in HTTP transport"');
    expect(e.message).toContain("Incorrect API key provided: ****");
  });

  it("a missing key for the provider the character asks for fails the chat too", async () => {
    const character = { ...CHARACTER, plugins: ["@elizaos/plugin-anthropic"] };
    await agentApp(
      `http://${HTTP_HOST}`,
      defaultEnv({ AGENT_CHARACTER_JSON: JSON.stringify(character), OPENAI_API_KEY: "" }),
    );
    const e = await failure(smoke(`http://${HTTP_HOST}`));
    expect(e.code).toBe("model_failed");
    expect(e.message).toContain("Anthropic API key is missing");
  });

  it("the domain is Traefik's 404 before the first deployment and after delete", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv(), { deploy: false });
    expect(await get(`http://${HTTP_HOST}/healthz`)).toMatchObject({
      status: 404,
      text: "404 page not found\n",
    });
    // The smoke test takes a 404 on /healthz and /health for an old server; it fails at the agents.
    const before = await failure(smoke(`http://${HTTP_HOST}`, { timeoutMs: 2_000 }));
    expect(before.code).toBe("unexpected_response");
    expect(before.message).toContain("404 page not found");

    await deploy(uuid);
    expect((await get(`http://${HTTP_HOST}/healthz`)).status).toBe(200);
    expect((await call(sim, "DELETE", `/applications/${uuid}`)).status).toBe(200);
    sim.control.step(50);
    expect(sim.control.state().applications).toEqual([]);
    expect(await get(`http://${HTTP_HOST}/healthz`)).toMatchObject({
      status: 404,
      text: "404 page not found\n",
    });
    expect(await get(`http://${HTTP_HOST}/api/agents`)).toMatchObject({
      status: 404,
      text: "404 page not found\n",
    });
  });

  it("an unhealthy deployment outcome answers /health 503 DEGRADED: not ready", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv(), { deploy: false });
    sim.control.setDeploymentOutcome(uuid, "unhealthy");
    await deploy(uuid);
    expect(sim.control.state().applications[0]?.status).toBe("running:unhealthy");
    const health = await get(`http://${HTTP_HOST}/health`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({
      status: "DEGRADED",
      dependencies: { agents: "no_agents" },
      agentCount: 0,
    });
    const e = await failure(smoke(`http://${HTTP_HOST}`, { timeoutMs: 1_500 }));
    expect(e.code).toBe("not_ready");
    expect(e.message).toContain("GET /health answered 503 (status DEGRADED, agents no_agents)");
  });

  it("answers 503 while the container starts, and 404 once stopped", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv(), { deploy: false });
    await call(sim, "POST", `/applications/${uuid}/start`);
    sim.control.step(25); // finished, container starting
    expect(sim.control.state().applications[0]?.status).toBe("starting:unknown");
    expect(await get(`http://${HTTP_HOST}/healthz`)).toMatchObject({
      status: 503,
      text: "no available server\n",
    });
    sim.control.step(20);
    expect((await get(`http://${HTTP_HOST}/healthz`)).status).toBe(200);
    await call(sim, "POST", `/applications/${uuid}/stop`);
    sim.control.step(20);
    expect((await get(`http://${HTTP_HOST}/healthz`)).status).toBe(404);
  });

  it("the container sees env changes only after a redeploy", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    const r = await call(sim, "PATCH", `/applications/${uuid}/envs`, {
      key: "OPENAI_API_KEY",
      value: "invalid",
    });
    expect(r.status, r.text).toBe(201);
    expect((await smoke(`http://${HTTP_HOST}`)).ok).toBe(true);
    await call(sim, "POST", `/applications/${uuid}/restart`);
    sim.control.step(100);
    expect((await failure(smoke(`http://${HTTP_HOST}`))).code).toBe("model_failed");
  });
});

describe("setAgentBehaviour", () => {
  it("failChat, replyDelayMs and unreachable, also through POST /_sim/agent-behaviour", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    sim.control.setAgentBehaviour(uuid, { failChat: true });
    const failed = await failure(smoke(`http://${HTTP_HOST}`));
    expect(failed.code).toBe("model_failed");
    expect(failed.message).toContain("Simulated model failure");

    sim.control.setAgentBehaviour(uuid, { replyDelayMs: 3_000 });
    const slow = await failure(smoke(`http://${HTTP_HOST}`, { timeoutMs: 1_000 }));
    expect(slow.code).toBe("no_reply");

    const r = await call(sim, "POST", "/_sim/agent-behaviour", { appUuid: uuid, unreachable: true });
    expect(r.status).toBe(200);
    const gone = await failure(smoke(`http://${HTTP_HOST}`, { timeoutMs: 1_000 }));
    expect(gone.code).toBe("unreachable");
    expect(sim.control.requestLog().at(-1)).toMatchObject({ plane: "agent", status: 0, app: uuid });

    sim.control.setAgentBehaviour(uuid, {});
    expect((await smoke(`http://${HTTP_HOST}`)).ok).toBe(true);
  });
});

describe("setImageBehaviour", () => {
  it("the reply names the image the container runs; failChat follows the image, not the app", async () => {
    const uuid = await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    expect((await smoke(`http://${HTTP_HOST}`)).reply).toContain("image ghcr.io/elizaos/eliza:v1.7.2");
    sim.control.setImageBehaviour("ghcr.io/elizaos/eliza:v1.7.2", { failChat: true });
    expect((await failure(smoke(`http://${HTTP_HOST}`))).code).toBe("model_failed");
    await call(sim, "PATCH", `/applications/${uuid}`, { docker_registry_image_tag: "v1.7.3" });
    await deploy(uuid);
    expect((await smoke(`http://${HTTP_HOST}`)).reply).toContain("image ghcr.io/elizaos/eliza:v1.7.3");
    const logs = await call(sim, "GET", `/applications/${uuid}/logs`);
    expect(logs.body.logs).toContain("AgentServer is listening");
  });
});

describe("proxy routing", () => {
  it("keeps the API on the simulator's own address and for API paths under other hosts", async () => {
    await agentApp(`http://${HTTP_HOST}`, defaultEnv());
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
    expect((await fetch(`${sim.url}/api/health`)).status).toBe(200);
    const viaDomain = await viaHttp("http://coolify.example.test/api/v1/version", {
      headers: { Authorization: `Bearer ${sim.rootToken}` },
    });
    expect(viaDomain.status).toBe(200);
    // Not an API path, not an app domain: Traefik has no router.
    expect(await get("http://unknown.example.test/")).toMatchObject({
      status: 404,
      text: "404 page not found\n",
    });
  });

  it("redirects http to https for an https domain (force https), and https does not route http domains", async () => {
    await agentApp(`https://${HTTPS_HOST}`, defaultEnv());
    const redirected = await get(`http://${HTTPS_HOST}/healthz?x=1`);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("location")).toBe(`https://${HTTPS_HOST}/healthz?x=1`);

    await agentApp("http://other.example.test", defaultEnv());
    expect((await get("http://other.example.test/healthz")).status).toBe(200);
    expect(await get("https://other.example.test/healthz")).toMatchObject({ status: 404 });
  });

  it("serves a per-host certificate set at run time (the proxy's default until issued)", async () => {
    await agentApp(`https://${HTTPS_HOST}`, defaultEnv());
    const traefik = pki.selfSigned("traefik", "TRAEFIK DEFAULT CERT");
    sim.control.setTlsCertificate(HTTPS_HOST, traefik);
    expect(await peerSubject(HTTPS_HOST)).toBe("TRAEFIK DEFAULT CERT");
    expect(await peerSubject("other.example.test")).toBe(HTTPS_HOST); // the configured one
    // New connections each time: a pooled one would keep the certificate it was opened with.
    const fresh = () => fetchVia({ connectTo: `127.0.0.1:${sim.tlsPort}`, caCertificate: pki.ca.cert });
    await expect(fresh()(`https://${HTTPS_HOST}/healthz`)).rejects.toThrow();
    sim.control.setTlsCertificate(HTTPS_HOST, null);
    expect(await peerSubject(HTTPS_HOST)).toBe(HTTPS_HOST);
    expect((await fresh()(`https://${HTTPS_HOST}/healthz`)).status).toBe(200);
  });

  it("does not route when SNI and Host differ (421)", async () => {
    await agentApp(`https://${HTTPS_HOST}`, defaultEnv());
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: sim.tlsPort,
          path: "/healthz",
          servername: "other.example.test",
          headers: { host: HTTPS_HOST },
          ca: pki.ca.cert,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(421);
  });
});

function peerSubject(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: sim.tlsPort,
        path: "/",
        servername,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
        res.resume();
        resolve(String(cert.subject?.CN));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
