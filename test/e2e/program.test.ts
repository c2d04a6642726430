// The real program with the real pulumi CLI on the simulator: the dev stack (two agents, a
// managed database, TLS domains, smoke tests) through preview, up, a no-change preview and up,
// refresh, an out-of-band deletion, an update and destroy, counting Coolify requests on the way
// and proving no secret reaches state or the CLI output in plain text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_KEY, type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

type LogEntry = { method: string; path: string };

describe("the dev stack end to end on the simulator", () => {
  let t: LocalStack;
  const api = (log: LogEntry[]) => log.filter((e) => e.path.startsWith("/api/v1"));
  const writes = (log: LogEntry[]) => api(log).filter((e) => e.method !== "GET");
  async function during(fn: () => Promise<unknown>): Promise<LogEntry[]> {
    t.sim.control.clearRequestLog();
    await fn();
    return t.sim.control.requestLog();
  }
  const noChanges = (summary: Record<string, number | undefined>) =>
    Object.entries(summary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev" });
  });
  afterAll(async () => t?.close());

  // The one request a preview or an up makes when nothing changes: proof of URL and token.
  const preflightOnly = ["GET /api/v1/version"];
  const calls = (log: LogEntry[]) => api(log).map((e) => `${e.method} ${e.path}`);

  it("previews with one request, the check of URL and token", async () => {
    const log = await during(async () => {
      const preview = await t.stack.preview({ onOutput: t.onOutput });
      expect(preview.changeSummary.create).toBeGreaterThan(10);
    });
    expect(calls(log)).toEqual(preflightOnly);
  });

  it("deploys both agents, proves chat works, and leaves the simulator in the declared shape", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const agents = up.outputs.agentOutputs?.value as Record<string, { smokeTestReply: string; url: string }>;
    expect(Object.keys(agents).sort()).toEqual(["release-scribe", "server-bod"]);
    expect(agents["server-bod"]?.smokeTestReply).toMatch(/Server Bod/);
    expect(agents["server-bod"]?.url).toBe("https://bod.staging.example.com");
    const state = t.sim.control.state();
    expect(state.projects).toHaveLength(1);
    expect(state.databases).toHaveLength(1);
    expect(state.applications.map((a) => a.status)).toEqual(["running:healthy", "running:healthy"]);
    expect(state.databases[0]?.image).toBe("pgvector/pgvector:0.8.0-pg17");
  });

  it("then previews and ups with no changes and one request each", async () => {
    const previewLog = await during(async () => {
      const preview = await t.stack.preview({ onOutput: t.onOutput });
      expect(noChanges(preview.changeSummary)).toEqual([]);
    });
    expect(calls(previewLog)).toEqual(preflightOnly);
    const upLog = await during(async () => {
      const up = await t.stack.up({ onOutput: t.onOutput });
      expect(noChanges(up.summary.resourceChanges ?? {})).toEqual([]);
    });
    expect(calls(upLog)).toEqual(preflightOnly);
  });

  it("refreshes with one GET per Coolify object and no change, and previews clean after", async () => {
    const log = await during(async () => {
      const refresh = await t.stack.refresh({ onOutput: t.onOutput });
      expect(noChanges(refresh.summary.resourceChanges ?? {})).toEqual([]);
    });
    expect(writes(log)).toEqual([]);
    // project, database, 2 applications, 2 env lists, 2 deployments, 2 storage lists
    expect(api(log)).toHaveLength(10);
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(preview.changeSummary)).toEqual([]);
  });

  it("notices an application deleted out of band, and the next up recreates it", async () => {
    const app = t.sim.control.state().applications.find((a) => a.name === "release-scribe");
    await fetch(`${t.sim.apiUrl}/applications/${app?.uuid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${t.sim.rootToken}`, accept: "application/json" },
    });
    await new Promise((r) => setTimeout(r, 800)); // Coolify's queued delete runs
    await t.stack.refresh({ onOutput: t.onOutput });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.resourceChanges?.create).toBeGreaterThanOrEqual(1);
    const apps = t.sim.control.state().applications;
    expect(apps.map((a) => a.name).sort()).toEqual(["release-scribe", "server-bod"]);
    expect(apps.find((a) => a.name === "release-scribe")?.status).toBe("running:healthy");
  });

  it("applies a changed setting with one env write and a redeploy that really runs", async () => {
    const bodDeployments = () =>
      t.sim.control.state().deployments.filter((d) => d.application_name === "server-bod").length;
    const before = bodDeployments();
    const log = await during(async () => {
      await t.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "info" }, true);
      const up = await t.stack.up({ onOutput: t.onOutput });
      expect(up.summary.result).toBe("succeeded");
    });
    const envWrites = writes(log).filter((e) => e.path.includes("/envs"));
    expect(envWrites).toHaveLength(1);
    // One deploy, besides the check that the token may deploy (a probe that changes nothing).
    const deploys = writes(log).filter((e) => e.path.startsWith("/api/v1/deploy"));
    expect(deploys.filter((e) => !e.path.includes("eliza-coolify-ability-check"))).toHaveLength(1);
    expect(bodDeployments()).toBe(before + 1);
    // EnvVars keeps the names it changed (changedVariables) in its inputs: no diff comes of it.
    const again = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(again.changeSummary)).toEqual([]);
  });

  it("applies a database change to the database alone: the agents' URL is the same, nothing redeploys", async () => {
    const deployments = () => t.sim.control.state().deployments.length;
    const before = deployments();
    const log = await during(async () => {
      // The preview cannot know POSTGRES_URL (an output of the database being updated) and says
      // the agents' env may change; at apply it turns out the same.
      await t.stack.setConfig("eliza-coolify:databaseMemory", { value: "1g" });
      const up = await t.stack.up({ onOutput: t.onOutput });
      expect(up.summary.result).toBe("succeeded");
      expect(up.summary.resourceChanges?.update).toBe(1);
    });
    expect(t.sim.control.state().databases[0]?.limits_memory).toBe("1g");
    expect(writes(log).filter((e) => e.path.includes("/envs"))).toEqual([]);
    // No deploy, besides the check that the token may deploy (a probe that changes nothing).
    const deploys = writes(log).filter((e) => e.path.startsWith("/api/v1/deploy"));
    expect(deploys.filter((e) => !e.path.includes("eliza-coolify-ability-check"))).toEqual([]);
    expect(deployments()).toBe(before);
  });

  it("keeps every secret out of state and CLI output", async () => {
    // The state file as the backend stores it (Automation API's exportStack decrypts secrets).
    const exported = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8");
    const tokens = (await t.stack.outputs()).agentApiTokens?.value as Record<string, string>;
    const dbPassword = String(t.sim.control.state().databases[0]?.postgres_password ?? "");
    const secrets = [DEMO_MODEL_KEY, t.sim.rootToken, dbPassword, ...Object.values(tokens)];
    expect(secrets.every((s) => s.length >= 16)).toBe(true);
    const output = t.output.join("");
    for (const secret of secrets) {
      expect(exported).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
    expect(exported).toContain("ciphertext");
  });

  it("stores only the one-line provider text in state, never implementation code", async () => {
    const state = JSON.parse(readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8"));
    const providers = new Set<string>();
    for (const r of state.checkpoint.latest.resources) {
      for (const props of [r.inputs, r.outputs]) if (props?.__provider) providers.add(props.__provider);
    }
    // One line per resource type, whatever the implementation does: changing the implementation
    // can never show up as a diff, and destroy runs today's code.
    expect(providers.size).toBeGreaterThan(3);
    expect(providers.size).toBeLessThanOrEqual(9);
    for (const text of providers) {
      expect(text.length).toBeLessThan(200);
      expect(text).toContain('require("@eliza-coolify/coolify")');
      expect(text).not.toMatch(/coolifyClient|bulkUpsert|createApplication|node_modules/);
    }
  });

  it("answered only what Coolify's OpenAPI document allows", () => {
    expect(t.sim.control.responseViolations()).toEqual([]);
  });

  it("destroys everything and leaves Coolify empty", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect([state.projects, state.applications, state.databases]).toEqual([[], [], []]);
  });
});
