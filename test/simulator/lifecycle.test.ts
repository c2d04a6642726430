// Day-2 routes of an application (Coolify 4.3.11 source): logs, rollback-images, rollback, stop
// and start, and the per-image behaviour of the fake agent the provider's rollback is tested on.
// Every answer is checked against the OpenAPI document.
import { describe, expect, it } from "vitest";
import { call, makeApp, makeProject, SERVER_UUID, useSimulator } from "./testkit";

const PHASE = 100;
const IMAGE = "ghcr.io/elizaos/eliza";
let app: string;
const sim = useSimulator({ deploymentPhaseMs: PHASE }, async (s) => {
  app = (await makeApp(s, await makeProject(s), { name: "agent" })).uuid;
});

const start = async (uuid = app) => {
  const r = await call(sim, "POST", `/applications/${uuid}/start`);
  sim.control.step(3 * PHASE);
  return r.body.deployment_uuid as string;
};
const status = async () => (await call(sim, "GET", `/applications/${app}`)).body.status;
const logs = async (query = "") => call(sim, "GET", `/applications/${app}/logs${query}`);
const dep = async (uuid: string) => (await call(sim, "GET", `/deployments/${uuid}`)).body;
const setTag = (tag: string) =>
  call(sim, "PATCH", `/applications/${app}`, { docker_registry_image_tag: tag });

