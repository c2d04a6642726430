// The Deployment's day-2 behaviour against the simulator: rollback to the last version that
// passed for each failure kind (failed, unhealthy, smoke test) on image and git sources, stop
// and start with `running`, and diagnostics whose quoted logs have every secret masked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import type { Props } from "../../providers/coolify/src/provider/types";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { deploymentImpl } from "../../providers/coolify/src/resources/deployment";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { runSmokeTest } from "../../providers/coolify/src/smoke-test";
import {
  checked,
  create,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
  writes,
} from "./harness";

const IMAGE = "ghcr.io/example/agent";
const TOKEN = "agent-api-token-0123456789abcdef";
const DB_PASSWORD = "db-pass-5f3a9c27e1";
const DB_URL = `postgres://eliza:${DB_PASSWORD}@dbhost:5432/eliza`;
const CHARACTER = { name: "Rollo", bio: ["Rolls back."], plugins: ["@elizaos/plugin-openai"] };

describe("Deployment lifecycle", () => {
  let p: ProviderSim;
  let projectUuid: string;
  let connectTo: string;
  let n = 0;

  beforeAll(async () => {
    p = await startProviderSim({ deploymentPhaseMs: 40, rateLimitPerMinute: 5_000 });
    connectTo = new URL(p.sim.url).host;
    projectUuid = (await create(projectImpl, { name: "lifecycle", owner: "t/dev/lifecycle" })).id;
  });
  afterAll(async () => p.close());

  /** A fresh agent application on `tag` with a domain, its env set; returns uuid and url. */
  async function agentApp(source: Props = { type: "dockerimage", image: `${IMAGE}:1.0` }) {
    const name = `agent-${++n}`;
    const url = `http://${name}.example.test`;
    const app = await create(applicationImpl, {
      projectUuid,
      environment: "production",
      serverUuid: p.serverUuid,
      name,
      source,
      port: 3000,
      domains: [url],
      owner: `t/dev/${name}`,
    });
    for (const [key, value] of Object.entries({
      AGENT_CHARACTER_JSON: JSON.stringify(CHARACTER),
      OPENAI_API_KEY: "sk-test-abcdefghijklmnop0000",
      ELIZA_SERVER_AUTH_TOKEN: TOKEN,
      POSTGRES_URL: DB_URL,
    })) {
      await simApi(p, "POST", `/applications/${app.id}/envs`, { key, value });
    }
    return { uuid: app.id, url };
  }

  function inputs(app: { uuid: string; url: string }, tag: string | undefined, extra: Props = {}): Props {
    return {
      applicationUuid: app.uuid,
      triggers: { image: tag ?? "git" },
      timeoutSeconds: 120,
      rollback: true,
      ...(tag ? { image: { name: IMAGE, tag } } : {}),
      smokeTest: { url: app.url, agentName: CHARACTER.name, connectTo },
      smokeTestToken: TOKEN,
      maskValues: [DB_URL, TOKEN],
      ...extra,
    };
  }

  /** What the agent says now: its reply names the image it runs. */
  async function chat(app: { url: string }): Promise<string> {
    const r = await runSmokeTest({
      baseUrl: app.url,
      authToken: TOKEN,
      agentName: CHARACTER.name,
      timeoutMs: 3_000,
      fetchImpl: fetchVia({ connectTo }),
    });
    return r.reply;
  }

  const storedTag = (uuid: string) =>
    p.sim.control.state().applications.find((a) => a.uuid === uuid)?.docker_registry_image_tag;
  const api = (reqs: string[]) => reqs.filter((r) => r.includes("/api/v1/"));

  /** The Application's own update to `tag` (what `pulumi up` does before the Deployment). */
  const patchTag = (uuid: string, tag: string) =>
    simApi(p, "PATCH", `/applications/${uuid}`, { docker_registry_image_tag: tag });

  for (const kind of ["failed", "unhealthy", "smoke test"] as const) {
    it(`rolls back a deployment that ${kind === "smoke test" ? "fails the smoke test" : kind === "failed" ? "fails" : "ends unhealthy"}, and says so`, async () => {
      const app = await agentApp();
      const first = await create(deploymentImpl, inputs(app, "1.0"));
      expect(first.outs).toMatchObject({ lastGoodImage: { name: IMAGE, tag: "1.0" }, status: "finished" });
      p.sim.control.setImageBehaviour(
        `${IMAGE}:2.0`,
        kind === "failed"
          ? { deployment: "fail" }
          : kind === "unhealthy"
            ? { deployment: "unhealthy" }
            : { failChat: true },
      );
      await patchTag(app.uuid, "2.0");
      const news = await checked(deploymentImpl, inputs(app, "2.0"));
      expect((await deploymentImpl.diff(first.id, first.outs, news)).changes).toBe(true);
      let error: Error | undefined;
      const reqs = await requestsDuring(p.sim, async () => {
        error = await deploymentImpl.update(first.id, first.outs, news).then(
          () => undefined,
          (e: Error) => e,
        );
      });
      expect(error?.message).toMatch(
        kind === "failed"
          ? /^Deployment \S+ of application \S+ failed\./
          : kind === "unhealthy"
            ? /reports "running:unhealthy" instead of running:healthy/
            : /is running:healthy but failed the smoke test: Agent "Rollo" failed to answer/,
      );
      expect(error?.message).toMatch(
        new RegExp(
          `Rolled back to image ${IMAGE}:1\\.0: deployment [a-z0-9]{24} is running:healthy and answered the smoke test`,
        ),
      );
      expect(error?.message).toMatch(/Full logs: http:\/\/.+\/deployment\/[a-z0-9]{24}/);
      // Afterwards the agent runs and answers with the old version, and Coolify stores it.
      expect(await chat(app)).toContain(`image ${IMAGE}:1.0`);
      expect(storedTag(app.uuid)).toBe("1.0");
      // The rollback put the old image back and deployed it: two image writes, two deploys.
      const w = writes(api(reqs)).map((r) => r.replace(/\?.*/, ""));
      expect(w.filter((r) => r === `PATCH /api/v1/applications/${app.uuid}`)).toHaveLength(2);
      expect(w.filter((r) => r === "POST /api/v1/deploy")).toHaveLength(2);
      expect(api(reqs)).toContain(`GET /api/v1/applications/${app.uuid}/logs?lines=30`);

      // State keeps the old outputs (the update failed): the next up tries 2.0 again, and its
      // PATCH puts 2.0 back in Coolify even though the Application's state already says 2.0.
      p.sim.control.setImageBehaviour(`${IMAGE}:2.0`, {});
      const again = await deploymentImpl.update(first.id, first.outs, news);
      expect(again.outs).toMatchObject({ lastGoodImage: { name: IMAGE, tag: "2.0" } });
      expect(again.outs.smokeTestReply).toContain(`image ${IMAGE}:2.0`);
      expect(storedTag(app.uuid)).toBe("2.0");
    });
  }

  it("rolls a git source back to the last commit that passed with Coolify's rollback endpoint", async () => {
    const app = await agentApp({
      type: "public",
      repository: "https://github.com/acme/rollo",
      branch: "main",
    });
    const first = await create(deploymentImpl, inputs(app, undefined));
    const good = first.outs.lastGoodCommit as string;
    expect(good).toMatch(/^[0-9a-f]{40}$/);
    const bad = "c".repeat(40);
    p.sim.control.setGitHead("acme/rollo", "main", bad);
    p.sim.control.setImageBehaviour(bad, { deployment: "fail" });
    const news = await checked(
      deploymentImpl,
      inputs(app, undefined, { triggers: { image: "git", push: "2" } }),
    );
    let message = "";
    const reqs = await requestsDuring(p.sim, async () => {
      message = await deploymentImpl.update(first.id, first.outs, news).then(
        () => "",
        (e: Error) => e.message,
      );
    });
    expect(message).toContain(`Rolled back to commit ${good}`);
    expect(writes(api(reqs))).toContain(`POST /api/v1/applications/${app.uuid}/rollback`);
    expect(await chat(app)).toContain(`:${good}`);
  });

  it("does not roll back when rollback is off, or when the image did not change", async () => {
    const app = await agentApp();
    const off = await create(deploymentImpl, inputs(app, "1.0", { rollback: false }));
    p.sim.control.setImageBehaviour(`${IMAGE}:3.0`, { deployment: "fail" });
    await patchTag(app.uuid, "3.0");
    const news = await checked(deploymentImpl, inputs(app, "3.0", { rollback: false }));
    await expect(deploymentImpl.update(off.id, off.outs, news)).rejects.toThrow(/Automatic rollback is off/);
    expect(storedTag(app.uuid)).toBe("3.0");
    // Same image, another trigger: nothing else passed to go back to.
    p.sim.control.setDeploymentOutcome(app.uuid, "unhealthy");
    const same = await checked(deploymentImpl, inputs(app, "1.0", { triggers: { image: "1.0", env: "x" } }));
    await patchTag(app.uuid, "1.0");
    await expect(deploymentImpl.update(off.id, off.outs, same)).rejects.toThrow(
      /Not rolled back: no other version that passed is recorded/,
    );
    p.sim.control.setDeploymentOutcome(app.uuid, "success");
  });

  it("running false stops with one write and no deployment; true starts, waits healthy and chats", async () => {
    const app = await agentApp();
    const first = await create(deploymentImpl, inputs(app, "1.0"));
    const stop = await checked(deploymentImpl, inputs(app, "1.0", { running: false }));
    expect((await deploymentImpl.diff(first.id, first.outs, stop)).changes).toBe(true);
    const holder: { outs?: Props } = {};
    const stopReqs = await requestsDuring(p.sim, async () => {
      holder.outs = (await deploymentImpl.update(first.id, first.outs, stop)).outs;
    });
    expect(writes(api(stopReqs))).toEqual([
      `POST /api/v1/applications/${app.uuid}/stop?docker_cleanup=false`,
    ]);
    expect(holder.outs).toMatchObject({ running: false, applicationStatus: "exited" });
    expect(p.sim.control.state().applications.find((a) => a.uuid === app.uuid)?.status).toBe("exited");
    const stopped = holder.outs as Props;

    // No change: no update at all. A change while stopped is recorded without a request.
    expect((await deploymentImpl.diff(first.id, stopped, stop)).changes).toBe(false);
    const envChange = await checked(
      deploymentImpl,
      inputs(app, "1.0", { running: false, triggers: { image: "1.0", env: "e2" } }),
    );
    const recordReqs = await requestsDuring(p.sim, async () => {
      holder.outs = (await deploymentImpl.update(first.id, stopped, envChange)).outs;
    });
    expect(recordReqs).toEqual([]);

    const start = await checked(
      deploymentImpl,
      inputs(app, "1.0", { triggers: { image: "1.0", env: "e2" } }),
    );
    const startReqs = await requestsDuring(p.sim, async () => {
      holder.outs = (await deploymentImpl.update(first.id, holder.outs as Props, start)).outs;
    });
    expect(writes(api(startReqs)).map((r) => r.replace(/\?.*/, ""))).toEqual(["POST /api/v1/deploy"]);
    expect(holder.outs).toMatchObject({ running: true, applicationStatus: "running:healthy" });
    expect(holder.outs?.smokeTestReply).toContain("Rollo");
    expect(startReqs.some((r) => r.includes("/api/messaging/sessions"))).toBe(true);
  });

  it("diagnostics quote the application's log with every secret masked, never keeping it", async () => {
    const app = await agentApp();
    p.sim.control.setImageBehaviour(`${IMAGE}:1.0`, {
      deployment: "unhealthy",
      logLines: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the simulator's env placeholder
        "Error: cannot connect to ${POSTGRES_URL}",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the simulator's env placeholder
        "auth token is ${ELIZA_SERVER_AUTH_TOKEN}",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the simulator's env placeholder
        "OPENAI_API_KEY=${OPENAI_API_KEY}",
      ],
    });
    const i = await checked(deploymentImpl, inputs(app, "1.0"));
    const error = await deploymentImpl.create(i).then(
      () => undefined,
      (e: Error) => e,
    );
    const message = String(error?.message);
    expect(message).toMatch(/^Deployment [a-z0-9]{24} of application/);
    expect(message).toContain("Last 30 lines of the application's log:");
    expect(message).toContain("Error: cannot connect to ****");
    expect(message).toContain("auth token is ****");
    expect(message).toContain("OPENAI_API_KEY=****");
    for (const secret of [DB_PASSWORD, TOKEN, "sk-test-abcdefghijklmnop0000"])
      expect(message).not.toContain(secret);
    p.sim.control.setImageBehaviour(`${IMAGE}:1.0`, {});

    // The values to mask and the token are inputs only: the outputs (state) never hold them.
    const ok = await deploymentImpl.create(i);
    const outs = JSON.stringify(ok.outs);
    expect(outs).not.toContain(DB_PASSWORD);
    expect(outs).not.toContain(TOKEN);
    expect(ok.outs).not.toHaveProperty("maskValues");
  });

  it("a deployment that never ran says the application has no log to show", async () => {
    const app = await agentApp();
    p.sim.control.setDeploymentOutcome(app.uuid, "fail");
    const error = await deploymentImpl.create(await checked(deploymentImpl, inputs(app, "1.0"))).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/failed\.\n/);
    expect(error?.message).toContain("Last lines of the log of deployment");
    expect(error?.message).toContain("Coolify says the application is not running");
    p.sim.control.setDeploymentOutcome(app.uuid, "success");
  });

  it("answered only what Coolify's OpenAPI document allows", () => {
    expect(p.sim.control.responseViolations()).toEqual([]);
  });
});
