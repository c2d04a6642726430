import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import {
  checked,
  create,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
  useToken,
  writes,
} from "./harness";

describe("Application", () => {
  let p: ProviderSim;
  let project: { id: string; outs: Props };
  let base: Props;

  beforeAll(async () => {
    p = await startProviderSim();
    project = await create(projectImpl, { name: "apps", owner: "t/dev/apps" });
    base = {
      projectUuid: project.id,
      environment: "production",
      serverUuid: p.serverUuid,
      name: "server-bod",
      source: { type: "dockerimage", image: "ghcr.io/example/agent:1.7.2" },
      port: 3000,
      healthCheck: { path: "/healthz" },
      limits: { memory: "1g", cpus: "0.5" },
      domains: ["https://Bod.Example.COM"],
      owner: "t/dev/server-bod",
    };
  });
  afterAll(async () => p.close());

  const app = (id: string) =>
    p.sim.control.state().applications.find((a) => a.uuid === id) as Props | undefined;

  it("validates inputs and names the property at fault", async () => {
    const r = await applicationImpl.check(
      {},
      {
        ...base,
        port: 0,
        source: { type: "dockerimage", image: "ghcr.io/example/agent:latest" },
        domains: ["ftp://x.example.com", "https://a.example.com;rm"],
        limits: { memory: "lots" },
      },
    );
    expect(r.failures.map((f) => f.property).sort()).toEqual(
      ["domains.0", "domains.1", "limits.memory", "port", "source.tag"].sort(),
    );
    expect(r.failures.find((f) => f.property === "source.tag")?.reason).toMatch(/pin the image/);
  });

  it("creates with one request (no read-back), no sslip domain, domain normalised", async () => {
    const holder: { c?: { id: string; outs: Props } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.c = await create(applicationImpl, base);
    });
    // The project was created by this process, so no lookup GET is needed.
    expect(reqs).toEqual(["POST /api/v1/applications/dockerimage"]);
    const c = holder.c as { id: string; outs: Props };
    expect(c.outs.url).toBe("https://bod.example.com");
    const stored = app(c.id);
    expect(stored?.fqdn).toBe("https://bod.example.com");
    expect(stored?.docker_registry_image_name).toBe("ghcr.io/example/agent");
    expect(stored?.docker_registry_image_tag).toBe("1.7.2");
    expect(String(stored?.ports_exposes)).toBe("3000");

    // No spurious diff, before or after a refresh.
    const news = await checked(applicationImpl, base);
    expect((await applicationImpl.diff(c.id, c.outs, news)).changes).toBe(false);
    const refreshed = await requestsDuring(p.sim, async () => {
      const r = await applicationImpl.read(c.id, c.outs);
      expect((await applicationImpl.diff(c.id, r.props as Props, news)).changes).toBe(false);
    });
    expect(refreshed).toEqual([`GET /api/v1/applications/${c.id}`]);
  });

  it("updates in place with one PATCH of only what changed", async () => {
    const c = await create(applicationImpl, { ...base, name: "upd", owner: "t/dev/upd", domains: [] });
    const news = await checked(applicationImpl, {
      ...base,
      name: "upd",
      owner: "t/dev/upd",
      domains: [],
      limits: { memory: "2g", cpus: "0.5" },
    });
    const d = await applicationImpl.diff(c.id, c.outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const reqs = await requestsDuring(p.sim, () => applicationImpl.update(c.id, c.outs, news));
    expect(reqs).toEqual([`PATCH /api/v1/applications/${c.id}`]);
    expect(app(c.id)?.limits_memory).toBe("2g");
  });

  it("counts the writes a deployment must apply in its revision, and a setting put back after drift is one", async () => {
    const owner = { name: "rev", owner: "t/dev/rev", domains: [] };
    const c = await create(applicationImpl, { ...base, ...owner });
    expect(c.outs.revision).toBe(1);
    // A description reaches Coolify without a deployment: no new revision.
    const described = await checked(applicationImpl, { ...base, ...owner, description: "the agent" });
    const u1 = await applicationImpl.update(c.id, c.outs, described);
    expect(u1.outs.revision).toBe(1);

    // Edited in Coolify by hand: image tag, limits and health check path.
    await simApi(p, "PATCH", `/applications/${c.id}`, {
      docker_registry_image_tag: "9.9.9",
      limits_memory: "2g",
      health_check_path: "/nowhere",
    });
    const seen = await applicationImpl.read(c.id, { ...described, ...u1.outs });
    const drifted = seen.props as Props;
    expect(drifted).toMatchObject({
      source: { tag: "9.9.9" },
      limits: { memory: "2g" },
      healthCheck: { path: "/nowhere" },
      revision: 1,
    });
    expect((await applicationImpl.diff(c.id, drifted, described)).changes).toBe(true);
    const reqs = await requestsDuring(p.sim, async () => {
      const u2 = await applicationImpl.update(c.id, drifted, described);
      expect(u2.outs.revision).toBe(2);
    });
    expect(reqs).toEqual([`PATCH /api/v1/applications/${c.id}`]);
    expect(app(c.id)).toMatchObject({
      docker_registry_image_tag: "1.7.2",
      limits_memory: "1g",
      health_check_path: "/healthz",
    });
  });

  it("replaces when the source kind changes, the old application first (it holds the marker)", async () => {
    const c = await create(applicationImpl, { ...base, name: "rep", owner: "t/dev/rep", domains: [] });
    const git = await checked(applicationImpl, {
      ...base,
      name: "rep",
      owner: "t/dev/rep",
      domains: [],
      source: { type: "public", repository: "https://github.com/example/agent" },
    });
    expect(await applicationImpl.diff(c.id, c.outs, git)).toMatchObject({
      replaces: ["source"],
      deleteBeforeReplace: true,
    });
    // A change of server is a move, refused unless acknowledged: test/provider/server-move.test.ts.
  });

  it("reports a domain conflict with what to do", async () => {
    await expect(create(applicationImpl, { ...base, name: "dup", owner: "t/dev/dup" })).rejects.toThrow(
      /bod\.example\.com[\s\S]*force/i,
    );
  });

  it("dockerfile apps get their port fixed after create (notes P34)", async () => {
    const c = await create(applicationImpl, {
      ...base,
      name: "df",
      owner: "t/dev/df",
      domains: [],
      source: { type: "dockerfile", dockerfile: "FROM node:22-slim\nEXPOSE 3000\n" },
    });
    expect(String(app(c.id)?.ports_exposes)).toBe("3000");
  });

  it("notices deletion out of band", async () => {
    const c = await create(applicationImpl, { ...base, name: "gone", owner: "t/dev/gone", domains: [] });
    await simApi(p, "DELETE", `/applications/${c.id}`);
    // Still there while Coolify's job runs; then gone.
    await new Promise((r) => setTimeout(r, 120));
    expect(await applicationImpl.read(c.id, c.outs)).toEqual({});
  });

  it("delete returns once Coolify queued it; a create after it (delete-before-replace) waits for the job", async () => {
    // A project made outside this process (as on a later run), so the create looks before posting.
    const { uuid: projectUuid } = await simApi<{ uuid: string }>(p, "POST", "/projects", {
      name: "replacements",
    });
    const inputs = {
      ...base,
      projectUuid,
      name: "repl",
      owner: "t/dev/repl",
      domains: ["https://repl.example.com"],
    };
    const old = await create(applicationImpl, inputs);
    const deleting = await requestsDuring(p.sim, () => applicationImpl.delete(old.id, old.outs));
    expect(deleting).toEqual([`DELETE /api/v1/applications/${old.id}`]);
    expect(app(old.id)).toBeDefined(); // Coolify's job has not run yet
    // The replacement has the same marker and domain: it must not take the old one for its own,
    // nor collide with its domain.
    const next = await create(applicationImpl, inputs);
    expect(next.id).not.toBe(old.id);
    expect(app(old.id)).toBeUndefined();
    expect(app(next.id)?.fqdn).toBe("https://repl.example.com");
    await applicationImpl.delete(next.id, next.outs);
  });

  it("a lost create answer is reconciled, not duplicated, even on a later run", async () => {
    // A project made outside this process (as on a later run), so creates look before posting.
    const { uuid: projectUuid } = await simApi<{ uuid: string }>(p, "POST", "/projects", {
      name: "made elsewhere",
    });
    const inputs = { ...base, projectUuid, name: "lost", owner: "t/dev/lost", domains: [] };
    p.sim.control.injectFault({
      kind: "dropAfterCommit",
      match: { method: "POST", path: "/api/v1/applications/dockerimage" },
    });
    const c = await create(applicationImpl, inputs);
    const again = await create(applicationImpl, inputs);
    expect(again.id).toBe(c.id);
    const mine = p.sim.control
      .state()
      .applications.filter((a) => String(a.description).includes("t/dev/lost"));
    expect(mine).toHaveLength(1);
    // Another stack's application of the same name is no obstacle...
    const theirs = await create(applicationImpl, { ...inputs, owner: "t/dev/someone-else" });
    expect(theirs.id).not.toBe(c.id);
    // ...but an unmarked one is not taken over without adopt.
    await simApi(p, "POST", "/applications/dockerimage", {
      project_uuid: projectUuid,
      environment_name: "production",
      server_uuid: p.serverUuid,
      name: "by-hand",
      docker_registry_image_name: "nginx:1.27",
      autogenerate_domain: false,
    });
    const byHand = { ...inputs, name: "by-hand", owner: "t/dev/by-hand" };
    await expect(create(applicationImpl, byHand)).rejects.toThrow(
      /not created by this program[\s\S]*adopt: true/,
    );
    const adopted = await create(applicationImpl, { ...byHand, adopt: true });
    expect(
      String(p.sim.control.state().applications.find((a) => a.uuid === adopted.id)?.description),
    ).toContain("t/dev/by-hand");
  });

  it("works with a token that cannot read secrets", async () => {
    const limited = p.sim.control.createToken({ abilities: ["read", "write", "deploy"] });
    useToken(limited);
    try {
      const c = await create(applicationImpl, { ...base, name: "ro", owner: "t/dev/ro", domains: [] });
      const r = await applicationImpl.read(c.id, c.outs);
      expect(
        (
          await applicationImpl.diff(
            c.id,
            r.props as Props,
            await checked(applicationImpl, { ...base, name: "ro", owner: "t/dev/ro", domains: [] }),
          )
        ).changes,
      ).toBe(false);
      const reqs = await requestsDuring(p.sim, () => applicationImpl.delete(c.id, c.outs));
      expect(writes(reqs)).toEqual([`DELETE /api/v1/applications/${c.id}`]);
    } finally {
      useToken(p.sim.rootToken);
    }
  });
});
