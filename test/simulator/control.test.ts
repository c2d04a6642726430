// Faults, request log, state, reset and the HTTP control surface under /_sim/.
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, useSimulator } from "./testkit";

const sim = useSimulator({ deploymentPhaseMs: 100 });

describe("faults", () => {
  it("status 429 with Retry-After, for `count` matching requests only", async () => {
    sim.control.injectFault({
      kind: "status",
      status: 429,
      retryAfterSeconds: 3,
      count: 2,
      match: { path: "/projects" },
    });
    expect((await call(sim, "GET", "/version")).status).toBe(200); // does not match
    for (let i = 0; i < 2; i++) {
      const r = await call(sim, "GET", "/projects");
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBe("3");
      expect(r.body).toEqual({ message: "Too Many Attempts." });
    }
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
  });
  it("status 500/502/503/504", async () => {
    sim.control.injectFault({ kind: "status", status: 500 });
    const r500 = await call(sim, "GET", "/projects");
    expect(r500.status).toBe(500);
    expect(r500.body).toEqual({ message: "Server Error" });
    for (const status of [502, 503, 504] as const) {
      sim.control.injectFault({ kind: "status", status });
      expect((await call(sim, "GET", "/projects")).status).toBe(status);
    }
  });
  it("latency delays the answer", async () => {
    sim.control.injectFault({ kind: "latency", ms: 120, match: { method: "GET" } });
    const t0 = Date.now();
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });
  it("reset destroys the socket without applying anything", async () => {
    sim.control.injectFault({ kind: "reset", match: { method: "POST", path: /^\/projects$/ } });
    await expect(call(sim, "POST", "/projects", { name: "lost" })).rejects.toThrow();
    expect(sim.control.state().projects).toHaveLength(0);
  });
  it("dropAfterCommit applies the change, then drops the response", async () => {
    sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST", path: "/projects" } });
    await expect(call(sim, "POST", "/projects", { name: "committed" })).rejects.toThrow();
    const state = sim.control.state();
    expect(state.projects.map((p) => p.name)).toEqual(["committed"]);
    expect(state.environments).toHaveLength(1);
    const log = sim.control.requestLog();
    expect(log.at(-1)).toMatchObject({
      method: "POST",
      path: "/api/v1/projects",
      status: 0,
      fault: "dropAfterCommit",
    });
  });
  it("a query match picks one request among those of the same path", async () => {
    sim.control.injectFault({ kind: "status", status: 503, match: { path: "/deploy", query: /uuid=real/ } });
    expect((await call(sim, "POST", "/deploy?uuid=probe")).status).toBe(404);
    expect((await call(sim, "POST", "/deploy?uuid=real")).status).toBe(503);
    expect((await call(sim, "POST", "/deploy?uuid=real")).status).toBe(404);
  });
  it("latency: the held request shows in inFlight and reaches the store only after the delay", async () => {
    sim.control.injectFault({ kind: "latency", ms: 300, match: { method: "POST", path: "/projects" } });
    const created = call(sim, "POST", "/projects", { name: "slow" });
    for (let i = 0; i < 50 && sim.control.inFlight().length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(sim.control.inFlight()).toMatchObject([{ method: "POST", path: "/api/v1/projects" }]);
    expect(sim.control.state().projects).toEqual([]);
    expect((await created).status).toBe(201);
    expect(sim.control.inFlight()).toEqual([]);
    expect(sim.control.state().projects.map((p) => p.name)).toEqual(["slow"]);
  });
  it("clearFaults empties the queue", async () => {
    sim.control.injectFault({ kind: "status", status: 503, count: 5 });
    sim.control.clearFaults();
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
  });
});

describe("request log and state", () => {
  it("logs method, path with query, status, timing and a token label (never the secret)", async () => {
    sim.control.clearRequestLog();
    await call(sim, "GET", "/deployments/applications/x?take=2");
    await call(sim, "GET", "/projects", undefined, { token: null });
    const log = sim.control.requestLog();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      method: "GET",
      path: "/api/v1/deployments/applications/x?take=2",
      status: 404,
    });
    expect(log[0]?.token).toBe("token#1");
    expect(JSON.stringify(log)).not.toContain(sim.rootToken.split("|")[1] ?? "");
    expect(log[1]?.status).toBe(401);
    expect(log[1]?.token).toBeUndefined();
    expect(typeof log[0]?.durationMs).toBe("number");
  });
  it("state() is a deep copy; reset() returns to the seed and keeps the root token", async () => {
    await makeApp(sim, await makeProject(sim));
    const st = sim.control.state();
    expect(st.applications).toHaveLength(1);
    (st.applications[0] as Record<string, unknown>).name = "mutated";
    expect(sim.control.state().applications[0]?.name).not.toBe("mutated");
    expect(st.servers[0]).toMatchObject({
      proxy: { type: "TRAEFIK" },
      settings: { is_reachable: true, is_usable: true },
    });
    sim.control.reset();
    expect(sim.control.state().projects).toEqual([]);
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
  });
});

