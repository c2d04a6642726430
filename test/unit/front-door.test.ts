import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { plainAgentEnv } from "../../components/agent-env";
import { parseStackConfig, StackConfigError } from "../../lib/config";
import { frontDoorEnv, parseStackFrontDoor, proxyOptions, resolveFrontDoor } from "../../lib/front-door";

const root = path.resolve(__dirname, "../..");
const ctx = { stack: "dev", baseDir: root };
const agent = (over: Record<string, unknown> = {}) => ({
  name: "server-bod",
  characterFile: "characters/server-bod.character.json",
  source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  domain: "https://bod.example.com",
  ...over,
});
const config = (values: Record<string, unknown>) =>
  parseStackConfig({ values: { openaiApiKey: "sk-test", ...values }, secretKeys: ["openaiApiKey"] }, ctx);

function firstAgent(values: Record<string, unknown>) {
  const [a] = config(values).agents;
  if (!a) throw new Error("no agent parsed");
  return a;
}

function problemsOf(values: Record<string, unknown>): string {
  try {
    config(values);
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

const resolve = (stack: unknown, own: unknown, hasDomain = true) =>
  resolveFrontDoor(parseStackFrontDoor(stack), own, { hasDomain, agentPath: "[0]" });

describe("front door defaults", () => {
  it("is absent without any frontDoor config, and the web UI stays off", () => {
    const a = firstAgent({ agents: [agent()] });
    expect(a.frontDoor).toBeUndefined();
    expect(proxyOptions(a.frontDoor)).toBeUndefined();
    expect(plainAgentEnv(a)).toMatchObject({ ELIZA_UI_ENABLE: "false" });
    expect(plainAgentEnv(a).CORS_ORIGIN).toBeUndefined();
  });

  it("frontDoor: {} gives 100 requests a minute per IP with /health excluded, strict headers, 1 MiB bodies", () => {
    const [a] = config({ frontDoor: {}, agents: [agent()] }).agents;
    expect(a?.frontDoor).toEqual({
      proxy: "traefik",
      rateLimit: { average: 100, periodSeconds: 60, burst: 50, excludePaths: ["/health", "/healthz"] },
      securityHeaders: {
        hsts: { maxAge: 31536000, includeSubdomains: true, preload: false },
        contentTypeNosniff: true,
        frameOptions: "DENY",
        referrerPolicy: "strict-origin-when-cross-origin",
      },
      corsOrigins: [],
      maxBodyBytes: 1024 * 1024,
      webUi: false,
    });
  });
});

describe("stack defaults and per-agent overrides", () => {
  it("merges an agent's section into the stack's field by field", () => {
    const r = resolve(
      { rateLimit: { average: 300, period: "5m" }, corsOrigins: ["https://app.example.com"] },
      { rateLimit: { burst: 10 }, webUi: true },
    );
    expect(r.problems).toEqual([]);
    expect(r.value?.rateLimit).toEqual({
      average: 300,
      periodSeconds: 300,
      burst: 10,
      excludePaths: ["/health", "/healthz"],
    });
    expect(r.value?.webUi).toBe(true);
    expect(r.value?.corsOrigins).toEqual(["https://app.example.com"]);
  });

  it("turns sections off with false, at either level", () => {
    const r = resolve(
      { rateLimit: false, maxBodySize: false },
      { securityHeaders: { hsts: false, frameOptions: false } },
    );
    expect(r.value?.rateLimit).toBeUndefined();
    expect(r.value?.maxBodyBytes).toBeUndefined();
    expect(r.value?.securityHeaders).toEqual({
      contentTypeNosniff: true,
      referrerPolicy: "strict-origin-when-cross-origin",
    });
    expect(resolve({}, { securityHeaders: false }).value?.securityHeaders).toBeUndefined();
  });

  it("an agent's frontDoor alone turns the front door on for that agent only", () => {
    const stack = config({
      agents: [agent(), agent({ name: "other", domain: "https://o.example.com", frontDoor: {} })],
    });
    expect(stack.agents[0]?.frontDoor).toBeUndefined();
    expect(stack.agents[1]?.frontDoor?.rateLimit?.average).toBe(100);
  });
});

describe("the ElizaOS side: CORS and the web UI", () => {
  it("sets CORS_ORIGIN and API_CORS_ORIGIN to the one origin, and ELIZA_UI_ENABLE from webUi", () => {
    const a = firstAgent({
      frontDoor: { corsOrigins: ["https://App.Example.com/"], webUi: true },
      agents: [agent()],
    });
    expect(frontDoorEnv(a.frontDoor)).toEqual({
      ELIZA_UI_ENABLE: "true",
      CORS_ORIGIN: "https://app.example.com",
      API_CORS_ORIGIN: "https://app.example.com",
    });
    expect(plainAgentEnv(a)).toMatchObject({
      ELIZA_UI_ENABLE: "true",
      API_CORS_ORIGIN: "https://app.example.com",
    });
  });

  it("refuses the web UI switch in env, and CORS in env next to corsOrigins", () => {
    expect(problemsOf({ agents: [agent({ env: { ELIZA_UI_ENABLE: "true" } })] })).toContain(
      "ELIZA_UI_ENABLE is set by the program from frontDoor.webUi",
    );
    expect(
      problemsOf({
        frontDoor: { corsOrigins: ["https://app.example.com"] },
        agents: [agent({ env: { API_CORS_ORIGIN: "*" } })],
      }),
    ).toContain(
      "eliza-coolify:agents[0].env.API_CORS_ORIGIN: API_CORS_ORIGIN comes from frontDoor.corsOrigins here",
    );
    // Without a front door CORS in env stays as it was.
    expect(
      config({ agents: [agent({ env: { CORS_ORIGIN: "https://x.example.com" } })] }).agents,
    ).toHaveLength(1);
  });
});

describe("validation at preview", () => {
  it("names the key, the path and the fix", () => {
    const message = problemsOf({
      frontDoor: { rateLimit: { average: 0, period: "soon", bursts: 3 }, maxBodySize: "huge" },
      agents: [agent({ frontDoor: { securityHeaders: { frameOptions: "ALLOW", referrerPolicy: "nope" } } })],
    });
    expect(message).toContain(
      "eliza-coolify:frontDoor.rateLimit.average: must be at least 1 request per period",
    );
    expect(message).toContain(
      'eliza-coolify:frontDoor.rateLimit.period: must be a duration such as "1s", "1m" or "1h"',
    );
    expect(message).toContain(
      "eliza-coolify:frontDoor.rateLimit.bursts: unknown key — allowed here: average, period, burst, excludePaths",
    );
    expect(message).toContain('eliza-coolify:frontDoor.maxBodySize: must be a size such as "1m"');
    expect(message).toContain(
      "eliza-coolify:agents[0].frontDoor.securityHeaders.frameOptions: must be DENY, SAMEORIGIN or false",
    );
    expect(message).toContain(
      "eliza-coolify:agents[0].frontDoor.securityHeaders.referrerPolicy: must be one of no-referrer",
    );
  });

  it("reports a bad stack value once, not once per agent", () => {
    const message = problemsOf({
      frontDoor: { webUi: "yes" },
      agents: [agent(), agent({ name: "other", domain: "https://o.example.com" })],
    });
    expect(message.match(/frontDoor\.webUi/g)).toHaveLength(1);
  });

  it("accepts one CORS origin: ElizaOS reads CORS_ORIGIN as a single string", () => {
    expect(
      resolve({ corsOrigins: ["https://a.example.com", "https://b.example.com"] }, undefined).problems,
    ).toEqual([
      {
        key: "frontDoor",
        path: ".corsOrigins",
        message: expect.stringContaining("ElizaOS 1.7.2 accepts one CORS origin"),
      },
    ]);
    expect(resolve({}, { corsOrigins: ["app.example.com", "https://a.example.com/path"] }).problems).toEqual([
      {
        key: "agents",
        path: "[0].frontDoor.corsOrigins[0]",
        message: expect.stringContaining("is not an origin"),
      },
      {
        key: "agents",
        path: "[0].frontDoor.corsOrigins[1]",
        message: expect.stringContaining("must be a bare origin"),
      },
    ]);
  });

  it("refuses a rate limit on Caddy, which Coolify runs without a rate limiter", () => {
    const r = resolve({ proxy: "caddy", rateLimit: { average: 10 } }, undefined);
    expect(r.problems[0]?.message).toContain("has no rate limiter");
    const quiet = resolve({ proxy: "caddy" }, undefined);
    expect(quiet.problems).toEqual([]);
    expect(quiet.value?.rateLimit).toBeUndefined();
    expect(quiet.warnings[0]).toContain("no rate limit on Caddy");
  });

  it("checks HSTS preload's requirements", () => {
    const r = resolve({ securityHeaders: { hsts: { preload: true, maxAge: 600 } } }, undefined);
    expect(r.problems[0]?.message).toContain("preload needs maxAge of at least 31536000");
  });

  it("warns when an agent without a domain has proxy settings", () => {
    expect(resolve({}, undefined, false).warnings[0]).toContain("has none");
  });

  it("accepts YAML's strings for booleans and numbers for sizes", () => {
    const r = resolve(
      { webUi: "true", maxBodySize: 2048, securityHeaders: { contentTypeNosniff: "false" } },
      undefined,
    );
    expect(r.value?.webUi).toBe(true);
    expect(r.value?.maxBodyBytes).toBe(2048);
    expect(r.value?.securityHeaders?.contentTypeNosniff).toBe(false);
  });
});

describe("what the provider gets", () => {
  it("passes rate limit, headers and body size, nothing of the ElizaOS side", () => {
    const value = resolve({ corsOrigins: ["https://a.example.com"], webUi: true }, undefined).value;
    const options = proxyOptions(value);
    expect(Object.keys(options ?? {}).sort()).toEqual(["maxBodyBytes", "rateLimit", "securityHeaders"]);
  });
});
