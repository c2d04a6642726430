// Application storages and the volumes they become (Coolify 4.3.11 source: ApplicationsController
// storages/create_storage/update_storage/delete_storage, LocalPersistentVolume, deployment
// compose volumes, DeleteResourceJob). Every answer is checked against the OpenAPI document.
import { describe, expect, it } from "vitest";
import { startSimulator } from "./index";
import { call, makeApp, makeProject, useSimulator } from "./testkit";

const PHASE = 100;
let app: string;
const sim = useSimulator({ deploymentPhaseMs: PHASE }, async (s) => {
  app = (await makeApp(s, await makeProject(s), { name: "agent" })).uuid;
});

const deploy = async (uuid = app) => {
  const r = await call(sim, "POST", `/applications/${uuid}/start`);
  expect(r.status).toBe(200);
  sim.control.step(3 * PHASE);
};
const addData = (body: Record<string, unknown> = {}) =>
  call(sim, "POST", `/applications/${app}/storages`, {
    type: "persistent",
    name: "data",
    mount_path: "/app/agent/.eliza",
    ...body,
  });

describe("persistent storages", () => {
  it("POST stores the name as <app-uuid>-<name> and answers the model as created", async () => {
    const r = await addData({ mount_path: "app/agent/.eliza " });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: `${app}-data`,
      mount_path: "/app/agent/.eliza",
      host_path: null,
      resource_type: "App\\Models\\Application",
    });
    expect(r.body.uuid).toMatch(/^[a-z0-9]{24}$/);
    // Columns with database defaults are absent from the create answer, present on GET.
    expect(r.body).not.toHaveProperty("is_preview_suffix_enabled");
    const list = await call(sim, "GET", `/applications/${app}/storages`);
    expect(list.status).toBe(200);
    expect(list.body.file_storages).toEqual([]);
    expect(list.body.persistent_storages).toEqual([
      expect.objectContaining({
        uuid: r.body.uuid,
        id: r.body.id,
        name: `${app}-data`,
        is_preview_suffix_enabled: true,
        container_id: null,
      }),
    ]);
  });

  it("refuses what Coolify refuses, in its three shapes", async () => {
    const noName = await addData({ name: undefined });
    expect(noName.status).toBe(422);
    expect(noName.body.errors).toEqual({ name: "The name field is required for persistent storages." });
    const content = await addData({ content: "x" });
    expect(content.body.errors).toEqual({ content: "Field 'content' is not valid for type 'persistent'." });
    const unknown = await addData({ size: 10 });
    expect(unknown.body.errors).toEqual({ size: ["This field is not allowed."] });
    const missing = await call(sim, "POST", `/applications/${app}/storages`, {
      type: "persistent",
      name: "x",
    });
    expect(missing.body.errors).toEqual({ mount_path: ["This field is required."] });
    const badName = await addData({ name: "-data" });
    expect(badName.body.errors).toEqual({ name: ["The name field format is invalid."] });
    const badType = await addData({ type: "volume" });
    expect(badType.body.errors).toEqual({ type: ["The selected type is invalid."] });
    expect((await call(sim, "POST", `/applications/${app}/storages`, {})).body.error).toBe("Empty JSON.");
    // No uniqueness check before the insert: the unique index answers with a 500.
    expect((await addData()).status).toBe(201);
    expect((await addData()).status).toBe(500);
    const gone = await call(sim, "POST", "/applications/nosuchapp/storages", { type: "persistent" });
    expect([gone.status, gone.body]).toEqual([404, { message: "Application not found." }]);
    const list = await call(sim, "GET", "/applications/nosuchapp/storages");
    expect([list.status, list.body]).toEqual([404, { message: "Application not found" }]);
  });

  it("PATCH names the storage in the body, stores a new name verbatim, and 404s on a wrong type", async () => {
    const created = (await addData()).body;
    const noId = await call(sim, "PATCH", `/applications/${app}/storages`, {
      type: "persistent",
      mount_path: "/x",
    });
    expect(noId.body.errors).toEqual({ uuid: "Either uuid or id is required." });
    const wrongType = await call(sim, "PATCH", `/applications/${app}/storages`, {
      type: "file",
      uuid: created.uuid,
      mount_path: "/x",
    });
    expect([wrongType.status, wrongType.body]).toEqual([404, { message: "Storage not found." }]);
    const r = await call(sim, "PATCH", `/applications/${app}/storages`, {
      type: "persistent",
      uuid: created.uuid,
      mount_path: "/data",
      name: "renamed",
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: created.uuid, mount_path: "/data", name: "renamed" });
    // There is no PATCH on the storage's own path: the catch-all answers.
    const path = await call(sim, "PATCH", `/applications/${app}/storages/${created.uuid}`, {
      mount_path: "/y",
    });
    expect([path.status, path.body.message]).toEqual([404, "Not found."]);
  });

  it("DELETE removes the row; the volume stays on the server", async () => {
    const created = (await addData()).body;
    await deploy();
    const d = await call(sim, "DELETE", `/applications/${app}/storages/${created.uuid}`);
    expect([d.status, d.body]).toEqual([200, { message: "Storage deleted." }]);
    expect((await call(sim, "DELETE", `/applications/${app}/storages/${created.uuid}`)).status).toBe(404);
    expect(sim.control.state().storages).toEqual([]);
    expect(sim.control.state().volumes.map((v) => v.name)).toEqual([`${app}-data`]);
  });
});

