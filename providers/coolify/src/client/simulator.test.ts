/**
 * The client against the Coolify simulator (test/simulator): every call, and the retry rules
 * checked in the simulator's request log. The client's clock drives the simulator's virtual
 * clock (sleeping steps it), so Retry-After, backoff and queued deletes cost no wall time.
 *
 * The simulator lives outside this package's rootDir, so it is loaded with a computed dynamic
 * import and described by the minimal local interface below (a static import would pull it
 * into `tsc -b providers/coolify`).
 */
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ClientOptions, CoolifyClient, closeAgents } from "./client";
import type { Clock } from "./clock";
import type { CoolifyError } from "./errors";
import { TokenBucket } from "./rate-limiter";
import { failure } from "./test-helpers";

interface SimFault {
  kind: "latency" | "status" | "reset" | "dropAfterCommit";
  status?: number;
  ms?: number;
  retryAfterSeconds?: number;
  count?: number;
  match?: { method?: string; path?: string | RegExp };
}
interface Sim {
  url: string;
  apiUrl: string;
  rootToken: string;
  close(): Promise<void>;
  control: {
    reset(): void;
    createToken(o: { abilities: string[]; role?: string }): string;
    setApiEnabled(enabled: boolean): void;
    injectFault(f: SimFault): void;
    clearFaults(): void;
    requestLog(): { method: string; path: string; status: number }[];
    clearRequestLog(): void;
    state(): { servers: Record<string, unknown>[]; projects: Record<string, unknown>[] };
    setClockSpeed(f: number): void;
    step(ms: number): void;
  };
}
type StartSimulator = (o: { port?: number; version?: string }) => Promise<Sim>;

const SIMULATOR = path.resolve(__dirname, "../../../../test/simulator/index.ts");

async function loadSimulator(): Promise<StartSimulator> {
  const mod = (await import(SIMULATOR)) as { startSimulator: StartSimulator };
  return mod.startSimulator;
}

/** Sleeping advances the simulator's virtual clock instead of waiting. */
class SimClock implements Clock {
  readonly sleeps: number[] = [];
  private virtual = 0;
  constructor(private readonly sim: Sim) {}
  now(): number {
    return this.virtual;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.virtual += ms;
    this.sim.control.step(ms);
  }
}