describe("HTTP control surface /_sim/", () => {
  const post = (path: string, body?: unknown) => call(sim, "POST", path, body ?? {}, { token: null });
  it("tokens, api-enabled, faults (with regex), requests, state, outcome, clock, reset", async () => {
    const tok = await post("/_sim/tokens", { abilities: ["read"] });
    expect(tok.status).toBe(201);
    expect((await call(sim, "POST", "/projects", { name: "abc" }, { token: tok.body.token })).status).toBe(
      403,
    );

    await post("/_sim/api-enabled", { enabled: false });
    expect((await call(sim, "GET", "/projects")).body).toEqual({
      success: true,
      message: "API is disabled.",
    });
    await post("/_sim/api-enabled", { enabled: true });

    await post("/_sim/faults", { kind: "status", status: 503, match: { path: { regex: "^/projects" } } });
    expect((await call(sim, "GET", "/projects")).status).toBe(503);
    await post("/_sim/faults", { kind: "status", status: 503, count: 3 });
    await call(sim, "DELETE", "/_sim/faults", undefined, { token: null });
    expect((await call(sim, "GET", "/projects")).status).toBe(200);

    const reqs = await call(sim, "GET", "/_sim/requests", undefined, { token: null });
    expect(reqs.body.length).toBeGreaterThan(0);
    expect(reqs.body.every((e: { path: string }) => e.path.startsWith("/api/"))).toBe(true);
    await call(sim, "DELETE", "/_sim/requests", undefined, { token: null });
    expect((await call(sim, "GET", "/_sim/requests", undefined, { token: null })).body).toEqual([]);

    const project = await makeProject(sim);
    const app = await makeApp(sim, project);
    await post("/_sim/deployment-outcome", { appUuid: app.uuid, outcome: "fail" });
    await post("/_sim/clock", { speed: 0 });
    const dep = (await call(sim, "POST", `/applications/${app.uuid}/start`)).body.deployment_uuid;
    await post("/_sim/clock", { step: 200 });
    expect((await call(sim, "GET", `/deployments/${dep}`)).body.status).toBe("failed");

    const state = await call(sim, "GET", "/_sim/state", undefined, { token: null });
    expect(state.body.applications).toHaveLength(1);
    expect(state.body.deployments[0].status).toBe("failed");

    await post("/_sim/reset");
    expect((await call(sim, "GET", "/_sim/state", undefined, { token: null })).body.projects).toEqual([]);
  });
  it("bad input gives 400 with an error", async () => {
    const r = await post("/_sim/faults", { kind: "explode" });
    expect(r.status).toBe(400);
  });
});

describe("GET /_sim/info", () => {
  it("gives the root token to a process that did not start the simulator", async () => {
    const r = await call(sim, "GET", "/_sim/info", undefined, { token: null });
    expect(r.body).toMatchObject({ rootToken: sim.rootToken, version: "4.3.11" });
  });
});
