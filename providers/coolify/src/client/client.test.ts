import { inspect } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type ClientOptions, CoolifyClient, closeAgents, type RequestEvent } from "./client";
import { TokenBucket } from "./rate-limiter";
import { ApplicationSchema } from "./schemas";
import {
  FakeClock,
  failure,
  type LoggedRequest,
  type ScriptedReply,
  type ScriptedServer,
  startScriptedServer,
  uniqueToken,
} from "./test-helpers";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await closeAgents();
});

async function serve(handler: (req: LoggedRequest, i: number) => ScriptedReply) {
  const s = await startScriptedServer(handler);
  servers.push(s);
  return s;
}

/** Replies in order; the last one repeats. */
function sequence(...replies: ScriptedReply[]) {
  return (_req: LoggedRequest, i: number) => replies[Math.min(i, replies.length - 1)] as ScriptedReply;
}

function client(url: string, extra: Partial<ClientOptions> = {}) {
  const clock = new FakeClock();
  const events: RequestEvent[] = [];
  const token = uniqueToken();
  const c = new CoolifyClient({
    baseUrl: url,
    token,
    clock,
    retryBaseDelayMs: 10,
    random: () => 0.5,
    rateLimiter: new TokenBucket(10_000, clock),
    onRequest: (e) => events.push(e),
    ...extra,
  });
  return { c, clock, events, token };
}

const app = { uuid: "a1", name: "agent", fqdn: null, status: "exited" };