describe("client against the simulator", () => {
  let sim: Sim;
  let startSimulator: StartSimulator;
  let clock: SimClock;
  let c: CoolifyClient;
  let serverUuid: string;

  const make = (extra: Partial<ClientOptions> = {}) =>
    new CoolifyClient({
      baseUrl: sim.url,
      token: sim.rootToken,
      clock,
      retryBaseDelayMs: 20,
      rateLimiter: new TokenBucket(100_000, clock),
      ...extra,
    });

  beforeAll(async () => {
    startSimulator = await loadSimulator();
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim?.close();
    await closeAgents();
  });
  beforeEach(() => {
    sim.control.reset();
    sim.control.setClockSpeed(0);
    clock = new SimClock(sim);
    c = make();
    serverUuid = String(sim.control.state().servers[0]?.uuid);
  });

  /** Requests the simulator saw for a path, ignoring the query string. */
  const seen = (method: string, p: RegExp) =>
    sim.control.requestLog().filter((e) => e.method === method && p.test(e.path.split("?")[0] ?? ""));

  async function projectWithEnv() {
    const { uuid } = await c.createProject({ name: "agents", description: "eliza agents" });
    return uuid;
  }

  async function dockerImageApp(projectUuid: string, extra: Record<string, unknown> = {}) {
    return c.createApplication("dockerimage", {
      project_uuid: projectUuid,
      server_uuid: serverUuid,
      environment_name: "production",
      name: "agent",
      docker_registry_image_name: "ghcr.io/elizaos/eliza:1.7.2",
      ports_exposes: "3000",
      autogenerate_domain: false,
      ...extra,
    });
  }

  it("version and the version check", async () => {
    expect(await c.version()).toBe("4.3.11");
    expect(await c.assertSupportedVersion()).toBe("4.3.11");
    const old = await startSimulator({ port: 0, version: "4.1.0" });
    try {
      const oc = new CoolifyClient({
        baseUrl: old.url,
        token: old.rootToken,
        rateLimiter: new TokenBucket(1000),
      });
      const e = await failure(oc.assertSupportedVersion());
      expect(e.code).toBe("unsupported_version");
      expect(e.message).toContain("4.1.0");
    } finally {
      await old.close();
    }
  });

  it("projects and environments", async () => {
    const uuid = await projectWithEnv();
    const p = await c.getProject(uuid);
    expect(p).toMatchObject({ uuid, name: "agents", description: "eliza agents" });
    expect(p.environments.map((e) => e.name)).toContain("production");
    expect((await c.listProjects()).map((x) => x.uuid)).toContain(uuid);

    await c.updateProject(uuid, { description: "changed" });
    expect((await c.getProject(uuid)).description).toBe("changed");

    const staging = await c.createEnvironment(uuid, { name: "staging" });
    const byName = await c.getEnvironment(uuid, "staging");
    const byUuid = await c.getEnvironment(uuid, staging.uuid);
    expect(byName.uuid).toBe(staging.uuid);
    expect(byUuid.name).toBe("staging");
    expect(byName.applications ?? []).toEqual([]);

    const dup = await failure(c.createEnvironment(uuid, { name: "staging" }));
    expect(dup.code).toBe("conflict");

    await c.deleteProject(uuid);
    await c.waitUntilGone("project", uuid);
    expect(isNotFoundError(await failure(c.getProject(uuid)))).toBe(true);
  });

  it("applications: create, read, list, update, lifecycle, delete", async () => {
    const project = await projectWithEnv();
    const created = await dockerImageApp(project, { domains: "http://agent.example.com" });
    expect(created.uuid).toMatch(/^[a-z0-9]{24}$/);
    expect(created.domains).toBe("http://agent.example.com");

    const app = await c.getApplication(created.uuid);
    expect(app).toMatchObject({ uuid: created.uuid, name: "agent", fqdn: "http://agent.example.com" });
    expect(typeof app.status).toBe("string");
    expect((await c.listApplications()).map((a) => a.uuid)).toContain(created.uuid);

    const env = await c.getEnvironment(project, "production");
    expect(env.applications?.map((a) => a.uuid)).toContain(created.uuid);

    await c.updateApplication(created.uuid, { description: "hello", ports_exposes: "3001" });
    expect((await c.getApplication(created.uuid)).description).toBe("hello");

    const start = await c.startApplication(created.uuid);
    expect(start.deploymentUuid).toBeTruthy();
    const dep = await c.getDeployment(start.deploymentUuid as string);
    expect(dep.deployment_uuid).toBe(start.deploymentUuid);
    expect(["queued", "in_progress", "finished"]).toContain(dep.status);
    await clock.sleep(5_000);
    expect((await c.getDeployment(start.deploymentUuid as string)).status).toBe("finished");

    const deployed = await c.deploy(created.uuid, { force: true });
    expect(deployed.deploymentUuid).toBeTruthy();
    expect(seen("POST", /^\/api\/v1\/deploy$/)).toHaveLength(1);

    await clock.sleep(5_000);
    const restarted = await c.restartApplication(created.uuid);
    expect(restarted.deploymentUuid === null || typeof restarted.deploymentUuid === "string").toBe(true);
    await c.stopApplication(created.uuid);

    await c.deleteApplication(created.uuid, { deleteVolumes: true });
    await c.waitUntilGone("application", created.uuid);
    expect(isNotFoundError(await failure(c.getApplication(created.uuid)))).toBe(true);
  });

  it("application env vars: create, list, update, bulk upsert, delete", async () => {
    const project = await projectWithEnv();
    const { uuid: app } = await dockerImageApp(project);
    const flags = { is_preview: false, is_literal: true, is_multiline: false, is_shown_once: false };

    const { uuid: envUuid } = await c.createApplicationEnv(app, {
      key: "LOG_LEVEL",
      value: "info",
      ...flags,
    });
    let envs = await c.listApplicationEnvs(app);
    const prod = envs.filter((e) => !e.is_preview);
    expect(prod.map((e) => e.key)).toEqual(["LOG_LEVEL"]);
    expect(prod[0]?.uuid).toBe(envUuid);

    await c.updateApplicationEnv(app, { key: "LOG_LEVEL", value: "debug", ...flags });
    await c.bulkUpsertApplicationEnvs(app, [
      { key: "LOG_LEVEL", value: "warn", ...flags },
      { key: "OPENAI_API_KEY", value: "sk-test", ...flags, is_runtime: true, is_buildtime: false },
    ]);
    envs = (await c.listApplicationEnvs(app)).filter((e) => !e.is_preview);
    expect(envs.map((e) => e.key).sort()).toEqual(["LOG_LEVEL", "OPENAI_API_KEY"]);
    expect(envs.find((e) => e.key === "LOG_LEVEL")?.value).toBe("warn"); // root token sees values

    await c.deleteApplicationEnv(app, envUuid);
    envs = (await c.listApplicationEnvs(app)).filter((e) => !e.is_preview);
    expect(envs.map((e) => e.key)).toEqual(["OPENAI_API_KEY"]);
  });

  it("postgres: create, read, update, start, restart, delete", async () => {
    const project = await projectWithEnv();
    const db = await c.createPostgres({
      project_uuid: project,
      server_uuid: serverUuid,
      environment_name: "production",
      name: "agent-db",
      image: "pgvector/pgvector:0.8.1-pg17",
      postgres_user: "eliza",
      postgres_db: "eliza",
    });
    expect(db.uuid).toMatch(/^[a-z0-9]{24}$/);
    expect(db.internal_db_url).toMatch(/^postgres(ql)?:\/\/eliza:/);

    const read = await c.getDatabase(db.uuid);
    expect(read).toMatchObject({ uuid: db.uuid, name: "agent-db", image: "pgvector/pgvector:0.8.1-pg17" });

    await c.updateDatabase(db.uuid, { description: "vectors", limits_memory: "512m" });
    expect((await c.getDatabase(db.uuid)).description).toBe("vectors");

    await c.startDatabase(db.uuid);
    await clock.sleep(5_000);
    await c.startDatabase(db.uuid); // already running: still fine
    await c.restartDatabase(db.uuid);

    await c.deleteDatabase(db.uuid);
    await c.waitUntilGone("database", db.uuid);
    expect(isNotFoundError(await failure(c.getDatabase(db.uuid)))).toBe(true);
  });

  it("waitUntilGone backs off from 0.5 s while the delete is queued", async () => {
    const project = await projectWithEnv();
    const { uuid } = await dockerImageApp(project);
    await c.deleteApplication(uuid);
    await c.waitUntilGone("application", uuid);
    expect(clock.sleeps[0]).toBe(500);
    expect(seen("GET", new RegExp(`^/api/v1/applications/${uuid}$`)).at(-1)?.status).toBe(404);
  });

  describe("errors as the user sees them", () => {
    it("401 for a wrong token", async () => {
      const bad = make({ token: "99|not-a-real-token" });
      const e = await failure(bad.listProjects());
      expect(e.code).toBe("unauthorized");
      expect(e.message).toContain("Keys & Tokens -> API tokens");
      expect(e.message).not.toContain("not-a-real-token");
    });

    it("403 when the API is disabled", async () => {
      sim.control.setApiEnabled(false);
      const e = await failure(c.listProjects());
      expect(e.code).toBe("api_disabled");
      expect(e.message).toContain("Settings -> Advanced");
    });

    it("403 when the token lacks an ability", async () => {
      const readOnly = make({ token: sim.control.createToken({ abilities: ["read"] }) });
      const e = await failure(readOnly.createProject({ name: "nope" }));
      expect(e.code).toBe("forbidden");
      expect(e.message).toContain("`write` ability");
    });

    it("404 names what was not found", async () => {
      const e = await failure(c.getApplication("doesnotexist000000000000"));
      expect(e.code).toBe("not_found");
      expect(e.message).toContain("application doesnotexist000000000000");
    });

    it("409 names the conflicting domain and resource", async () => {
      const project = await projectWithEnv();
      const first = await dockerImageApp(project, { name: "first", domains: "https://agent.example.com" });
      const e = await failure(
        dockerImageApp(project, { name: "second", domains: "https://agent.example.com" }),
      );
      expect(e.code).toBe("conflict");
      expect(e.message).toContain("https://agent.example.com");
      expect(e.message).toContain(first.uuid);
      expect(e.message).toContain("forceDomainOverride");
      expect(e.conflicts?.length).toBeGreaterThan(0);
    });

    it("422 lists the fields", async () => {
      const project = await projectWithEnv();
      const e = await failure(dockerImageApp(project, { not_a_field: true }));
      expect(e.code).toBe("validation");
      expect(e.fieldErrors?.not_a_field?.[0]).toContain("not allowed");
      expect(e.message).toContain("not_a_field");
    });
  });

  describe("faults", () => {
    it("429 with Retry-After is retried and the wait honoured (virtual time)", async () => {
      sim.control.injectFault({
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        count: 2,
        match: { method: "GET", path: /projects/ },
      });
      await c.listProjects();
      expect(seen("GET", /^\/api\/v1\/projects$/).map((e) => e.status)).toEqual([429, 429, 200]);
      expect(clock.sleeps).toEqual([1000, 1000]);
    });

    it("429 is retried for a POST too (the server did not process it)", async () => {
      sim.control.injectFault({
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        match: { method: "POST" },
      });
      const { uuid } = await c.createProject({ name: "after-429" });
      expect(seen("POST", /^\/api\/v1\/projects$/).map((e) => e.status)).toEqual([429, 201]);
      expect(sim.control.state().projects.filter((p) => p.uuid === uuid)).toHaveLength(1);
    });

    it.each([502, 503, 504] as const)("GET is retried after %i", async (status) => {
      sim.control.injectFault({ kind: "status", status, count: 2, match: { method: "GET" } });
      await c.listProjects();
      expect(seen("GET", /^\/api\/v1\/projects$/).map((e) => e.status)).toEqual([status, status, 200]);
    });

    it("GET is retried after a reset connection", async () => {
      sim.control.injectFault({ kind: "reset", count: 1, match: { method: "GET" } });
      await c.listProjects();
      expect(seen("GET", /^\/api\/v1\/projects$/).map((e) => e.status)).toEqual([0, 200]);
    });

    it("POST is not replayed after a 502: exactly one request", async () => {
      sim.control.injectFault({ kind: "status", status: 502, match: { method: "POST" } });
      const e = await failure(c.createProject({ name: "once" }));
      expect(e.code).toBe("server");
      expect(seen("POST", /^\/api\/v1\/projects$/)).toHaveLength(1);
    });

    it("POST is not replayed after a dropped response: one request, and the create did happen", async () => {
      sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST" } });
      const e = await failure(c.createProject({ name: "dropped" }));
      expect(e.code).toBe("network");
      expect(seen("POST", /^\/api\/v1\/projects$/)).toHaveLength(1);
      // The caller reconciles by looking the object up, never by sending the POST again.
      expect((await c.listProjects()).filter((p) => p.name === "dropped")).toHaveLength(1);
    });

    it("a bulk env upsert whose answer was lost is sent again: keyed, so nothing is doubled", async () => {
      const project = await projectWithEnv();
      const { uuid: app } = await dockerImageApp(project);
      const flags = { is_preview: false, is_literal: true, is_multiline: false, is_shown_once: false };
      sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "PATCH", path: /\/envs\/bulk$/ } });
      await c.bulkUpsertApplicationEnvs(app, [
        { key: "LOG_LEVEL", value: "warn", ...flags },
        { key: "SERVER_PORT", value: "3000", ...flags },
      ]);
      expect(seen("PATCH", /\/envs\/bulk$/).map((e) => e.status)).toEqual([0, 201]);
      const envs = (await c.listApplicationEnvs(app)).filter((e) => !e.is_preview);
      expect(envs.map((e) => `${e.key}=${e.value}`).sort()).toEqual(["LOG_LEVEL=warn", "SERVER_PORT=3000"]);
    });

    it("a DELETE whose response was dropped is retried and the 404 counts as done", async () => {
      const project = await projectWithEnv();
      sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "DELETE" } });
      await c.deleteProject(project);
      expect(seen("DELETE", /^\/api\/v1\/projects\//).map((e) => e.status)).toEqual([0, 404]);
    });

    it("a slow answer times out per attempt", async () => {
      sim.control.injectFault({ kind: "latency", ms: 400, count: 1, match: { method: "GET" } });
      const fast = make({ timeoutMs: 100 });
      await fast.listProjects(); // first attempt times out, the second is answered
      const log = seen("GET", /^\/api\/v1\/projects$/);
      expect(log.length).toBeGreaterThanOrEqual(1);

      sim.control.injectFault({ kind: "latency", ms: 400, count: 1, match: { method: "POST" } });
      const e = await failure(fast.createProject({ name: "slow" }));
      expect(e.code).toBe("timeout");
    });
  });
});

function isNotFoundError(e: CoolifyError): boolean {
  return e.code === "not_found";
}
