// The fault matrix on the dev stack, through the real CLI on the simulator's faults: each case
// asserts what the user sees and that nothing is duplicated, orphaned or leaked, and the suite
// ends with a clean destroy. The matrix, with what a user does in each case, is in the README
// (Troubleshooting).
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_KEY, type LocalStack, openLocalStack, repoRoot } from "../../scripts/demo/local-stack";

type LogEntry = { method: string; path: string };

describe("the fault matrix on the dev stack", () => {
  let t: LocalStack;
  const api = (log: LogEntry[]) => log.filter((e) => e.path.startsWith("/api/v1"));
  const writes = (log: LogEntry[]) => api(log).filter((e) => e.method !== "GET");
  const appNamed = (name: string) => t.sim.control.state().applications.find((a) => a.name === name);
  const deploymentsOf = (name: string) =>
    t.sim.control.state().deployments.filter((d) => d.application_name === name).length;
  const root = (method: string, path: string, body?: unknown) =>
    fetch(`${t.sim.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.sim.rootToken}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** The shape every case must leave: one project, one database, the two agents. */
  const expectNoDuplicates = () => {
    const s = t.sim.control.state();
    expect(s.projects).toHaveLength(1);
    expect(s.databases).toHaveLength(1);
    expect(s.applications.map((a) => a.name).sort()).toEqual(["release-scribe", "server-bod"]);
  };
  const output = () => t.output.join("");
  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev" });
  });
  afterAll(async () => t?.close());

  it("answers lost after Coolify committed every create, and a 429: up reconciles, waits, creates nothing twice", async () => {
    for (const path of ["/projects", "/databases/postgresql", "/applications/dockerimage"]) {
      t.sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST", path }, count: 1 });
    }
    t.sim.control.injectFault({
      kind: "status",
      status: 429,
      retryAfterSeconds: 4,
      match: { method: "POST", path: "/applications/dockerimage" },
      count: 1,
    });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(output()).toMatch(
      /eliza-coolify: Coolify's rate limit was reached \(429 on POST \/applications\/dockerimage\); waiting 4 s/,
    );
    expectNoDuplicates();
  });

  it("a database change previews (values not known yet) and applies without a new database", async () => {
    const dbBefore = t.sim.control.state().databases[0]?.uuid;
    await t.stack.setConfig("eliza-coolify:databaseMemory", { value: "1g" });
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary.update).toBeGreaterThanOrEqual(1);
    expect(preview.changeSummary.replace ?? 0).toBe(0);
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const db = t.sim.control.state().databases[0];
    expect(db?.uuid).toBe(dbBefore);
    expect(db?.limits_memory).toBe("1g");
    expectNoDuplicates();
  });

  it("an env value changed by hand is put back and redeployed, and the smoke test runs again", async () => {
    const app = appNamed("server-bod");
    const edited = await root("PATCH", `/applications/${app?.uuid}/envs`, {
      key: "LOG_LEVEL",
      value: "fatal",
      is_preview: false,
      is_literal: true,
      is_multiline: false,
      is_shown_once: false,
    });
    expect(edited.status).toBe(201);
    await root("POST", `/applications/${app?.uuid}/restart`);
    const before = deploymentsOf("server-bod");
    await t.stack.refresh({ onOutput: t.onOutput });
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const log = t.sim.control.requestLog();
    expect(writes(log).filter((e) => e.path.includes("/envs"))).toHaveLength(1);
    expect(deploymentsOf("server-bod")).toBeGreaterThan(before);
    // The agent plane records chat messages: the smoke test talked to the redeployed agent.
    expect(log.some((e) => e.path.includes("/api/messaging/sessions") && e.method === "POST")).toBe(true);
    const envs = t.sim.control.state().envs.filter((e) => e.key === "LOG_LEVEL" && e.is_preview === false);
    expect(envs.map((e) => e.value)).not.toContain("fatal");
    expectNoDuplicates();
  });

  it("secrets are locked in Coolify: shown to nobody, not even a root token", async () => {
    const app = appNamed("server-bod");
    const res = await root("GET", `/applications/${app?.uuid}/envs`);
    const envs = (await res.json()) as { key: string; value?: string; is_shown_once: boolean }[];
    for (const key of ["OPENAI_API_KEY", "POSTGRES_URL", "SECRET_SALT", "ELIZA_SERVER_AUTH_TOKEN"]) {
      const env = envs.find((e) => e.key === key);
      expect(env?.is_shown_once).toBe(true);
      expect(env?.value).toBeUndefined();
    }
    expect(JSON.stringify(envs)).not.toContain(DEMO_MODEL_KEY);
    expect(envs.find((e) => e.key === "LOG_LEVEL")?.value).toBe("debug");
  });

  it("bad stack config fails the preview with only the list of problems", async () => {
    await t.stack.setConfig("eliza-coolify:agents[1].logLevel", { value: "loud" }, true);
    t.output.length = 0;
    t.sim.control.clearRequestLog();
    const failed = await t.stack.preview({ onOutput: t.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(output()).toContain('Stack "dev" has an invalid configuration (1 problem)');
    expect(output()).toContain("eliza-coolify:agents[1].logLevel");
    noStackTrace(output());
    expect(output()).not.toContain("problems: [");
    expect(writes(t.sim.control.requestLog())).toEqual([]);
    await t.stack.removeConfig("eliza-coolify:agents[1].logLevel", true);
  });

  it("a database deleted outside Pulumi stops up with how to restore, instead of an empty one", async () => {
    const db = t.sim.control.state().databases[0];
    await root("DELETE", `/databases/${db?.uuid}`);
    await new Promise((r) => setTimeout(r, 800)); // Coolify's queued delete runs
    await t.stack.refresh({ onOutput: t.onOutput });
    t.output.length = 0;
    t.sim.control.clearRequestLog();
    const failed = await t.stack.up({ onOutput: t.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(output()).toContain("was deleted outside Pulumi");
    expect(output()).toContain("Disaster recovery");
    noStackTrace(output());
    expect(t.sim.control.state().databases).toEqual([]);
    expect(writes(t.sim.control.requestLog()).filter((e) => e.path.includes("databases"))).toEqual([]);
    await t.stack.setConfig("eliza-coolify:databaseRecreateIfLost", { value: "true" });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    await t.stack.removeConfig("eliza-coolify:databaseRecreateIfLost");
    expectNoDuplicates();
  });

  it("kill -9 of the CLI mid-up: every plugin exits, and the documented recovery ends clean", async () => {
    await t.stack.setConfig("eliza-coolify:agents[1].logLevel", { value: "warn" }, true);
    // Slow deployments, so the CLI is killed while the provider waits on one.
    t.sim.control.setClockSpeed(0.02);
    t.sim.control.clearRequestLog();
    const env = { ...process.env, ...t.stack.workspace.envVars };
    const pulumi = join(repoRoot, ".tools", "bin", "pulumi");
    const cli = spawn(pulumi, ["up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"], {
      cwd: t.workDir,
      env,
      stdio: "ignore",
    });
    const started = Date.now();
    const deploying = (e: LogEntry) =>
      e.path.startsWith("/api/v1/deploy?") && !e.path.includes("ability-check");
    while (!t.sim.control.requestLog().some(deploying)) {
      if (Date.now() - started > 120_000) throw new Error("the up never reached a deployment");
      await new Promise((r) => setTimeout(r, 200));
    }
    const plugins = () => pluginsOf(t.workDir);
    expect(plugins().length).toBeGreaterThan(0);
    cli.kill("SIGKILL");
    const killedAt = Date.now();
    while (plugins().length > 0 && Date.now() - killedAt < 20_000)
      await new Promise((r) => setTimeout(r, 250));
    expect(plugins()).toEqual([]);
    t.sim.control.setClockSpeed(1);

    // The recovery the README gives: cancel the lock if one is left, refresh clearing pending
    // operations, then up again.
    await t.stack.cancel().catch(() => undefined);
    await t.stack.refresh({ onOutput: t.onOutput, clearPendingCreates: true });
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expectNoDuplicates();
  });

  it("5xx on polls: retried, and up goes on", async () => {
    await t.stack.setConfig("eliza-coolify:agents[1].logLevel", { value: "error" }, true);
    t.sim.control.injectFault({
      kind: "status",
      status: 503,
      match: { method: "GET", path: /\/deployments\// },
      count: 2,
    });
    expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    expectNoDuplicates();
  });

  for (const outcome of ["fail", "unhealthy"] as const) {
    it(`a deployment that ends ${outcome}: up fails saying which and why, and the next up recovers`, async () => {
      const app = appNamed("release-scribe");
      t.sim.control.setDeploymentOutcome(String(app?.uuid), outcome);
      await t.stack.setConfig(
        "eliza-coolify:agents[1].logLevel",
        { value: outcome === "fail" ? "warn" : "info" },
        true,
      );
      t.output.length = 0;
      const failed = await t.stack.up({ onOutput: t.onOutput }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      expect(output()).toMatch(
        outcome === "fail" ? /Deployment \S+ of application \S+ failed/ : /running:unhealthy/,
      );
      noStackTrace(output());
      t.sim.control.setDeploymentOutcome(String(app?.uuid), "success");
      expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
      expectNoDuplicates();
    });
  }

  it("a broken stack file: the CLI fails and leaves no language host behind", async () => {
    const broken = join(t.workDir, "Pulumi.dev.yaml");
    const saved = readFileSync(broken, "utf8");
    writeFileSync(broken, `${saved}\n  eliza-coolify:agents: [unclosed\n`);
    const failed = await t.stack.preview({ onOutput: t.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    writeFileSync(broken, saved);
    const since = Date.now();
    while (pluginsOf(t.workDir).length > 0 && Date.now() - since < 20_000)
      await new Promise((r) => setTimeout(r, 250));
    expect(pluginsOf(t.workDir)).toEqual([]);
  });

  it("the API disabled mid-way: destroy fails once, clearly, and works once it is enabled", async () => {
    t.sim.control.setApiEnabled(false);
    t.output.length = 0;
    const failed = await t.stack.destroy({ onOutput: t.onOutput }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(output()).toContain("The Coolify API is disabled");
    noStackTrace(output());
    expectNoDuplicates();
    t.sim.control.setApiEnabled(true);
  });

  it("keeps every secret out of state and output, and destroys to an empty Coolify", async () => {
    const out = output() + t.output.join("");
    expect(out).not.toContain(DEMO_MODEL_KEY);
    expect(out).not.toContain(t.sim.rootToken);
    const state = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8");
    expect(state).not.toContain(DEMO_MODEL_KEY);
    expect(t.sim.control.responseViolations()).toEqual([]);
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect([s.projects, s.applications, s.databases]).toEqual([[], [], []]);
  });
});

/** Our language host and dynamic-provider processes started for this project directory. */
function pluginsOf(workDir: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => /pulumi-language-nodejs|dynamic-provider/.test(l))
    .filter((l) => {
      const pid = l.trim().split(/\s+/)[0];
      try {
        return execFileSync("readlink", [`/proc/${pid}/cwd`], { encoding: "utf8" })
          .trim()
          .startsWith(workDir);
      } catch {
        return false;
      }
    });
}
