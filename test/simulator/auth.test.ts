// Auth, abilities, API gate, rate limit, health and version (notes 2.2 - 2.5, 4.1, P15 - P17, P27).
import { describe, expect, it } from "vitest";
import { call, makeProject, useSimulator } from "./testkit";

const sim = useSimulator({ rateLimitPerMinute: 5 });

describe("health and version (notes 4.1)", () => {
  it("GET /api/health is plain OK without auth", async () => {
    const r = await call(sim, "GET", "/api/health", undefined, { token: null });
    expect(r.status).toBe(200);
    expect(r.text).toBe("OK");
    expect(r.headers.get("content-type")).toContain("text/html");
  });
  it("GET /version is the bare version string and needs auth", async () => {
    const r = await call(sim, "GET", "/version");
    expect(r.status).toBe(200);
    expect(r.text).toBe("4.3.11");
    expect((await call(sim, "GET", "/version", undefined, { token: null })).status).toBe(401);
  });
});

describe("authentication (notes 2.3 step 1)", () => {
  it("401 Unauthenticated for a missing or wrong token", async () => {
    for (const token of [null, "1|nope"]) {
      const r = await call(sim, "GET", "/projects", undefined, { token });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: "Unauthenticated." });
    }
  });
  it("root token has the id| prefix", () => {
    expect(sim.rootToken).toMatch(/^\d+\|[A-Za-z0-9]{48}$/);
  });
  it("unknown paths give the catch-all 404 even without a token", async () => {
    const r = await call(sim, "POST", "/applications/dockercompose", { a: 1 }, { token: null });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "Not found.", docs: "https://coolify.io/docs" });
  });
});

describe("abilities (notes 2.2, P17)", () => {
  it("no implication between abilities: write-only cannot GET, read-only cannot write or deploy", async () => {
    const w = sim.control.createToken({ abilities: ["write"] });
    const r1 = await call(sim, "GET", "/projects", undefined, { token: w });
    expect(r1.status).toBe(403);
    expect(r1.body).toEqual({ message: "Missing required permissions: read" });
    const ro = sim.control.createToken({ abilities: ["read"] });
    const r2 = await call(sim, "POST", "/projects", { name: "abc" }, { token: ro });
    expect(r2.status).toBe(403);
    expect(r2.body).toEqual({ message: "Missing required permissions: write" });
    const r3 = await call(sim, "POST", "/deploy?uuid=x", undefined, { token: ro });
    expect(r3.body).toEqual({ message: "Missing required permissions: deploy" });
  });
  it("member with an elevated token gets 403 Missing required team role; read-only is fine", async () => {
    const m = sim.control.createToken({ abilities: ["root"], role: "member" });
    const r = await call(sim, "GET", "/projects", undefined, { token: m });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: "Missing required team role." });
    const mr = sim.control.createToken({ abilities: ["read"], role: "member" });
    expect((await call(sim, "GET", "/projects", undefined, { token: mr })).status).toBe(200);
  });
  it("tokens are bound to one team", async () => {
    await makeProject(sim, "root team project");
    const other = sim.control.createToken({ abilities: ["root"], teamId: 7 });
    const r = await call(sim, "GET", "/projects", undefined, { token: other });
    expect(r.body).toEqual([]);
  });
});

describe("API gate (notes 2.4, P16)", () => {
  it("disabled API answers 403 with success:true; /enable bypasses it", async () => {
    sim.control.setApiEnabled(false);
    const r = await call(sim, "GET", "/projects");
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ success: true, message: "API is disabled." });
    const e = await call(sim, "POST", "/enable");
    expect(e.status).toBe(200);
    expect(e.body).toEqual({ message: "API enabled." });
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
  });
  it("auth comes before the API gate", async () => {
    sim.control.setApiEnabled(false);
    expect((await call(sim, "GET", "/projects", undefined, { token: null })).status).toBe(401);
  });
  it("/enable is root-team only and POST only", async () => {
    const t = sim.control.createToken({ abilities: ["root"], teamId: 3 });
    const r = await call(sim, "POST", "/disable", undefined, { token: t });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: "You are not allowed to disable the API." });
    const g = await call(sim, "GET", "/enable");
    expect(g.status).toBe(405);
    expect(g.headers.get("allow")).toBe("POST");
  });
});

describe("rate limit (notes 2.5, P27)", () => {
  it("counts per user, sends headers, then 429 Too Many Attempts with Retry-After", async () => {
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(sim, "GET", "/projects");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit")).toBe("5");
      seen.push(Number(r.headers.get("x-ratelimit-remaining")));
    }
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    sim.control.step(15_000);
    const r = await call(sim, "GET", "/projects");
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ message: "Too Many Attempts." });
    expect(r.headers.get("retry-after")).toBe("45");
    expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    // a second token of the same user shares the bucket
    const same = sim.control.createToken({ abilities: ["root"] });
    expect((await call(sim, "GET", "/projects", undefined, { token: same })).status).toBe(429);
    sim.control.step(45_000);
    expect((await call(sim, "GET", "/projects")).status).toBe(200);
  });
  it("a different user has its own bucket", async () => {
    for (let i = 0; i < 5; i++) await call(sim, "GET", "/projects");
    const admin = sim.control.createToken({ abilities: ["root"], role: "admin" });
    expect((await call(sim, "GET", "/projects", undefined, { token: admin })).status).toBe(200);
  });
});
