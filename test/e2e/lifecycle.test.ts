// Day-2 lifecycle of the dev stack through the real pulumi CLI on the simulator, with
// eliza-coolify:rollback on: a deployment that fails, one that ends unhealthy and one that
// fails its smoke test are each rolled back (the agent answers with the old version, state says
// what runs, the next preview still shows the failed change); a stop and a start from config; a
// file in an agent's storage kept across a redeploy and the rollbacks; an agent removed with its
// volume; secrets masked in what the CLI shows, and absent from state.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import { DEMO_MODEL_KEY, type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

type LogEntry = { method: string; path: string; plane?: string };
type StateResource = { type: string; urn: string; outputs?: Record<string, unknown> };

const IMAGE = "ghcr.io/eliza-coolify/eliza-agent";
const DATA_FILE = "/app/agent/.eliza/data/knowledge/runbook.md";

describe("rollback, stop and start, storage: the dev stack on the simulator", () => {
  let t: LocalStack;
  const api = (log: LogEntry[]) => log.filter((e) => e.path.startsWith("/api/v1"));
  const writes = (log: LogEntry[]) => api(log).filter((e) => e.method !== "GET");
  const calls = (log: LogEntry[]) => api(log).map((e) => `${e.method} ${e.path}`);
  /** What the CLI printed since `mark` (an index into t.output). */
  const outputSince = (mark: number) => t.output.slice(mark).join("");
  let stopRequests = 0;
  const app = (name: string) => t.sim.control.state().applications.find((a) => a.name === name);
  const bodUuid = () => String(app("server-bod")?.uuid);
  async function during(fn: () => Promise<unknown>): Promise<LogEntry[]> {
    t.sim.control.clearRequestLog();
    await fn();
    return t.sim.control.requestLog();
  }

  /** What server-bod answers now: the simulated agent's reply names the image it runs. */
  async function chatWithBod(): Promise<string> {
    const tokens = (await t.stack.outputs()).agentApiTokens?.value as Record<string, string>;
    const r = await runSmokeTest({
      baseUrl: "https://bod.staging.example.com",
      authToken: tokens["server-bod"],
      agentName: "Server Bod",
      timeoutMs: 5_000,
      fetchImpl: fetchVia({ connectTo: `127.0.0.1:${t.sim.tlsPort}`, caCertificate: t.certs.caPem }),
    });
    return r.reply;
  }

  /** The Deployment of server-bod as state records it. */
  async function bodDeploymentState(): Promise<Record<string, unknown>> {
    const resources = (await t.stack.exportStack()).deployment.resources as StateResource[];
    const d = resources.find(
      (r) =>
        r.type === "pulumi-nodejs:dynamic/coolify:Deployment" && r.urn.endsWith("::server-bod-deployment"),
    );
    return d?.outputs ?? {};
  }

  /** The resources a preview would update, by name. */
  async function previewUpdates(
    opts: { diff?: boolean } = {},
  ): Promise<{ updates: string[]; stdout: string }> {
    const updates: string[] = [];
    const onEvent = (e: EngineEvent) => {
      const m = e.resourcePreEvent?.metadata;
      if (m && m.op !== "same" && m.op !== "read") updates.push(`${m.op} ${m.urn.replace(/.*::/, "")}`);
    };
    const r = await t.stack.preview({ onOutput: t.onOutput, onEvent, diff: opts.diff });
    return { updates, stdout: r.stdout };
  }

  const setImage = (tag: string) =>
    t.stack.setConfig("eliza-coolify:agents[0].source.image", { value: `${IMAGE}:${tag}` }, true);

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "dev", config: { "eliza-coolify:rollback": { value: "true" } } });
  });
  afterAll(async () => t?.close());

  it("deploys both agents, each with a volume for its data directory", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect(s.storages.map((x) => x.mount_path)).toEqual(["/app/agent/.eliza", "/app/agent/.eliza"]);
    expect(s.volumes.map((v) => v.name).sort()).toEqual(
      s.applications.map((a) => `${a.uuid}-eliza-data`).sort(),
    );
    expect(await chatWithBod()).toContain(`image ${IMAGE}:0.1.0`);
  });

  it("a redeploy keeps a file in the agent's storage", async () => {
    t.sim.control.writeContainerFile(bodUuid(), DATA_FILE, "# restart the proxy first");
    t.sim.control.writeContainerFile(bodUuid(), "/tmp/not-kept.txt", "scratch");
    const before = t.sim.control.state().deployments.length;
    await t.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "info" }, true);
    expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    expect(t.sim.control.state().deployments.length).toBe(before + 1);
    expect(t.sim.control.readContainerFile(bodUuid(), DATA_FILE)).toBe("# restart the proxy first");
    // A file outside the storage went with the old container: the storage is what keeps data.
    expect(t.sim.control.readContainerFile(bodUuid(), "/tmp/not-kept.txt")).toBeUndefined();
  });

  const kinds = [
    {
      kind: "failed",
      tag: "0.2.0",
      behaviour: { deployment: "fail" as const },
      says: /of application \S+ failed\./,
    },
    {
      kind: "unhealthy",
      tag: "0.3.0",
      behaviour: {
        deployment: "unhealthy" as const,
        // A crashing agent that prints its secrets: the CLI must show them masked.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the simulator's env placeholder
        logLines: ["Error: cannot connect to ${POSTGRES_URL}", "using OPENAI_API_KEY=${OPENAI_API_KEY}"],
      },
      says: /reports "running:unhealthy" instead of running:healthy/,
      shows: ["Error: cannot connect to ****", "using OPENAI_API_KEY=****"],
    },
    {
      kind: "smoke test",
      tag: "0.4.0",
      behaviour: { failChat: true },
      says: /is running:healthy but failed the smoke test: Agent "Server Bod" failed to answer/,
    },
  ];

  for (const k of kinds) {
    it(`a deployment that ${k.kind === "smoke test" ? "fails the smoke test" : k.kind === "failed" ? "fails" : "ends unhealthy"} is rolled back: the agent answers with the old version, state says so, the change stays pending`, async () => {
      t.sim.control.setImageBehaviour(`${IMAGE}:${k.tag}`, k.behaviour);
      await setImage(k.tag);
      const mark = t.output.length;
      const log = await during(async () => {
        const failed = await t.stack.up({ onOutput: t.onOutput }).catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(Error);
      });
      const said = outputSince(mark);
      expect(said).toMatch(k.says);
      expect(said).toMatch(
        new RegExp(
          `Rolled back to image ${IMAGE.replace(/\./g, "\\.")}:0\\.1\\.0: deployment [a-z0-9]{24} is running:healthy and answered the smoke test`,
        ),
      );
      expect(said).toMatch(/Full logs: http:\/\/127\.0\.0\.1:\d+\/project\/.+\/deployment\/[a-z0-9]{24}/);
      expect(said).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      for (const masked of k.shows ?? []) expect(said).toContain(masked);
      // The rollback: the new image set and deployed, the logs read, the old image set and deployed.
      const bodPatches = writes(log).filter((e) => e.path === `/api/v1/applications/${bodUuid()}`);
      expect(bodPatches.length).toBeGreaterThanOrEqual(2);
      expect(
        writes(log).filter((e) => e.path.startsWith("/api/v1/deploy?uuid=") && !e.path.includes("ability")),
      ).toHaveLength(2);
      expect(calls(log)).toContain(`GET /api/v1/applications/${bodUuid()}/logs?lines=30`);

      // Afterwards: Coolify runs and stores the old version, and the agent answers with it.
      expect(app("server-bod")).toMatchObject({
        status: "running:healthy",
        docker_registry_image_tag: "0.1.0",
      });
      expect(await chatWithBod()).toContain(`image ${IMAGE}:0.1.0`);
      expect(t.sim.control.readContainerFile(bodUuid(), DATA_FILE)).toBe("# restart the proxy first");
      // State says what runs; a preview without any change shows the failed change still pending.
      const d = await bodDeploymentState();
      expect(d.lastGoodImage).toEqual({ name: IMAGE, tag: "0.1.0" });
      expect((d.triggers as Record<string, string>).image).toBe(`${IMAGE}:0.1.0`);
      expect((await previewUpdates()).updates).toContain("update server-bod-deployment");
    });
  }

  it("masked the secrets the unhealthy agent printed, and never stored or showed them", async () => {
    const all = t.output.join("");
    const dbPassword = String(t.sim.control.state().databases[0]?.postgres_password);
    expect(dbPassword.length).toBeGreaterThan(8);
    const exported = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8");
    for (const secret of [dbPassword, DEMO_MODEL_KEY, t.sim.rootToken]) {
      expect(exported).not.toContain(secret);
      expect(all).not.toContain(secret);
    }
  });

  it("declaring the version that runs again settles it: up succeeds, then nothing is pending", async () => {
    await setImage("0.1.0");
    expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    expect((await previewUpdates()).updates).toEqual([]);
    expect(await chatWithBod()).toContain(`image ${IMAGE}:0.1.0`);
  });

  it("running: false stops the agent with one write, no redeploy, nothing lost", async () => {
    await t.stack.setConfig("eliza-coolify:agents[0].running", { value: "false" }, true);
    const preview = await previewUpdates({ diff: true });
    expect(preview.updates).toContain("update server-bod-deployment");
    expect(preview.stdout).toMatch(/running\s*:\s*true\s*=>\s*false/);
    // While stopped there is nothing to check: the TLS check and the smoke test go.
    expect(preview.updates).toEqual(expect.arrayContaining(["delete server-bod-smoke-test"]));
    const deployments = t.sim.control.state().deployments.length;
    const mark = t.output.length;
    const log = await during(async () => {
      expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    });
    expect(outputSince(mark)).toContain("agent server-bod is stopped (running: false)");
    expect(calls(writes(log)).filter((c) => !c.includes("ability-check"))).toEqual([
      `POST /api/v1/applications/${bodUuid()}/stop?docker_cleanup=false`,
    ]);
    stopRequests = api(log).length;
    expect(app("server-bod")?.status).toBe("exited");
    expect(t.sim.control.state().deployments.length).toBe(deployments);
    expect(t.sim.control.readContainerFile(bodUuid(), DATA_FILE)).toBeUndefined(); // no container now
    expect((await previewUpdates()).updates).toEqual([]);
  });

  it("running: true starts it again: a deployment, running:healthy, answering chat, its file still there", async () => {
    await t.stack.setConfig("eliza-coolify:agents[0].running", { value: "true" }, true);
    const preview = await previewUpdates({ diff: true });
    expect(preview.stdout).toMatch(/running\s*:\s*false\s*=>\s*true/);
    const log = await during(async () => {
      expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    });
    const deploys = writes(log).filter(
      (e) => e.path.startsWith("/api/v1/deploy?uuid=") && !e.path.includes("ability"),
    );
    expect(deploys).toHaveLength(1);
    expect(app("server-bod")?.status).toBe("running:healthy");
    expect(await chatWithBod()).toContain("Server Bod");
    expect(t.sim.control.readContainerFile(bodUuid(), DATA_FILE)).toBe("# restart the proxy first");
    // Reported: what a stop and a start cost in Coolify requests.
    console.info(`lifecycle e2e: stop made ${stopRequests} API requests, start ${api(log).length}`);
    expect(stopRequests).toBeGreaterThan(0);
  });

  it("removing an agent removes its application and its volume", async () => {
    const scribe = String(app("release-scribe")?.uuid);
    const agents = JSON.parse((await t.stack.getConfig("eliza-coolify:agents")).value) as unknown[];
    await t.stack.setConfig("eliza-coolify:agents", { value: JSON.stringify(agents.slice(0, 1)) });
    expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect(s.applications.map((a) => a.name)).toEqual(["server-bod"]);
    expect(s.volumes.map((v) => v.name)).toEqual([`${bodUuid()}-eliza-data`]);
    expect(s.volumes.some((v) => String(v.name).startsWith(scribe))).toBe(false);
    expect(s.storages).toHaveLength(1);
  });

  it("answered only what Coolify's OpenAPI document allows, and destroys to an empty Coolify", async () => {
    expect(t.sim.control.responseViolations()).toEqual([]);
    expect((await t.stack.destroy({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
    const s = t.sim.control.state();
    expect([s.projects, s.applications, s.databases, s.storages, s.volumes]).toEqual([[], [], [], [], []]);
  });
});
