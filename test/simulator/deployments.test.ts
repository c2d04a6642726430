// Deployments and application status (notes 4.5.5, 4.8, 2.5, section 7, P29, P30, P33).
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, useSimulator } from "./testkit";

const PHASE = 1000;
let app: string;
const sim = useSimulator({ deploymentPhaseMs: PHASE }, async (s) => {
  app = (await makeApp(s, await makeProject(s), { name: "agent" })).uuid;
});

const dep = async (uuid: string) => (await call(sim, "GET", `/deployments/${uuid}`)).body;
const status = async () => (await call(sim, "GET", `/applications/${app}`)).body.status;

describe("lifecycle", () => {
  it("success: queued -> in_progress -> finished; app exited -> starting -> running:healthy", async () => {
    const r = await call(sim, "POST", `/applications/${app}/start`);
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("Deployment request queued.");
    const id = r.body.deployment_uuid;
    expect(id).toMatch(/^[a-z0-9]{24}$/);
    expect((await dep(id)).status).toBe("queued");
    expect(await status()).toBe("exited");
    const running = await call(sim, "GET", "/deployments");
    expect(running.body.map((d: { deployment_uuid: string }) => d.deployment_uuid)).toEqual([id]);
    sim.control.step(PHASE);
    expect((await dep(id)).status).toBe("in_progress");
    sim.control.step(PHASE);
    const done = await dep(id);
    expect(done.status).toBe("finished");
    expect(done.finished_at).toBeTruthy();
    // a finished deployment is not proof: the status check reports health a phase later
    expect(await status()).toBe("starting:unknown");
    sim.control.step(PHASE);
    expect(await status()).toBe("running:healthy");
    expect((await call(sim, "GET", "/deployments")).body).toEqual([]);
  });
  it("fail: deployment failed with logs (hidden without read:sensitive); app stays exited", async () => {
    sim.control.setDeploymentOutcome(app, "fail");
    const id = (await call(sim, "POST", `/applications/${app}/start`)).body.deployment_uuid;
    sim.control.step(3 * PHASE);
    const d = await dep(id);
    expect(d.status).toBe("failed");
    expect(JSON.parse(d.logs).some((l: { type: string }) => l.type === "stderr")).toBe(true);
    expect(await status()).toBe("exited");
    const reader = sim.control.createToken({ abilities: ["read"] });
    const hidden = await call(sim, "GET", `/deployments/${id}`, undefined, { token: reader });
    expect(hidden.body).not.toHaveProperty("logs");
    expect(hidden.body.status).toBe("failed");
  });
  it("unhealthy: finished but running:unhealthy", async () => {
    sim.control.setDeploymentOutcome("*", "unhealthy");
    const id = (await call(sim, "POST", `/applications/${app}/start`)).body.deployment_uuid;
    sim.control.step(3 * PHASE);
    expect((await dep(id)).status).toBe("finished");
    expect(await status()).toBe("running:unhealthy");
  });
  it("stop makes the app exited; restart creates a restart-only deployment", async () => {
    await call(sim, "POST", `/applications/${app}/start`);
    sim.control.step(3 * PHASE);
    const rs = await call(sim, "POST", `/applications/${app}/restart`);
    expect(rs.body.message).toBe("Restart request queued.");
    expect((await dep(rs.body.deployment_uuid)).restart_only).toBe(true);
    sim.control.step(3 * PHASE);
    const st = await call(sim, "POST", `/applications/${app}/stop`);
    expect(st.body).toEqual({ message: "Application stopping request queued." });
    sim.control.step(PHASE);
    expect(await status()).toBe("exited");
  });
  it("clock speed drives transitions in real time too", async () => {
    sim.control.setClockSpeed(1000);
    const id = (await call(sim, "POST", `/applications/${app}/start`)).body.deployment_uuid;
    await new Promise((r) => setTimeout(r, 10));
    expect((await dep(id)).status).toBe("finished");
  });
});