describe("transport", () => {
  it("sends the token, JSON headers and the /api/v1 prefix; accepts a baseUrl ending in /api/v1", async () => {
    const s = await serve(() => ({ status: 200, body: [] }));
    const a = client(`${s.url}/`);
    await a.c.listProjects();
    const b = client(`${s.url}/api/v1/`);
    await b.c.request("POST", "/projects", { body: { name: "x" }, query: { a: 1, b: true, c: undefined } });
    expect(s.log[0]?.url).toBe("/api/v1/projects");
    expect(s.log[0]?.headers.authorization).toBe(`Bearer ${a.token}`);
    expect(s.log[0]?.headers.accept).toBe("application/json");
    expect(s.log[0]?.headers["content-type"]).toBeUndefined();
    expect(s.log[1]?.url).toBe("/api/v1/projects?a=1&b=true");
    expect(s.log[1]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(s.log[1]?.body ?? "")).toEqual({ name: "x" });
  });

  it("rejects a baseUrl that is not http(s)", () => {
    expect(() => new CoolifyClient({ baseUrl: "ftp://x", token: "1|t" })).toThrow(/coolify:url/);
    expect(() => new CoolifyClient({ baseUrl: "not a url", token: "1|t" })).toThrow(/coolify:url/);
    expect(() => new CoolifyClient({ baseUrl: "https://x", token: " " })).toThrow(/coolify:token/);
  });

  it("reports every attempt to onRequest without the query string or token", async () => {
    const s = await serve(sequence({ status: 503 }, { status: 200, body: app }));
    const { c, events, token } = client(s.url);
    await c.request("GET", "/applications/a1", { query: { x: 1 } });
    expect(events.map(({ ms: _ms, ...e }) => e)).toEqual([
      { method: "GET", path: "/applications/a1", status: 503, attempt: 1 },
      { method: "GET", path: "/applications/a1", status: 200, attempt: 2 },
    ]);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("a throwing onRequest hook does not break the request", async () => {
    const s = await serve(() => ({ status: 200, body: [] }));
    const { c } = client(s.url, {
      onRequest: () => {
        throw new Error("logger broke");
      },
    });
    await expect(c.listProjects()).resolves.toEqual([]);
  });
});

describe("retries", () => {
  it("429 is retried for a POST and honours Retry-After seconds", async () => {
    const s = await serve(
      sequence(
        { status: 429, headers: { "retry-after": "3" }, body: { message: "Too Many Attempts." } },
        {
          status: 201,
          body: { uuid: "p1" },
        },
      ),
    );
    const { c, clock } = client(s.url);
    await expect(c.createProject({ name: "demo" })).resolves.toEqual({ uuid: "p1" });
    expect(s.log).toHaveLength(2);
    expect(clock.sleeps).toEqual([3000]);
  });

  it("429 honours an HTTP-date Retry-After", async () => {
    const when = new Date(Date.now() + 5_000).toUTCString();
    const s = await serve(
      sequence({ status: 429, headers: { "retry-after": when } }, { status: 200, body: [] }),
    );
    const { c, clock } = client(s.url);
    await c.listProjects();
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThan(3_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(5_000);
  });

  it("a storm of 429s with Retry-After is waited out past maxAttempts, each wait as asked", async () => {
    const storm = Array.from({ length: 8 }, () => ({
      status: 429,
      headers: { "retry-after": "3" },
      body: { message: "Too Many Attempts." },
    }));
    const s = await serve(sequence(...storm, { status: 201, body: { uuid: "p1" } }));
    const { c, clock } = client(s.url, { maxAttempts: 3 });
    await expect(c.createProject({ name: "demo" })).resolves.toEqual({ uuid: "p1" });
    expect(s.log).toHaveLength(9);
    expect(clock.sleeps).toEqual(Array(8).fill(3000));
  });

  it("429s with Retry-After end in rate_limited once their wait budget is spent", async () => {
    const s = await serve(() => ({
      status: 429,
      headers: { "retry-after": "2", "x-ratelimit-limit": "200" },
      body: { message: "Too Many Attempts." },
    }));
    const { c, clock } = client(s.url, { maxAttempts: 3, maxRateLimitWaitMs: 7_000 });
    const e = await failure(c.listProjects());
    // 2 + 2 + 2 s waited; a fourth wait would pass the 7 s budget.
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect(s.log).toHaveLength(4);
    expect(e.code).toBe("rate_limited");
    expect(e.retryAfterSeconds).toBe(2);
    expect(e.message).toContain("after 4 attempt(s)");
    expect(e.message).toContain("Retry-After");
    expect(e.message).toContain("200 requests per minute");
  });

  it("429 without Retry-After is retried maxAttempts times in all", async () => {
    const s = await serve(() => ({ status: 429, body: { message: "Too Many Attempts." } }));
    const { c } = client(s.url, { maxAttempts: 3 });
    expect((await failure(c.listProjects())).code).toBe("rate_limited");
    expect(s.log).toHaveLength(3);
  });

  it("429s waited out do not use up the attempts a later 503 gets", async () => {
    const s = await serve(
      sequence(
        { status: 429, headers: { "retry-after": "1" } },
        { status: 429, headers: { "retry-after": "1" } },
        { status: 503 },
        { status: 503 },
        { status: 200, body: [] },
      ),
    );
    const { c } = client(s.url, { maxAttempts: 3 });
    await expect(c.listProjects()).resolves.toEqual([]);
    expect(s.log).toHaveLength(5);
  });

  it("a Retry-After longer than the client will wait fails at once", async () => {
    const s = await serve(() => ({ status: 429, headers: { "retry-after": "3600" } }));
    const { c, clock } = client(s.url);
    const e = await failure(c.listProjects());
    expect(e.code).toBe("rate_limited");
    expect(s.log).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("429 without Retry-After backs off exponentially", async () => {
    const s = await serve(
      sequence({ status: 429 }, { status: 429 }, { status: 429 }, { status: 200, body: [] }),
    );
    const { c, clock } = client(s.url); // base 10, random 0.5
    await c.listProjects();
    expect(clock.sleeps).toEqual([5, 10, 20]);
  });

  it.each([502, 503, 504])("GET is retried after %i", async (status) => {
    const s = await serve(sequence({ status }, { status }, { status: 200, body: app }));
    const { c } = client(s.url);
    await expect(c.getApplication("a1")).resolves.toMatchObject({ uuid: "a1" });
    expect(s.log).toHaveLength(3);
  });

  it("GET gives up after maxAttempts of 502 with a server error", async () => {
    const s = await serve(() => ({ status: 502, text: "<html>Bad Gateway</html>" }));
    const { c } = client(s.url, { maxAttempts: 4 });
    const e = await failure(c.getApplication("a1"));
    expect(e.code).toBe("server");
    expect(e.status).toBe(502);
    expect(s.log).toHaveLength(4);
  });

  it("GET is retried after a reset connection", async () => {
    const s = await serve(sequence("reset", "reset", { status: 200, body: app }));
    const { c } = client(s.url);
    await expect(c.getApplication("a1")).resolves.toMatchObject({ uuid: "a1" });
    expect(s.log).toHaveLength(3);
  });

  it.each([502, 503, 504, 500])("POST is not replayed after %i: exactly one request", async (status) => {
    const s = await serve(() => ({ status, body: { message: "Server Error" } }));
    const { c } = client(s.url);
    const e = await failure(c.createProject({ name: "demo" }));
    expect(s.log).toHaveLength(1);
    expect(e.code).toBe("server");
    expect(e.message).toContain("not sent again");
  });

  it("POST is not replayed after a dropped connection: exactly one request", async () => {
    const s = await serve(() => "reset");
    const { c } = client(s.url);
    const e = await failure(c.createApplication("dockerimage", { name: "x" }));
    expect(s.log).toHaveLength(1);
    expect(e.code).toBe("network");
    expect(e.message).toContain("may have reached Coolify");
  });

  it("PATCH is not replayed after 503", async () => {
    const s = await serve(() => ({ status: 503 }));
    const { c } = client(s.url);
    await failure(c.updateApplication("a1", { name: "y" }));
    expect(s.log).toHaveLength(1);
  });

  it("POST with retrySafe is retried after 502", async () => {
    const s = await serve(sequence({ status: 502 }, { status: 200, body: { ok: true } }));
    const { c } = client(s.url);
    await expect(c.request("POST", "/x", { retrySafe: true })).resolves.toEqual({ ok: true });
    expect(s.log).toHaveLength(2);
  });

  it("a DELETE retried after a 502 that gets 404 counts as done", async () => {
    const s = await serve(
      sequence({ status: 502 }, { status: 404, body: { message: "Application not found" } }),
    );
    const { c } = client(s.url);
    await expect(c.deleteApplication("a1")).resolves.toBeUndefined();
    expect(s.log).toHaveLength(2);
  });

  it("a DELETE retried after a reset that gets 404 counts as done", async () => {
    const s = await serve(sequence("reset", { status: 404, body: { message: "Database not found." } }));
    const { c } = client(s.url);
    await expect(c.deleteDatabase("d1")).resolves.toBeUndefined();
  });

  it("a first-attempt DELETE 404 is a not_found error", async () => {
    const s = await serve(() => ({ status: 404, body: { message: "Application not found" } }));
    const { c } = client(s.url);
    const e = await failure(c.deleteApplication("a1"));
    expect(e.code).toBe("not_found");
    expect(e.message).toContain("application a1");
  });

  it("4xx other than 429 is never retried", async () => {
    const s = await serve(() => ({
      status: 422,
      body: { message: "Validation failed.", errors: { name: ["bad"] } },
    }));
    const { c } = client(s.url);
    const e = await failure(c.getApplication("a1"));
    expect(s.log).toHaveLength(1);
    expect(e.fieldErrors).toEqual({ name: ["bad"] });
  });
});

describe("timeouts and unreachable servers", () => {
  it("a GET that gets no answer times out per attempt and is retried", async () => {
    const s = await serve(sequence("hang", { status: 200, body: [] }));
    const { c } = client(s.url, { timeoutMs: 150 });
    await expect(c.listProjects()).resolves.toEqual([]);
    expect(s.log).toHaveLength(2);
  });

  it("a POST that times out is sent once and reports a timeout", async () => {
    const s = await serve(() => "hang");
    const { c, events } = client(s.url, { timeoutMs: 100 });
    const e = await failure(c.createProject({ name: "demo" }));
    expect(e.code).toBe("timeout");
    expect(e.message).toContain("100 ms");
    expect(s.log).toHaveLength(1);
    expect(events[0]?.status).toBe("network-error");
  });

  it("an unreachable URL is a network error naming the URL and coolify:url", async () => {
    const s = await serve(() => ({ status: 200 }));
    const url = s.url;
    await s.close();
    const { c, events } = client(`${url}/`, { maxAttempts: 3 });
    const e = await failure(c.listProjects());
    expect(e.code).toBe("network");
    expect(e.message).toContain(url);
    expect(e.message).toContain("coolify:url");
    expect(e.message).toContain("ECONNREFUSED");
    expect(events).toHaveLength(3);
  });

  it("a POST to a refused connection is retried: nothing was sent", async () => {
    const s = await serve(() => ({ status: 200 }));
    const url = s.url;
    await s.close();
    const { c, events } = client(url, { maxAttempts: 3 });
    const e = await failure(c.createProject({ name: "x" }));
    expect(e.code).toBe("network");
    expect(events).toHaveLength(3);
    expect(e.message).not.toContain("may have reached");
  });

  it("the caller's abort signal stops retries", async () => {
    const s = await serve(() => ({ status: 503 }));
    const controller = new AbortController();
    const { c } = client(s.url);
    const clockAbort = c.request("GET", "/projects", { signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(clockAbort).rejects.toThrow("cancelled");
  });
});

describe("responses", () => {
  it("a body that does not match the schema is bad_response naming endpoint and field", async () => {
    const s = await serve(() => ({ status: 200, body: { uuid: "a1", name: "x", status: 42 } }));
    const { c } = client(s.url);
    const e = await failure(c.getApplication("a1"));
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("GET /applications/a1");
    expect(e.message).toContain("`status`");
  });

  it("a non-JSON body is bad_response", async () => {
    const s = await serve(() => ({ status: 200, text: "<html>login</html>" }));
    const { c } = client(s.url);
    const e = await failure(c.listProjects());
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("not JSON");
  });

  it("unknown fields pass through", async () => {
    const s = await serve(() => ({
      status: 200,
      body: { ...app, brand_new_field: 1, settings: { is_static: false } },
    }));
    const { c } = client(s.url);
    const a = await c.getApplication("a1");
    expect(a.brand_new_field).toBe(1);
    expect(a.settings).toEqual({ is_static: false });
  });

  it("0/1 flags are read as booleans", () => {
    expect(ApplicationSchema.parse({ ...app, health_check_enabled: 1 }).health_check_enabled).toBe(true);
  });
});

describe("secrets never leak", () => {
  it("the token is in no error message, inspect output or event", async () => {
    const s = await serve(sequence({ status: 401, body: { message: "Unauthenticated." } }, "reset"));
    const { c, token, events } = client(s.url, { maxAttempts: 1 });
    const e1 = await failure(c.listProjects());
    const e2 = await failure(c.createProject({ name: "x" }));
    for (const e of [e1, e2]) {
      expect(e.message).not.toContain(token);
      expect(inspect(e, { depth: 10 })).not.toContain(token);
      expect(JSON.stringify(e)).not.toContain(token);
    }
    expect(inspect(c, { depth: 10 })).not.toContain(token);
    expect(JSON.stringify(c)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("credentials in the baseUrl are not shown", async () => {
    const s = await serve(() => ({ status: 500 }));
    const { c } = client(s.url.replace("http://", "http://user:pw@"), { maxAttempts: 1 });
    const e = await failure(c.listProjects());
    expect(c.baseUrl).not.toContain("pw");
    expect(e.message).not.toContain("pw@");
  });
});

describe("client calls against a scripted server", () => {
  it("version and assertSupportedVersion", async () => {
    const s = await serve((req) => ({ status: 200, text: req.url.endsWith("/version") ? "4.1.0\n" : "" }));
    const { c } = client(s.url);
    await expect(c.version()).resolves.toBe("4.1.0");
    const e = await failure(c.assertSupportedVersion());
    expect(e.code).toBe("unsupported_version");
    expect(e.message).toContain("4.1.0");
  });

  it("updates with nothing to change send no request", async () => {
    const s = await serve(() => ({ status: 200, body: {} }));
    const { c } = client(s.url);
    await c.updateProject("p1", {});
    await c.updateApplication("a1", { name: undefined });
    await c.updateDatabase("d1", {});
    await c.bulkUpsertApplicationEnvs("a1", []);
    expect(s.log).toHaveLength(0);
  });

  it("createApplication without a uuid in the answer explains itself", async () => {
    const s = await serve(() => ({
      status: 200,
      body: { message: "Deployment already queued for this commit." },
    }));
    const { c } = client(s.url);
    const e = await failure(c.createApplication("public", { name: "x" }));
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("Look it up by name");
  });

  it("deploy POSTs /deploy with uuid as a query string", async () => {
    const s = await serve(() => ({
      status: 200,
      body: { deployments: [{ message: "queued", resource_uuid: "a1", deployment_uuid: "dep1" }] },
    }));
    const { c } = client(s.url);
    await expect(c.deploy("a1", { force: true })).resolves.toEqual({ deploymentUuid: "dep1" });
    expect(s.log[0]?.method).toBe("POST");
    expect(s.log[0]?.url).toBe("/api/v1/deploy?uuid=a1&force=true");
  });

  it("deploy returns the running deployment when one is already queued", async () => {
    const s = await serve((req) =>
      req.url.startsWith("/api/v1/deploy?")
        ? {
            status: 200,
            body: {
              deployments: [{ message: "Deployment already queued for this commit.", resource_uuid: "a1" }],
            },
          }
        : {
            status: 200,
            body: {
              count: 2,
              deployments: [
                { deployment_uuid: "dep2", status: "in_progress" },
                { deployment_uuid: "dep1", status: "finished" },
              ],
            },
          },
    );
    const { c } = client(s.url);
    await expect(c.deploy("a1")).resolves.toEqual({ deploymentUuid: "dep2" });
    expect(s.log[1]?.url).toBe("/api/v1/deployments/applications/a1?take=5");
  });

  it("startDatabase treats 'already running' as started", async () => {
    const s = await serve(() => ({ status: 400, body: { message: "Database is already running." } }));
    const { c } = client(s.url);
    await expect(c.startDatabase("d1")).resolves.toBeUndefined();
  });

  it("waitUntilGone polls with backoff until 404", async () => {
    const s = await serve(
      sequence(
        { status: 200, body: app },
        { status: 200, body: app },
        { status: 200, body: app },
        { status: 200, body: app },
        { status: 200, body: app },
        { status: 200, body: app },
        { status: 404, body: { message: "Application not found." } },
      ),
    );
    const { c, clock } = client(s.url);
    await c.waitUntilGone("application", "a1");
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(s.log.every((r) => r.method === "GET" && r.url === "/api/v1/applications/a1")).toBe(true);
  });

  it("waitUntilGone gives up after its timeout with a clear message", async () => {
    const s = await serve(() => ({ status: 200, body: app }));
    const { c } = client(s.url);
    const e = await failure(c.waitUntilGone("database", "d1", { timeoutMs: 10_000 }));
    expect(e.code).toBe("timeout");
    expect(e.message).toContain("database d1 still exists");
  });
});

describe("rate limiting through the client", () => {
  it("a burst above the budget is spread over time (fake clock)", async () => {
    const s = await serve(() => ({ status: 200, body: [] }));
    const clock = new FakeClock();
    const starts: number[] = [];
    const c = new CoolifyClient({
      baseUrl: s.url,
      token: uniqueToken(),
      clock,
      rateLimitPerMinute: 30,
      onRequest: () => starts.push(clock.now()),
    });
    for (let i = 0; i < 40; i++) await c.listProjects();
    const t0 = starts[0] as number;
    expect(starts.filter((t) => t === t0)).toHaveLength(6); // the burst
    for (const t of starts) {
      expect(starts.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(30);
    }
    // 34 requests beyond the burst at 24 per minute.
    expect((starts.at(-1) as number) - t0).toBeGreaterThanOrEqual(34 * 2500 - 34);
  });

  it("clients with the same baseUrl and token share one budget", async () => {
    const s = await serve(() => ({ status: 200, body: [] }));
    const clock = new FakeClock();
    const token = uniqueToken();
    const mk = () => new CoolifyClient({ baseUrl: s.url, token, clock, rateLimitPerMinute: 10 });
    const a = mk();
    const b = mk();
    await a.listProjects(); // burst of 2
    await b.listProjects();
    expect(clock.sleeps).toEqual([]);
    await a.listProjects();
    expect(clock.sleeps).toEqual([7500]); // 8 per minute refill
  });

  it("a 429 Retry-After pauses the shared limiter", async () => {
    const s = await serve(
      sequence({ status: 429, headers: { "retry-after": "4" } }, { status: 200, body: [] }),
    );
    const clock = new FakeClock();
    const limiter = new TokenBucket(10_000, clock);
    const c = new CoolifyClient({ baseUrl: s.url, token: uniqueToken(), clock, rateLimiter: limiter });
    await c.listProjects();
    // The client slept 4 s for the Retry-After; the limiter's pause has elapsed with it.
    expect(clock.sleeps).toEqual([4000]);
    limiter.pauseUntil(clock.now() + 1000);
    expect(limiter.pendingDelayMs()).toBe(1000);
  });
});
