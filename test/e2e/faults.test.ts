// The fault matrix on the dev stack, through the real CLI on the simulator's faults. Every case
// asserts what the user sees and that nothing is duplicated or orphaned; after every case the
// suite checks that no secret the stack has (the model key, the database password and URL, each
// agent's API token and salt, read from the simulator) is in anything the CLI printed during it
// or in any file of the state backend, and puts the simulator's knobs back. A case that fails is
// followed by the user's recovery (cancel, refresh, up), so the next case starts from a clean
// stack. The suite ends with a clean destroy. The matrix, with what the user does in each case,
// is in the README (Troubleshooting).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEMO_MODEL_KEY, type LocalStack, openLocalStack, repoRoot } from "../../scripts/demo/local-stack";
import { BAD_INPUTS, expectedProblems } from "../bad-inputs";
import type { RequestLogEntry } from "../simulator";

const AGENTS = ["release-scribe", "server-bod"];
/** The env variables whose values are secrets (locked in Coolify). */
const SECRET_ENV = ["OPENAI_API_KEY", "POSTGRES_URL", "SECRET_SALT", "ELIZA_SERVER_AUTH_TOKEN"];
/** A deploy of a real application, not the ability probe (`uuid=eliza-coolify-ability-check`). */
const REAL_DEPLOY = /(^|[?&])uuid=[a-z0-9]{24}(&|$)/;

