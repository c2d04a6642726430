import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { checked, create, type ProviderSim, requestsDuring, simApi, startProviderSim } from "./harness";

describe("Project", () => {
  let p: ProviderSim;
  beforeAll(async () => {
    p = await startProviderSim();
    base = {
      name: "eliza agents",
      description: "agents for tests",
      owner: "proj/dev/agents",
      serverUuid: p.serverUuid,
    };
  });
  afterAll(async () => p.close());

  let base: Record<string, unknown>;

  it("rejects bad input naming the property", async () => {
    const r = await projectImpl.check({}, { name: "x", environment: "Prod!", owner: "o" });
    expect(r.failures.map((f) => f.property).sort()).toEqual(["environment", "name"]);
  });

  it("skips unknown values during preview", async () => {
    const r = await projectImpl.check({}, { name: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", owner: "o" });
    expect(r.failures).toEqual([]);
  });

  it("creates with two requests, a no-op diff, updates in place, and deletes", async () => {
    const holder: { created?: { id: string; outs: Record<string, unknown> } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.created = await create(projectImpl, base);
    });
    const created = holder.created as { id: string; outs: Record<string, unknown> };
    expect(reqs).toEqual(["GET /api/v1/projects", "POST /api/v1/projects"]);
    const id = created.id;
    const stored = p.sim.control.state().projects.find((x) => x.uuid === id);
    expect(stored?.description).toBe("agents for tests (managed by eliza-coolify proj/dev/agents)");

    const same = await projectImpl.diff(id, created.outs, await checked(projectImpl, base));
    expect(same.changes).toBe(false);

    const read = await projectImpl.read(id, created.outs);
    expect(
      (await projectImpl.diff(id, read.props as Record<string, unknown>, await checked(projectImpl, base)))
        .changes,
    ).toBe(false);

    const renamed = await checked(projectImpl, { ...base, description: "renamed" });
    expect(await projectImpl.diff(id, created.outs, renamed)).toMatchObject({ changes: true, replaces: [] });
    await projectImpl.update(id, created.outs, renamed);
    expect(p.sim.control.state().projects.find((x) => x.uuid === id)?.description).toMatch(
      /^renamed \(managed/,
    );

    await projectImpl.delete(id, created.outs);
    expect(p.sim.control.state().projects.find((x) => x.uuid === id)).toBeUndefined();
    expect(await projectImpl.read(id, created.outs)).toEqual({});
  });

  it("reconciles a create whose answer was lost instead of duplicating", async () => {
    const inputs = { ...base, owner: "proj/dev/lost" };
    p.sim.control.injectFault({
      kind: "dropAfterCommit",
      match: { method: "POST", path: "/api/v1/projects" },
    });
    const created = await create(projectImpl, inputs);
    const mine = p.sim.control
      .state()
      .projects.filter((x) => String(x.description).includes("proj/dev/lost"));
    expect(mine.map((x) => x.uuid)).toEqual([created.id]);
    // And a second run (state lost) finds it again.
    const again = await create(projectImpl, inputs);
    expect(again.id).toBe(created.id);
    await projectImpl.delete(created.id, created.outs);
  });

  it("refuses to take over a same-named project it did not create unless adopt is set", async () => {
    const { uuid } = await simApi<{ uuid: string }>(p, "POST", "/projects", { name: "hand made" });
    await expect(create(projectImpl, { name: "hand made", owner: "proj/dev/hm" })).rejects.toThrow(
      /adopt: true/,
    );
    const adopted = await create(projectImpl, { name: "hand made", owner: "proj/dev/hm", adopt: true });
    expect(adopted.id).toBe(uuid);
    await projectImpl.delete(uuid, adopted.outs);
  });

  it("finds the server when none is declared, with one extra request", async () => {
    const { serverUuid: _declared, ...undeclared } = base;
    const reqs = await requestsDuring(p.sim, async () => {
      const c = await create(projectImpl, { ...undeclared, owner: "proj/dev/found" });
      expect(c.outs.serverUuid).toBe(p.serverUuid);
      await projectImpl.delete(c.id, c.outs);
    });
    expect(reqs.filter((r) => r === "GET /api/v1/servers")).toHaveLength(1);
  });

  it("waits once for its children's queued deletes, with one request a look", async () => {
    const created = await create(projectImpl, { ...base, owner: "proj/dev/parent" });
    const apps: { id: string; outs: Record<string, unknown> }[] = [];
    for (const name of ["child-a", "child-b", "child-c"]) {
      apps.push(
        await create(applicationImpl, {
          projectUuid: created.id,
          environment: "production",
          serverUuid: p.serverUuid,
          name,
          source: { type: "dockerimage", image: "ghcr.io/example/agent:1.7.2" },
          port: 3000,
          owner: `proj/dev/${name}`,
        }),
      );
    }
    const children = () =>
      p.sim.control.state().applications.filter((a) => apps.some((x) => x.id === a.uuid));
    for (const a of apps) await applicationImpl.delete(a.id, a.outs); // queued, not waited on
    expect(children()).toHaveLength(3);
    const log = await requestsDuring(p.sim, () => projectImpl.delete(created.id, created.outs));
    expect(p.sim.control.state().projects.find((x) => x.uuid === created.id)).toBeUndefined();
    expect(children()).toEqual([]);
    // Refused while the jobs run, then the environment is looked at (not each application)
    // until it is empty, then deleted.
    expect(log[0]).toBe(`DELETE /api/v1/projects/${created.id}`);
    expect(log.at(-1)).toBe(`DELETE /api/v1/projects/${created.id}`);
    const looks = log.slice(1, -1);
    expect(looks.length).toBeGreaterThan(0);
    expect(new Set(looks)).toEqual(new Set([`GET /api/v1/projects/${created.id}/production`]));
  });

  it("creates a non-default environment", async () => {
    const created = await create(projectImpl, { ...base, owner: "proj/dev/staging", environment: "staging" });
    const project = await simApi<{ environments: { name: string }[] }>(p, "GET", `/projects/${created.id}`);
    expect(project.environments.map((e) => e.name).sort()).toEqual(["production", "staging"]);
    await projectImpl.delete(created.id, created.outs);
  });

  for (const [fault, made] of [
    ["dropAfterCommit", "made"],
    ["reset", "not made"],
  ] as const) {
    it(`an environment whose create answer was lost (${made}) is looked up, and there is one`, async () => {
      p.sim.control.injectFault({ kind: fault, match: { method: "POST", path: /\/environments$/ } });
      const reqs = await requestsDuring(p.sim, async () => {
        const created = await create(projectImpl, {
          ...base,
          owner: `proj/dev/${fault}`,
          environment: "staging",
        });
        const project = await simApi<{ environments: { name: string }[] }>(
          p,
          "GET",
          `/projects/${created.id}`,
        );
        expect(project.environments.map((e) => e.name).sort()).toEqual(["production", "staging"]);
        await projectImpl.delete(created.id, created.outs);
      });
      const envRequests = reqs.filter((r) => /\/projects\/[^/]+\/(environments|staging)$/.test(r));
      expect(envRequests.map((r) => r.replace(/projects\/[^/]+/, "projects/<uuid>"))).toEqual(
        fault === "dropAfterCommit"
          ? ["POST /api/v1/projects/<uuid>/environments", "GET /api/v1/projects/<uuid>/staging"]
          : [
              "POST /api/v1/projects/<uuid>/environments",
              "GET /api/v1/projects/<uuid>/staging",
              "POST /api/v1/projects/<uuid>/environments",
            ],
      );
    });
  }
});