describe("GET /applications/{uuid}/logs", () => {
  it("400 without a running container, the container's output once it runs, 400 again after a stop", async () => {
    expect([(await logs()).status, (await logs()).body]).toEqual([
      400,
      { message: "Application is not running." },
    ]);
    await start();
    const r = await logs();
    expect(r.status).toBe(200);
    expect(r.body.logs).toContain(`Starting ElizaOS 1.7.2 server (image ${IMAGE}:v1.7.2)`);
    expect(r.body.logs.endsWith("\n")).toBe(true);
    await call(sim, "POST", `/applications/${app}/stop`);
    sim.control.step(PHASE);
    expect((await logs()).status).toBe(400);
    const gone = await call(sim, "GET", "/applications/nosuchapp/logs");
    expect([gone.status, gone.body]).toEqual([404, { message: "Application not found." }]);
  });

  it("lines: default 100, invalid or <= 0 gives 100, capped at 10000; show_timestamps prefixes each", async () => {
    sim.control.setImageBehaviour(`${IMAGE}:v1.7.2`, {
      logLines: Array.from({ length: 150 }, (_, i) => `line ${i}`),
    });
    await start();
    const count = async (q: string) => (await logs(q)).body.logs.trimEnd().split("\n").length;
    expect(await count("")).toBe(100);
    expect(await count("?lines=3")).toBe(3);
    expect(await count("?lines=0")).toBe(100);
    expect(await count("?lines=abc")).toBe(100);
    expect(await count("?lines=20000")).toBeGreaterThan(150);
    const stamped = (await logs("?lines=2&show_timestamps=true")).body.logs.split("\n")[0];
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  it("an image's log lines are filled from the container's env (what a leaking agent prints)", async () => {
    await call(sim, "POST", `/applications/${app}/envs`, {
      key: "POSTGRES_URL",
      value: "postgres://u:pw-9@db/x",
    });
    sim.control.setImageBehaviour(`${IMAGE}:v1.7.2`, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the simulator's placeholder for an env value
      logLines: ["Error: cannot reach ${POSTGRES_URL}"],
    });
    await start();
    expect((await logs()).body.logs).toContain("Error: cannot reach postgres://u:pw-9@db/x");
  });
});

describe("per-image behaviour", () => {
  it("a failing image fails its deployment and leaves the old container running", async () => {
    await start();
    sim.control.setImageBehaviour(`${IMAGE}:2.0`, { deployment: "fail" });
    await setTag("2.0");
    const failed = await start();
    expect((await dep(failed)).status).toBe("failed");
    expect(await status()).toBe("running:healthy");
    expect((await logs()).body.logs).toContain(`(image ${IMAGE}:v1.7.2)`);
  });

  it("an unhealthy image ends running:unhealthy and says why in its logs; the app outcome wins", async () => {
    sim.control.setImageBehaviour(`${IMAGE}:v1.7.2`, { deployment: "unhealthy" });
    await start();
    expect(await status()).toBe("running:unhealthy");
    expect((await logs()).body.logs).toMatch(/Failed to start agent/);
    sim.control.setDeploymentOutcome(app, "success");
    await start();
    expect(await status()).toBe("running:healthy");
    expect(
      (await call(sim, "POST", "/_sim/image-behaviour", { image: "x:1", deployment: "maybe" })).status,
    ).toBe(400);
  });

  it("the deployment log names the image it deploys", async () => {
    const id = await start();
    const entries = JSON.parse((await dep(id)).logs) as { output: string }[];
    expect(entries[0]?.output).toBe(`Starting deployment of ${IMAGE}:v1.7.2 to localhost.`);
  });
});

describe("rollback-images and rollback", () => {
  it("rollback-images lists the tags of the app's image on the server, newest first, current unknown", async () => {
    expect((await call(sim, "GET", `/applications/${app}/rollback-images`)).body).toEqual({
      current: null,
      images: [],
    });
    await start();
    sim.control.step(1000);
    await setTag("2.0");
    await start();
    const r = await call(sim, "GET", `/applications/${app}/rollback-images`);
    expect(r.status).toBe(200);
    expect(r.body.current).toBeNull();
    expect(r.body.images.map((i: { tag: string }) => i.tag)).toEqual(["2.0", "v1.7.2"]);
    expect(r.body.images[0]).toMatchObject({ is_current: false });
    expect(r.body.images[0].created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  });

  it("a stop with docker_cleanup keeps the newest two images; docker_cleanup=false keeps all", async () => {
    for (const tag of ["1", "2", "3"]) {
      await setTag(tag);
      await start();
      sim.control.step(1000);
    }
    await call(sim, "POST", `/applications/${app}/stop?docker_cleanup=false`);
    sim.control.step(PHASE);
    const tags = async () =>
      (await call(sim, "GET", `/applications/${app}/rollback-images`)).body.images.map(
        (i: { tag: string }) => i.tag,
      );
    expect(await tags()).toEqual(["3", "2", "1"]);
    await call(sim, "POST", `/applications/${app}/stop`);
    sim.control.step(PHASE);
    expect(await tags()).toEqual(["3", "2"]);
  });

  it("POST rollback checks the body first, then the app, then the commit", async () => {
    const noBody = await call(sim, "POST", `/applications/${app}/rollback`, undefined, { raw: "" });
    expect(noBody.body.error).toBe("Invalid JSON.");
    expect((await call(sim, "POST", `/applications/${app}/rollback`, {})).body.error).toBe("Empty JSON.");
    const notString = await call(sim, "POST", `/applications/${app}/rollback`, { commit: 5, tag: "x" });
    expect(notString.body.errors).toEqual({
      commit: ["The commit field must be a string."],
      tag: ["This field is not allowed."],
    });
    const none = await call(sim, "POST", "/applications/nosuchapp/rollback", { commit: "abc" });
    expect([none.status, none.body]).toEqual([404, { message: "Application not found." }]);
    const hyphen = await call(sim, "POST", `/applications/${app}/rollback`, { commit: "-f" });
    expect(hyphen.body.errors.commit).toEqual(["Invalid rollback commit: must not start with a hyphen."]);
    const semi = await call(sim, "POST", `/applications/${app}/rollback`, { commit: "a;b" });
    expect(semi.status).toBe(422);
    expect(semi.body.errors.commit[0]).toMatch(/disallowed characters/);
  });

  it("a dockerimage app's rollback queues a rollback deployment that runs the stored tag, not the commit", async () => {
    await start();
    await setTag("2.0");
    await start();
    const r = await call(sim, "POST", `/applications/${app}/rollback`, { commit: "v1.7.2" });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("Rollback deployment queued.");
    // Never deduplicated: a second one is another deployment.
    const again = await call(sim, "POST", `/applications/${app}/rollback`, { commit: "v1.7.2" });
    expect(again.body.deployment_uuid).not.toBe(r.body.deployment_uuid);
    sim.control.step(10 * PHASE);
    expect(await dep(r.body.deployment_uuid)).toMatchObject({
      rollback: true,
      commit: "v1.7.2",
      is_api: true,
    });
    expect((await logs()).body.logs).toContain(`(image ${IMAGE}:2.0)`);
  });

  it("a git app deploys the branch head's sha; its rollback builds the given commit", async () => {
    const project = await makeProject(sim, "git");
    const created = await call(sim, "POST", "/applications/public", {
      project_uuid: project,
      server_uuid: SERVER_UUID,
      environment_name: "production",
      git_repository: "https://github.com/acme/agent",
      git_branch: "main",
      build_pack: "dockerfile",
      ports_exposes: "3000",
    });
    const git = created.body.uuid as string;
    const first = await start(git);
    const good = (await dep(first)).commit as string;
    expect(good).toMatch(/^[0-9a-f]{40}$/);
    const bad = "b".repeat(40);
    sim.control.setGitHead("acme/agent", "main", bad);
    sim.control.setImageBehaviour(bad, { deployment: "unhealthy" });
    const second = await start(git);
    expect((await dep(second)).commit).toBe(bad);
    expect((await call(sim, "GET", `/applications/${git}`)).body.status).toBe("running:unhealthy");
    const rb = await call(sim, "POST", `/applications/${git}/rollback`, { commit: good });
    sim.control.step(3 * PHASE);
    expect(await dep(rb.body.deployment_uuid)).toMatchObject({
      status: "finished",
      rollback: true,
      commit: good,
    });
    expect((await call(sim, "GET", `/applications/${git}`)).body.status).toBe("running:healthy");
    const images = (await call(sim, "GET", `/applications/${git}/rollback-images`)).body.images;
    expect(images.map((i: { tag: string }) => i.tag).sort()).toEqual([bad, good].sort());
  });

  it("a full deployment queue is reported as 400 (unlike /start)", async () => {
    const server = sim.control.state().servers[0] as { uuid: string };
    expect(server.uuid).toBe(SERVER_UUID);
    const p = await makeProject(sim, "busy");
    // The queue holds at most 25 queued deployments; two build slots run besides.
    for (let i = 0; i < 27; i++) {
      const a = (await makeApp(sim, p, { name: `busy-${i}` })).uuid;
      await call(sim, "POST", `/applications/${a}/start`);
    }
    const r = await call(sim, "POST", `/applications/${app}/rollback`, { commit: "v1.7.2" });
    expect([r.status, r.body]).toEqual([
      400,
      { message: "Deployment queue is full. Please wait for existing deployments to complete." },
    ]);
  });
});

describe("stop and start", () => {
  it("stop is queued and ends exited (and may be sent again); start is a deployment", async () => {
    await start();
    const stop = await call(sim, "POST", `/applications/${app}/stop`);
    expect([stop.status, stop.body]).toEqual([200, { message: "Application stopping request queued." }]);
    expect(await status()).toBe("running:healthy");
    sim.control.step(PHASE);
    expect(await status()).toBe("exited");
    expect((await call(sim, "POST", `/applications/${app}/stop`)).status).toBe(200);
    const r = await call(sim, "POST", `/applications/${app}/start`);
    expect(r.body.message).toBe("Deployment request queued.");
    sim.control.step(3 * PHASE);
    expect((await dep(r.body.deployment_uuid)).status).toBe("finished");
    expect(await status()).toBe("running:healthy");
    expect((await logs()).status).toBe(200);
  });
});