describe("queue rules", () => {
  it("a second start while one is queued is skipped without uuid", async () => {
    await call(sim, "POST", `/applications/${app}/start`);
    const again = await call(sim, "POST", `/applications/${app}/start`, undefined);
    expect(again.body).toEqual({ message: "Deployment already queued for this commit." });
    const hist = await call(sim, "GET", `/deployments/applications/${app}`);
    expect(hist.body.count).toBe(1);
  });
  it("GET /deployments/applications/{uuid} is {count, deployments} newest first with skip/take", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await call(sim, "POST", `/applications/${app}/start`)).body.deployment_uuid);
      sim.control.step(3 * PHASE);
    }
    const r = await call(sim, "GET", `/deployments/applications/${app}?skip=1&take=1`);
    expect(r.body.count).toBe(3);
    expect(r.body.deployments.map((d: { deployment_uuid: string }) => d.deployment_uuid)).toEqual([ids[1]]);
  });
  it("404 Deployment not found for another team", async () => {
    const id = (await call(sim, "POST", `/applications/${app}/start`)).body.deployment_uuid;
    const other = sim.control.createToken({ abilities: ["root"], teamId: 9 });
    const r = await call(sim, "GET", `/deployments/${id}`, undefined, { token: other });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "Deployment not found." });
  });
});

describe("POST /deploy (notes 4.8)", () => {
  it("by uuid in the query: {deployments:[{message, resource_uuid, deployment_uuid}]}", async () => {
    const r = await call(sim, "POST", `/deploy?uuid=${app}&force=true`);
    expect(r.status).toBe(200);
    expect(r.body.deployments[0]).toMatchObject({
      message: "Application agent deployment queued.",
      resource_uuid: app,
    });
    expect((await dep(r.body.deployments[0].deployment_uuid)).force_rebuild).toBe(true);
  });
  it("parameter errors: none 400, unknown 404, JSON array 500 (P33)", async () => {
    expect((await call(sim, "POST", "/deploy")).body).toEqual({ message: "You must provide uuid or tag." });
    const nf = await call(sim, "POST", "/deploy?uuid=nothinghere");
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ message: "No resources found." });
    const arr = await call(sim, "POST", "/deploy", { uuid: [app] });
    expect(arr.status).toBe(500);
  });
});

describe("build slots (server settings.concurrent_builds = 2)", () => {
  it("a third deployment waits in the queue until a slot frees; cancel frees a slot", async () => {
    const p = await makeProject(sim, "slots");
    const apps = [app];
    for (let i = 0; i < 2; i++) apps.push((await makeApp(sim, p, { name: `extra-${i}` })).uuid);
    const ids: string[] = [];
    for (const a of apps)
      ids.push((await call(sim, "POST", `/applications/${a}/start`)).body.deployment_uuid);
    sim.control.step(PHASE);
    expect(await Promise.all(ids.map(async (id) => (await dep(id)).status))).toEqual([
      "in_progress",
      "in_progress",
      "queued",
    ]);
    const cancel = await call(sim, "POST", `/deployments/${ids[0]}/cancel`);
    expect(cancel.body).toEqual({
      message: "Deployment cancelled successfully.",
      deployment_uuid: ids[0],
      status: "cancelled-by-user",
    });
    expect((await call(sim, "POST", `/deployments/${ids[0]}/cancel`)).status).toBe(400);
    sim.control.step(PHASE);
    expect((await dep(ids[1] as string)).status).toBe("finished");
    expect((await dep(ids[2] as string)).status).toBe("in_progress");
  });
});

describe("instant_deploy", () => {
  it("on create and on PATCH queues a deployment; PATCH during a running one is skipped with 200 message", async () => {
    const p = await makeProject(sim, "instant");
    const a = await makeApp(sim, p, { instant_deploy: true });
    const hist = await call(sim, "GET", `/deployments/applications/${a.uuid}`);
    expect(hist.body.count).toBe(1);
    const patch = await call(sim, "PATCH", `/applications/${a.uuid}`, {
      name: "x-renamed",
      instant_deploy: true,
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toEqual({ message: "Deployment already queued for this commit." });
    sim.control.step(3 * PHASE);
    const again = await call(sim, "PATCH", `/applications/${a.uuid}`, {
      name: "x-renamed-2",
      instant_deploy: true,
    });
    expect(again.body).toEqual({ uuid: a.uuid });
    expect((await call(sim, "GET", `/deployments/applications/${a.uuid}`)).body.count).toBe(2);
  });
});