describe("the fault matrix on the dev stack", () => {
  let t: LocalStack;
  /** The stack file as the suite set it up: what a failed case's recovery goes back to. */
  let goodStackFile: string;
  /** Every secret value the stack has had, gathered from the simulator after each case. */
  const secrets = new Set<string>([DEMO_MODEL_KEY]);
  let caseStart = 0;

  const stackFile = () => join(t.workDir, "Pulumi.dev.yaml");
  const api = (log: RequestLogEntry[]) => log.filter((e) => e.path.startsWith("/api/v1"));
  const writes = (log: RequestLogEntry[]) => api(log).filter((e) => e.method !== "GET");
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
  /** What the CLI printed during this case (commands that failed included). */
  const output = () => t.output.slice(caseStart).join("");
  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

  /** Runs a command that must fail; its error (with the CLI's stderr) joins the output. */
  async function failing(command: Promise<unknown>): Promise<Error> {
    const result = await command.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    if (!result) throw new Error("the command was expected to fail and did not");
    t.output.push(String(result));
    return result;
  }
  /** Runs a command that must succeed; its stderr joins the output. */
  async function up(): Promise<void> {
    const r = await t.stack.up({ onOutput: t.onOutput });
    t.output.push(r.stderr);
    expect(r.summary.result).toBe("succeeded");
  }
  const setLogLevel = (agent: number, value: string) =>
    t.stack.setConfig(`eliza-coolify:agents[${agent}].logLevel`, { value }, true);

  /** The resources of the stack's state file, as the file backend stores it. */
  const stateResources = () =>
    (
      JSON.parse(readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8")) as {
        checkpoint: { latest: { resources?: { type: string; id?: string }[] } };
      }
    ).checkpoint.latest.resources ?? [];

  /**
   * The shape every case must leave: one project with its two environments, one database, the
   * two agents, and in each application every variable once (and its preview twin once); and no
   * orphan: each of them is the one the stack's state records.
   */
  const expectNoDuplicates = () => {
    const s = t.sim.control.state();
    const resources = stateResources();
    const recorded = (type: string) =>
      resources
        .filter((r) => r.type === `pulumi-nodejs:dynamic/coolify:${type}`)
        .map((r) => String(r.id))
        .sort();
    expect(recorded("Project")).toEqual(s.projects.map((p) => String(p.uuid)).sort());
    expect(recorded("PostgresDatabase")).toEqual(s.databases.map((d) => String(d.uuid)).sort());
    expect(recorded("Application")).toEqual(s.applications.map((a) => String(a.uuid)).sort());
    expect(s.projects).toHaveLength(1);
    expect(s.environments.map((e) => e.name).sort()).toEqual(["production", "staging"]);
    expect(s.databases).toHaveLength(1);
    expect(s.applications.map((a) => a.name).sort()).toEqual(AGENTS);
    for (const app of s.applications) {
      const envs = s.envs.filter(
        (e) => e.resourceable_type === "application" && e.resourceable_id === app.id,
      );
      const keys = envs.map((e) => `${e.key}${e.is_preview ? " (preview)" : ""}`);
      expect(keys.length, `variables of ${app.name}`).toBe(new Set(keys).size);
      const production = envs.filter((e) => !e.is_preview).map((e) => String(e.key));
      for (const key of SECRET_ENV) expect(production, `variables of ${app.name}`).toContain(key);
    }
  };

  /** The Coolify objects (project, database, applications) the stack's state records. */
  const recordedCoolifyObjects = () =>
    stateResources()
      .filter((r) => /:(Project|PostgresDatabase|Application)$/.test(r.type))
      .map((r) => `${r.type} ${r.id}`);

  /** Each agent's POSTGRES_URL is the database's real one (its password included). */
  const expectAgentsReachTheDatabase = () => {
    const s = t.sim.control.state();
    const db = s.databases[0] as Record<string, unknown>;
    const url = `postgres://eliza:${db.postgres_password}@${db.uuid}:5432/eliza`;
    for (const app of s.applications) {
      const env = s.envs.find(
        (e) => e.resourceable_id === app.id && e.key === "POSTGRES_URL" && e.is_preview === false,
      );
      expect(env?.value, `POSTGRES_URL of ${app.name}`).toBe(url);
    }
  };

  function gatherSecrets(): void {
    const s = t.sim.control.state();
    for (const e of s.envs)
      if (SECRET_ENV.includes(String(e.key)) && typeof e.value === "string" && e.value) secrets.add(e.value);
    for (const d of s.databases) if (d.postgres_password) secrets.add(String(d.postgres_password));
  }

  function expectNoSecretIn(text: string, where: string): void {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`a secret (${secret.slice(0, 4)}...) is in ${where}`);
    }
  }

  /** Every file of the file:// state backend: the stack's state, its backups and its history. */
  function stateFiles(dir = join(t.stateDir, ".pulumi")): string[] {
    return readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? stateFiles(p) : [p];
    });
  }

  function restoreSimulator(): void {
    const c = t.sim.control;
    c.clearFaults();
    c.setApiEnabled(true);
    c.setClockSpeed(1);
    for (const app of c.state().applications) {
      c.setDeploymentOutcome(String(app.uuid), "success");
      c.setAgentBehaviour(String(app.uuid), {});
    }
  }

  /** What the README tells a user to do after a failed or interrupted `up`. */
  async function recover(): Promise<void> {
    writeFileSync(stackFile(), goodStackFile);
    await t.stack.cancel().catch(() => undefined);
    await t.stack.refresh({ onOutput: t.onOutput, clearPendingCreates: true });
    await up();
  }

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev" });
    secrets.add(t.sim.rootToken);
    goodStackFile = readFileSync(stackFile(), "utf8");
  });
  afterAll(async () => t?.close());

  beforeEach(() => {
    caseStart = t.output.length;
  });

  afterEach(async (ctx) => {
    restoreSimulator();
    gatherSecrets();
    const failed = ctx.task.result?.state === "fail";
    if (failed) {
      // Put the stack back the way a user would, so one failure does not fail every later case.
      await recover().catch((e: unknown) => console.error(`recovery after a failed case failed: ${e}`));
      gatherSecrets();
    }
    expectNoSecretIn(output(), "the CLI output of this case");
    for (const file of stateFiles()) expectNoSecretIn(readFileSync(file, "utf8"), file);
  });

  it("kill -9 of the CLI while creates are in flight, then the documented recovery: nothing twice, the database's real password", async () => {
    const s = await killUpWithCreatesInFlight();

    await recover();
    expectNoDuplicates();
    expectAgentsReachTheDatabase();
    expect(t.sim.control.state().databases[0]?.uuid).toBe(s.databases[0]?.uuid);
  });

  it("destroys the recovered stack to an empty Coolify", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    t.output.push(destroy.stderr);
    expect(destroy.summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect([s.projects, s.applications, s.databases]).toEqual([[], [], []]);
  });

  it("kill -9 of an up run with PULUMI_SKIP_CHECKPOINTS (state saved only at the end): nothing of the run is in state, and the recovery finds every object by its marker, nothing twice", async () => {
    const s = await killUpWithCreatesInFlight({ PULUMI_SKIP_CHECKPOINTS: "true" });
    // Not even a pending create: the project the run created is unknown to state too.
    expect(recordedCoolifyObjects()).toEqual([]);

    await recover();
    expectNoDuplicates();
    expectAgentsReachTheDatabase();
    expect(t.sim.control.state().projects[0]?.uuid).toBe(s.projects[0]?.uuid);
    expect(t.sim.control.state().databases[0]?.uuid).toBe(s.databases[0]?.uuid);
    expect(
      t.sim.control
        .state()
        .applications.map((a) => a.uuid)
        .sort(),
    ).toEqual(s.applications.map((a) => a.uuid).sort());

    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    t.output.push(destroy.stderr);
    expect(destroy.summary.result).toBe("succeeded");
    const after = t.sim.control.state();
    expect([after.projects, after.applications, after.databases]).toEqual([[], [], []]);
  });

  it("answers lost after Coolify committed every create and write: up reconciles and does nothing twice", async () => {
    const lost = (method: string, path: string | RegExp, query?: RegExp) =>
      t.sim.control.injectFault({ kind: "dropAfterCommit", match: { method, path, query }, count: 1 });
    lost("POST", "/projects");
    lost("POST", /^\/projects\/[a-z0-9]+\/environments$/);
    lost("POST", "/databases/postgresql");
    lost("POST", "/applications/dockerimage");
    lost("PATCH", /\/envs\/bulk$/);
    lost("POST", "/deploy", REAL_DEPLOY);
    t.sim.control.clearRequestLog();
    await up();
    const dropped = t.sim.control.requestLog().filter((e) => e.fault === "dropAfterCommit");
    expect(dropped.map((e) => `${e.method} ${e.path.replace(/[a-z0-9]{24}/g, "<uuid>")}`).sort()).toEqual(
      [
        "PATCH /api/v1/applications/<uuid>/envs/bulk",
        "POST /api/v1/applications/dockerimage",
        "POST /api/v1/databases/postgresql",
        "POST /api/v1/deploy?uuid=<uuid>&force=false",
        "POST /api/v1/projects",
        "POST /api/v1/projects/<uuid>/environments",
      ].sort(),
    );
    expectNoDuplicates();
    expectAgentsReachTheDatabase();
    // The deploy whose answer was lost was waited on, not sent again: one deployment per agent.
    for (const agent of AGENTS) expect(deploymentsOf(agent), agent).toBe(1);
    expect(output()).toMatch(/the answer to POST \/deploy for application \w+ was lost; Coolify had started/);
  });

  it("bad input through the real CLI: the preview lists only the problems, with no stack trace, and Coolify gets no write", async () => {
    const picked = ["several", "character-field", "slim-without-url", "token-plain"];
    for (const b of BAD_INPUTS.filter((x) => picked.includes(x.id))) {
      for (const c of b.set) if (/Key|token/.test(c.key)) secrets.add(c.value);
      for (const c of b.set) await t.stack.setConfig(c.key, { value: c.value, secret: c.secret }, c.path);
      for (const [rel, text] of Object.entries(b.files ?? {})) {
        mkdirSync(dirname(join(t.workDir, rel)), { recursive: true });
        writeFileSync(join(t.workDir, rel), text);
      }
      t.sim.control.clearRequestLog();
      const from = t.output.length;
      await failing(t.stack.preview({ onOutput: t.onOutput }));
      const said = t.output.slice(from).join("");
      const lines = expectedProblems(b, t.workDir);
      const count = lines.length === 1 ? "1 problem" : `${lines.length} problems`;
      expect(said, b.id).toContain(`Stack "dev" has an invalid configuration (${count}):`);
      for (const line of lines) expect(said, b.id).toContain(line);
      noStackTrace(said);
      expect(said, b.id).not.toContain("problems: [");
      expect(said, b.id).not.toContain("StackConfigError");
      expect(writes(t.sim.control.requestLog()), b.id).toEqual([]);
      writeFileSync(stackFile(), goodStackFile);
      for (const rel of Object.keys(b.files ?? {})) rmSync(join(t.workDir, rel));
    }
    expect(picked.length).toBeGreaterThanOrEqual(4);
  });

  it("a 429 storm (five in a row, each with Retry-After): up waits as asked, says so, and completes", async () => {
    await setLogLevel(1, "warn");
    t.sim.control.injectFault({ kind: "status", status: 429, retryAfterSeconds: 1, count: 4 });
    t.sim.control.injectFault({ kind: "status", status: 429, retryAfterSeconds: 3, count: 1 });
    t.sim.control.clearRequestLog();
    await up();
    const refused = api(t.sim.control.requestLog()).filter((e) => e.status === 429);
    expect(refused).toHaveLength(5);
    expect(output()).toMatch(
      /eliza-coolify: Coolify's rate limit was reached \(429 on [A-Z]+ \/[^)]*\); waiting 3 s for its window, as it asked \(Retry-After\)/,
    );
    expectNoDuplicates();
  });

  it("the API disabled in the middle of an up: a clear error, and once enabled, up completes with nothing twice", async () => {
    await setLogLevel(0, "info");
    await setLogLevel(1, "info");
    const before = AGENTS.map(deploymentsOf);
    // Both deploys are held in the simulator; the API is switched off while they wait.
    t.sim.control.injectFault({
      kind: "latency",
      ms: 1_500,
      match: { method: "POST", path: "/deploy", query: REAL_DEPLOY },
      count: 2,
    });
    const running = failing(t.stack.up({ onOutput: t.onOutput }));
    const started = Date.now();
    while (!t.sim.control.inFlight().some((e) => e.path.startsWith("/api/v1/deploy"))) {
      if (Date.now() - started > 120_000) throw new Error("the up never reached its deploys");
      await sleep(50);
    }
    t.sim.control.setApiEnabled(false);
    await running;
    expect(output()).toContain("The Coolify API is disabled (403 on POST /deploy)");
    expect(output()).toContain("Settings -> Advanced");
    noStackTrace(output());
    // The env writes went through before; the refused deploys made nothing.
    expect(AGENTS.map(deploymentsOf)).toEqual(before);

    t.sim.control.setApiEnabled(true);
    await up();
    expect(AGENTS.map(deploymentsOf)).toEqual(before.map((n) => n + 1));
    expectNoDuplicates();
  });

  it("a database change previews (values not known yet) and applies without a new database", async () => {
    const dbBefore = t.sim.control.state().databases[0]?.uuid;
    await t.stack.setConfig("eliza-coolify:databaseMemory", { value: "1g" });
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary.update).toBeGreaterThanOrEqual(1);
    expect(preview.changeSummary.replace ?? 0).toBe(0);
    await up();
    const db = t.sim.control.state().databases[0];
    expect(db?.uuid).toBe(dbBefore);
    expect(db?.limits_memory).toBe("1g");
    expectNoDuplicates();
    goodStackFile = readFileSync(stackFile(), "utf8");
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
    await up();
    const log = t.sim.control.requestLog();
    expect(writes(log).filter((e) => e.path.includes("/envs"))).toHaveLength(1);
    expect(deploymentsOf("server-bod")).toBeGreaterThan(before);
    // The agent plane records chat messages: the smoke test talked to the redeployed agent.
    expect(
      log.some((e) => e.app === app?.uuid && /\/api\/messaging\/sessions\/.+\/messages/.test(e.path)),
    ).toBe(true);
    const envs = t.sim.control.state().envs.filter((e) => e.key === "LOG_LEVEL" && e.is_preview === false);
    expect(envs.map((e) => e.value)).not.toContain("fatal");
    expectNoDuplicates();
  });

  it("application settings and the project name edited by hand: refresh, then up puts them back, redeploys and chats again", async () => {
    const app = appNamed("release-scribe");
    const project = t.sim.control.state().projects[0];
    const edits = [
      await root("PATCH", `/applications/${app?.uuid}`, {
        docker_registry_image_tag: "0.0.9",
        limits_memory: "3g",
        health_check_path: "/nowhere",
      }),
      await root("PATCH", `/projects/${project?.uuid}`, { name: "renamed by hand" }),
    ];
    expect(edits.map((r) => r.status)).toEqual([200, 201]);
    const before = deploymentsOf("release-scribe");
    await t.stack.refresh({ onOutput: t.onOutput });
    t.sim.control.clearRequestLog();
    await up();
    const log = t.sim.control.requestLog();
    expect(appNamed("release-scribe")).toMatchObject({
      docker_registry_image_tag: "0.1.0",
      limits_memory: "1g",
      health_check_path: "/health",
    });
    expect(t.sim.control.state().projects[0]?.name).toBe("eliza-agents-staging");
    // What the container runs with changed, so it was redeployed and talked to again.
    expect(deploymentsOf("release-scribe")).toBe(before + 1);
    expect(
      log.some((e) => e.app === app?.uuid && /\/api\/messaging\/sessions\/.+\/messages/.test(e.path)),
    ).toBe(true);
    // The other agent was not touched.
    expect(writes(log).filter((e) => e.path.includes(String(appNamed("server-bod")?.uuid)))).toEqual([]);
    expectNoDuplicates();
  });

  it("secrets are locked in Coolify: shown to nobody, not even a root token", async () => {
    const app = appNamed("server-bod");
    const res = await root("GET", `/applications/${app?.uuid}/envs`);
    const envs = (await res.json()) as { key: string; value?: string; is_shown_once: boolean }[];
    for (const key of SECRET_ENV) {
      const env = envs.find((e) => e.key === key);
      expect(env?.is_shown_once).toBe(true);
      expect(env?.value).toBeUndefined();
    }
    expect(JSON.stringify(envs)).not.toContain(DEMO_MODEL_KEY);
    // The other variables stay readable (and comparable by refresh).
    expect(envs.find((e) => e.key === "LOG_LEVEL")?.value).toMatch(/^(fatal|error|warn|info|debug|trace)$/);
  });

  it("a failing agent and an unreachable one: up fails naming each and what to check, and once fixed the next up passes", async () => {
    const broken = appNamed("server-bod");
    const gone = appNamed("release-scribe");
    t.sim.control.setAgentBehaviour(String(broken?.uuid), { failChat: true });
    t.sim.control.setAgentBehaviour(String(gone?.uuid), { unreachable: true });
    await setLogLevel(0, "trace");
    await setLogLevel(1, "debug");
    await failing(t.stack.up({ onOutput: t.onOutput }));
    const said = output();
    expect(said).toContain(
      'The smoke test of agent "Server Bod" (https://bod.staging.example.com) failed, so `pulumi up` stops here',
    );
    expect(said).toMatch(/Agent "Server Bod" failed to answer: the server said 500/);
    expect(said).toContain("check its API key (e.g. OPENAI_API_KEY)");
    expect(said).toContain(
      'The smoke test of agent "Release Scribe" (https://scribe.staging.example.com) failed',
    );
    expect(said).toContain("Cannot reach the ElizaOS server at https://scribe.staging.example.com");
    expect(said).toContain("Check that the container is running");
    noStackTrace(said);

    t.sim.control.setAgentBehaviour(String(broken?.uuid), {});
    t.sim.control.setAgentBehaviour(String(gone?.uuid), {});
    t.sim.control.clearRequestLog();
    await up();
    // Both smoke tests ran again and got their answer.
    for (const app of [broken, gone]) {
      const chats = t.sim.control
        .requestLog()
        .filter((e) => e.app === app?.uuid && /\/api\/messaging\/sessions\/.+\/messages/.test(e.path));
      expect(chats.map((e) => e.status)).toEqual([201]);
    }
    expectNoDuplicates();
    goodStackFile = readFileSync(stackFile(), "utf8");
  });

  it("a database deleted outside Pulumi stops up with how to restore, instead of an empty one", async () => {
    const db = t.sim.control.state().databases[0];
    await root("DELETE", `/databases/${db?.uuid}`);
    await sleep(800); // Coolify's queued delete runs
    await t.stack.refresh({ onOutput: t.onOutput });
    t.sim.control.clearRequestLog();
    await failing(t.stack.up({ onOutput: t.onOutput }));
    expect(output()).toContain("was deleted outside Pulumi");
    expect(output()).toContain("Disaster recovery");
    noStackTrace(output());
    expect(t.sim.control.state().databases).toEqual([]);
    expect(writes(t.sim.control.requestLog()).filter((e) => e.path.includes("databases"))).toEqual([]);
    await t.stack.setConfig("eliza-coolify:databaseRecreateIfLost", { value: "true" });
    await up();
    await t.stack.removeConfig("eliza-coolify:databaseRecreateIfLost");
    expectNoDuplicates();
    expectAgentsReachTheDatabase();
  });

  it("kill -9 of the CLI while it waits on a deployment: every plugin exits, and the documented recovery ends clean", async () => {
    await setLogLevel(1, "warn");
    // Slow deployments, so the CLI is killed while the provider waits on one.
    t.sim.control.setClockSpeed(0.02);
    t.sim.control.clearRequestLog();
    const cli = spawnUp();
    const started = Date.now();
    const deploying = (e: RequestLogEntry) =>
      e.path.startsWith("/api/v1/deploy?") && REAL_DEPLOY.test(e.path);
    while (!t.sim.control.requestLog().some(deploying)) {
      if (Date.now() - started > 120_000) throw new Error("the up never reached a deployment");
      await sleep(200);
    }
    expect(pluginsOf(t.workDir).length).toBeGreaterThan(0);
    cli.kill("SIGKILL");
    await expectPluginsGone();
    t.sim.control.setClockSpeed(1);
    goodStackFile = readFileSync(stackFile(), "utf8");
    await recover();
    expectNoDuplicates();
  });

  it("5xx on polls: retried, and up goes on", async () => {
    await setLogLevel(1, "error");
    t.sim.control.injectFault({
      kind: "status",
      status: 503,
      match: { method: "GET", path: /\/deployments\// },
      count: 2,
    });
    t.sim.control.clearRequestLog();
    await up();
    expect(t.sim.control.requestLog().filter((e) => e.status === 503)).toHaveLength(2);
    expectNoDuplicates();
  });

  it("deployments that end failed and unhealthy: up fails saying which and why, and the next up recovers", async () => {
    const failed = appNamed("release-scribe");
    const unhealthy = appNamed("server-bod");
    t.sim.control.setDeploymentOutcome(String(failed?.uuid), "fail");
    t.sim.control.setDeploymentOutcome(String(unhealthy?.uuid), "unhealthy");
    await setLogLevel(0, "warn");
    await setLogLevel(1, "info");
    await failing(t.stack.up({ onOutput: t.onOutput }));
    expect(output()).toMatch(
      new RegExp(
        `Deployment \\S+ of application ${failed?.uuid} failed\\.[\\s\\S]*Last lines of the log of deployment`,
      ),
    );
    expect(output()).toMatch(
      new RegExp(
        `Deployment \\S+ of application ${unhealthy?.uuid} finished, but the application reports "running:unhealthy" instead of running:healthy[^.]*\\. Check its health check \\(path, port, start period\\)`,
      ),
    );
    noStackTrace(output());
    t.sim.control.setDeploymentOutcome(String(failed?.uuid), "success");
    t.sim.control.setDeploymentOutcome(String(unhealthy?.uuid), "success");
    await up();
    expectNoDuplicates();
  });

  it("a broken stack file: the CLI fails and leaves no language host behind", async () => {
    goodStackFile = readFileSync(stackFile(), "utf8");
    writeFileSync(stackFile(), `${goodStackFile}\n  eliza-coolify:agents: [unclosed\n`);
    t.sim.control.clearRequestLog();
    await failing(t.stack.preview({ onOutput: t.onOutput }));
    writeFileSync(stackFile(), goodStackFile);
    await expectPluginsGone();
    expect(api(t.sim.control.requestLog())).toEqual([]);
  });

  it("the API disabled before a destroy: it fails once, clearly, and nothing is deleted", async () => {
    t.sim.control.setApiEnabled(false);
    await failing(t.stack.destroy({ onOutput: t.onOutput }));
    expect(output()).toContain("The Coolify API is disabled");
    noStackTrace(output());
    expectNoDuplicates();
  });

  it("answered only what the OpenAPI document allows, and destroys to an empty Coolify", async () => {
    expect(t.sim.control.responseViolations()).toEqual([]);
    expectNoSecretIn(t.output.join(""), "the CLI output of the whole suite");
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    t.output.push(destroy.stderr);
    expect(destroy.summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect([s.projects, s.applications, s.databases]).toEqual([[], [], []]);
  });

  /**
   * `pulumi up` killed with SIGKILL while the creates of the database and both applications are
   * held in the simulator: all three sent, none answered, each lands after the kill. Returns what
   * Coolify then holds (a project, a database and two applications the state does not know).
   */
  async function killUpWithCreatesInFlight(env: Record<string, string> = {}) {
    const held = { kind: "latency" as const, ms: 4_000 };
    t.sim.control.injectFault({
      ...held,
      match: { method: "POST", path: "/applications/dockerimage" },
      count: 2,
    });
    t.sim.control.injectFault({ ...held, match: { method: "POST", path: "/databases/postgresql" } });
    const cli = spawnUp(env);
    const started = Date.now();
    while (t.sim.control.inFlight().length < 3) {
      if (Date.now() - started > 120_000) throw new Error("the up never had its three creates in flight");
      await sleep(100);
    }
    cli.kill("SIGKILL");
    await expectPluginsGone();
    while (t.sim.control.inFlight().length > 0) await sleep(100);
    const s = t.sim.control.state();
    expect([s.projects.length, s.databases.length, s.applications.length]).toEqual([1, 1, 2]);
    return s;
  }

  /** `pulumi up` as a user runs it, in its own process (so it can be killed); output kept. */
  function spawnUp(env: Record<string, string> = {}) {
    const cli = spawn(
      join(repoRoot, ".tools", "bin", "pulumi"),
      ["up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"],
      {
        cwd: t.workDir,
        env: { ...process.env, ...t.stack.workspace.envVars, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    cli.stdout.on("data", (d: Buffer) => t.output.push(d.toString()));
    cli.stderr.on("data", (d: Buffer) => t.output.push(d.toString()));
    return cli;
  }

  /** The language host and the provider process of this project exit by themselves. */
  async function expectPluginsGone(): Promise<void> {
    const since = Date.now();
    while (pluginsOf(t.workDir).length > 0 && Date.now() - since < 20_000) await sleep(250);
    expect(pluginsOf(t.workDir)).toEqual([]);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
