// PersistentStorage against the simulator: create, an idempotent re-run, update, changes and a
// deletion out of band, and destroy (which leaves the volume, as Coolify does).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { persistentStorageImpl as impl } from "../../providers/coolify/src/resources/persistent-storage";
import {
  checked,
  create,
  createTestApplication,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
} from "./harness";

describe("PersistentStorage", () => {
  let p: ProviderSim;
  let app: string;
  let base: Props;

  beforeAll(async () => {
    p = await startProviderSim();
    app = await createTestApplication(p, "storage-app");
    base = { applicationUuid: app, name: "eliza-data", mountPath: "/app/agent/.eliza" };
  });
  afterAll(async () => p.close());

  const rows = () =>
    p.sim.control.state().storages.filter((s) => s.resource_type === "App\\Models\\Application");

  it("names the property at fault", async () => {
    const r = await impl.check({}, { applicationUuid: app, name: "-data", mountPath: "relative/path" });
    expect(r.failures.map((f) => f.property).sort()).toEqual(["mountPath", "name"]);
    const shell = await impl.check({}, { ...base, mountPath: "/data;rm -rf /" });
    expect(shell.failures[0]?.reason).toMatch(/shell metacharacters/);
  });

  let created: { id: string; outs: Props };

  it("creates with one request; the volume is named <app-uuid>-<name>", async () => {
    const reqs = await requestsDuring(p.sim, async () => {
      created = await create(impl, base);
    });
    expect(reqs).toEqual([`POST /api/v1/applications/${app}/storages`]);
    expect(created.outs).toMatchObject({ volumeName: `${app}-eliza-data`, mountPath: "/app/agent/.eliza" });
    expect(rows().map((r) => r.uuid)).toEqual([created.id]);
  });

  it("an unchanged re-run is no change; a second create of the same storage finds it instead of a duplicate", async () => {
    const same = await checked(impl, base);
    expect((await impl.diff(created.id, created.outs, same)).changes).toBe(false);
    // Coolify's unique index answers the duplicate POST with a 500; the storage is looked up.
    const again = await impl.create(same);
    expect(again.id).toBe(created.id);
    // A create whose answer was lost after Coolify committed it is found the same way.
    await simApi(p, "DELETE", `/applications/${app}/storages/${created.id}`);
    p.sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST" }, count: 1 });
    const lost = await impl.create(same);
    expect(rows().map((r) => r.uuid)).toEqual([lost.id]);
    created = lost;
  });

  it("updates the mount path in place; another name or host path is a new storage", async () => {
    const moved = await checked(impl, { ...base, mountPath: "/data" });
    expect(await impl.diff(created.id, created.outs, moved)).toMatchObject({ changes: true, replaces: [] });
    const reqs = await requestsDuring(p.sim, async () => {
      created = { id: created.id, outs: (await impl.update(created.id, created.outs, moved)).outs };
    });
    expect(reqs).toEqual([`PATCH /api/v1/applications/${app}/storages`]);
    expect(rows()[0]).toMatchObject({ mount_path: "/data", name: `${app}-eliza-data` });
    const renamed = await checked(impl, { ...base, mountPath: "/data", name: "other" });
    expect((await impl.diff(created.id, created.outs, renamed)).replaces).toEqual(["name"]);
    const bound = await checked(impl, { ...base, mountPath: "/data", hostPath: "/srv/agent" });
    expect((await impl.diff(created.id, created.outs, bound)).replaces).toEqual(["hostPath"]);
  });

  it("refresh sees a change made in Coolify, and a storage deleted there", async () => {
    await simApi(p, "PATCH", `/applications/${app}/storages`, {
      type: "persistent",
      uuid: created.id,
      mount_path: "/elsewhere",
    });
    const read = await impl.read(created.id, created.outs);
    expect(read.props?.mountPath).toBe("/elsewhere");
    const wanted = await checked(impl, { ...base, mountPath: "/data" });
    expect((await impl.diff(created.id, read.props as Props, wanted)).changes).toBe(true);
    await simApi(p, "DELETE", `/applications/${app}/storages/${created.id}`);
    expect(await impl.read(created.id, created.outs)).toEqual({});
  });

  it("destroy deletes the storage (the docker volume stays on the server) and tolerates it gone", async () => {
    const c = await create(impl, base);
    await simApi(p, "POST", `/applications/${app}/start`);
    await new Promise((r) => setTimeout(r, 400));
    expect(p.sim.control.state().volumes.map((v) => v.name)).toEqual([`${app}-eliza-data`]);
    const reqs = await requestsDuring(p.sim, () => impl.delete(c.id, c.outs));
    expect(reqs).toEqual([`DELETE /api/v1/applications/${app}/storages/${c.id}`]);
    expect(rows()).toEqual([]);
    expect(p.sim.control.state().volumes.map((v) => v.name)).toEqual([`${app}-eliza-data`]);
    await impl.delete(c.id, c.outs);
  });

  it("answered only what Coolify's OpenAPI document allows", () => {
    expect(p.sim.control.responseViolations()).toEqual([]);
  });
});