describe("file storages", () => {
  it("a managed file lives under the application's configuration directory; content is sensitive", async () => {
    const r = await call(sim, "POST", `/applications/${app}/storages`, {
      type: "file",
      mount_path: "/app/config.json",
      content: "{}",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      fs_path: `/data/coolify/applications/${app}/app/config.json`,
      is_directory: false,
      content: "{}",
    });
    const reader = sim.control.createToken({ abilities: ["read"] });
    const list = await call(sim, "GET", `/applications/${app}/storages`, undefined, { token: reader });
    expect(list.body.file_storages[0]).not.toHaveProperty("content");
    const named = await call(sim, "POST", `/applications/${app}/storages`, {
      type: "file",
      mount_path: "/a",
      name: "x",
    });
    expect(named.body.errors).toEqual({ name: "Field 'name' is not valid for type 'file'." });
    const dots = await call(sim, "POST", `/applications/${app}/storages`, {
      type: "file",
      mount_path: "/a/../b",
    });
    expect(dots.body.errors.mount_path).toMatch(/relative path segments/);
    const dir = await call(sim, "POST", `/applications/${app}/storages`, {
      type: "file",
      mount_path: "/d",
      is_directory: true,
    });
    expect(dir.body.errors).toEqual({ fs_path: "The fs_path field is required for directory mounts." });
  });
});

describe("volumes: what a redeploy keeps", () => {
  it("a file in the storage's volume survives a redeploy; one outside it does not", async () => {
    await addData();
    await deploy();
    sim.control.writeContainerFile(app, "/app/agent/.eliza/data/notes.txt", "remember me");
    sim.control.writeContainerFile(app, "/tmp/scratch.txt", "forget me");
    expect(sim.control.readContainerFile(app, "/app/agent/.eliza/data/notes.txt")).toBe("remember me");
    await deploy();
    expect(sim.control.readContainerFile(app, "/app/agent/.eliza/data/notes.txt")).toBe("remember me");
    expect(sim.control.readContainerFile(app, "/tmp/scratch.txt")).toBeUndefined();
    const [volume] = sim.control.state().volumes;
    expect(volume).toMatchObject({ name: `${app}-data`, files: { "data/notes.txt": "remember me" } });
  });

  it("a storage added to a running app is mounted only by the next deployment", async () => {
    await deploy();
    await addData();
    sim.control.writeContainerFile(app, "/app/agent/.eliza/a.txt", "x");
    expect(sim.control.state().volumes).toEqual([]);
    await deploy();
    expect(sim.control.readContainerFile(app, "/app/agent/.eliza/a.txt")).toBeUndefined();
    sim.control.writeContainerFile(app, "/app/agent/.eliza/a.txt", "y");
    expect(sim.control.state().volumes[0]?.files).toEqual({ "a.txt": "y" });
  });

  it("stop removes the container: nothing to read or write until the next start", async () => {
    await addData();
    await deploy();
    sim.control.writeContainerFile(app, "/app/agent/.eliza/k.txt", "kept");
    await call(sim, "POST", `/applications/${app}/stop`);
    sim.control.step(PHASE);
    expect(sim.control.readContainerFile(app, "/app/agent/.eliza/k.txt")).toBeUndefined();
    expect(() => sim.control.writeContainerFile(app, "/app/agent/.eliza/k.txt", "x")).toThrow(
      /no running container/,
    );
    await deploy();
    expect(sim.control.readContainerFile(app, "/app/agent/.eliza/k.txt")).toBe("kept");
  });

  it("deleting the application removes its volumes, unless delete_volumes=false", async () => {
    await addData();
    await deploy();
    const p = await makeProject(sim, "keep");
    const other = (await makeApp(sim, p, { name: "keeper" })).uuid;
    await call(sim, "POST", `/applications/${other}/storages`, {
      type: "persistent",
      name: "d",
      mount_path: "/d",
    });
    await deploy(other);
    expect(sim.control.state().volumes).toHaveLength(2);
    await call(sim, "DELETE", `/applications/${app}`);
    await call(sim, "DELETE", `/applications/${other}?delete_volumes=false`);
    sim.control.step(1000);
    expect(sim.control.state().volumes.map((v) => v.name)).toEqual([`${other}-d`]);
    // Without delete_volumes the storage rows stay behind too, as orphans.
    expect(sim.control.state().storages.map((s) => s.name)).toEqual([`${other}-d`]);
  });

  it("the HTTP control writes and reads container files", async () => {
    await addData();
    await deploy();
    const w = await call(sim, "POST", "/_sim/container-file", {
      appUuid: app,
      path: "/app/agent/.eliza/h.txt",
      content: "via http",
    });
    expect(w.status).toBe(200);
    const r = await call(sim, "POST", "/_sim/container-file/read", {
      appUuid: app,
      path: "/app/agent/.eliza/h.txt",
    });
    expect(r.body).toEqual({ content: "via http" });
  });
});

describe("abilities", () => {
  it("from Coolify 4.6.0 deleting a storage needs `delete`, before 4.6 `write`", async () => {
    const newer = await startSimulator({ version: "4.6.0", deploymentPhaseMs: PHASE });
    try {
      const s = { ...newer };
      const a = (await makeApp(s, await makeProject(s))).uuid;
      const created = await call(s, "POST", `/applications/${a}/storages`, {
        type: "persistent",
        name: "data",
        mount_path: "/data",
      });
      const writer = newer.control.createToken({ abilities: ["read", "write", "deploy"] });
      const refused = await call(s, "DELETE", `/applications/${a}/storages/${created.body.uuid}`, undefined, {
        token: writer,
      });
      expect([refused.status, refused.body]).toEqual([
        403,
        { message: "Missing required permissions: delete" },
      ]);
      expect(newer.control.responseViolations()).toEqual([]);
    } finally {
      await newer.close();
    }
    const writer = sim.control.createToken({ abilities: ["read", "write"] });
    const created = (await addData()).body;
    const ok = await call(sim, "DELETE", `/applications/${app}/storages/${created.uuid}`, undefined, {
      token: writer,
    });
    expect(ok.status).toBe(200);
  });
});
