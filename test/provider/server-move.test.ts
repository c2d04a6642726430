// Moving an application to another server on a two-server simulator: refused until acknowledged,
// then planned as create-before-delete (the new application beside the old one, sharing its
// domain, the old one deleted last), with lost answers reconciled on the target server only.
// A database never follows a new server.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { waitForQueuedDeletes } from "../../providers/coolify/src/provider/lookup";
import type { Props } from "../../providers/coolify/src/provider/types";
import { applicationImpl } from "../../providers/coolify/src/resources/application";
import { deploymentImpl } from "../../providers/coolify/src/resources/deployment";
import { postgresDatabaseImpl } from "../../providers/coolify/src/resources/postgres-database";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { checked, create, type ProviderSim, requestsDuring, simApi, startProviderSim } from "./harness";

const B = "sim0server0000000000000b";

describe("moving an application to another server", () => {
  let p: ProviderSim;
  let A: string;
  let projectUuid: string;

  beforeAll(async () => {
    p = await startProviderSim({ servers: 2 });
    A = p.serverUuid;
    projectUuid = (await create(projectImpl, { name: "moves", owner: "t/dev/moves", serverUuid: A })).id;
  });
  afterAll(async () => p.close());
  afterEach(() => {
    vi.restoreAllMocks();
    expect(p.sim.control.responseViolations()).toEqual([]);
  });

  const onServer = async (server: string) =>
    (await simApi<{ uuid: string; name: string }[]>(p, "GET", `/servers/${server}/resources`)).map(
      (r) => r.uuid,
    );
  const inputs = (name: string, over: Props = {}): Props => ({
    projectUuid,
    environment: "production",
    serverUuid: A,
    serverName: "main",
    name,
    source: { type: "dockerimage", image: "ghcr.io/example/agent", tag: "1.7.2" },
    port: 3000,
    healthCheck: { path: "/health" },
    domains: [`https://${name}.example.com`],
    owner: `t/dev/${name}-app`,
    ...over,
  });
  const toB = { serverUuid: B, serverName: "edge" };

  it("refuses an unacknowledged change of server at check, saying what a move does and how to confirm", async () => {
    const old = await create(applicationImpl, inputs("stay"));
    const reqs = await requestsDuring(p.sim, async () => {
      const r = await applicationImpl.check(old.outs, inputs("stay", toB));
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]?.property).toBe("serverUuid");
      expect(r.failures[0]?.reason).toMatch(
        new RegExp(
          `application "stay" would move from server "main" \\(${A}\\) to server "edge" \\(${B}\\)\\. ` +
            "Coolify cannot move an application between servers \\(its migrate endpoint is development-only",
        ),
      );
      expect(r.failures[0]?.reason).toMatch(
        /creates a new application on "edge", deploys and smoke-tests it/,
      );
      expect(r.failures[0]?.reason).toMatch(/moveFrom: main \(the Application input moveFromServerUuid /);
      // A stale acknowledgement (of another server) does not count.
      const stale = await applicationImpl.check(old.outs, inputs("stay", { ...toB, moveFromServerUuid: B }));
      expect(stale.failures.map((f) => f.property)).toEqual(["serverUuid"]);
    });
    expect(reqs).toEqual([]);
    expect(await onServer(A)).toContain(old.id);
  });

  it("plans an acknowledged move as create-before-delete, creates beside the old one, deletes it last", async () => {
    const old = await create(applicationImpl, inputs("bod"));
    const news = await checked(applicationImpl, inputs("bod", { ...toB, moveFromServerUuid: A }), old.outs);
    const told: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      told.push(String(s));
      return true;
    });
    expect(await applicationImpl.diff(old.id, old.outs, news)).toEqual({
      changes: true,
      replaces: ["serverUuid"],
      deleteBeforeReplace: false,
    });
    vi.restoreAllMocks();
    expect(told.join("")).toMatch(
      new RegExp(
        `eliza-coolify: moving application "bod" from server "main" \\(${A}\\) to server "edge" \\(${B}\\)`,
      ),
    );
    expect(told.join("")).toMatch(/Point bod\.example\.com at "edge" now/);

    // The engine creates the replacement first.
    let made: { id: string; outs: Props } | undefined;
    const reqs = await requestsDuring(p.sim, async () => {
      made = await applicationImpl.create(news);
    });
    const replacement = made as { id: string; outs: Props };
    expect(reqs).toEqual([
      `GET /api/v1/projects/${projectUuid}/production`,
      `GET /api/v1/servers/${B}/resources`,
      "POST /api/v1/applications/dockerimage", // 409: the old application holds the domain
      "POST /api/v1/applications/dockerimage", // again with force_domain_override
    ]);
    expect(p.sim.control.requestLog().map((e) => e.status)).toEqual([200, 200, 409, 201]);
    expect(replacement.id).not.toBe(old.id);
    expect(replacement.outs).toMatchObject({ serverUuid: B, url: "https://bod.example.com" });
    expect(await onServer(B)).toEqual([replacement.id]);
    expect(await onServer(A)).toContain(old.id);

    // Deployed on its own server, it answers on that server's proxy.
    const deployed = await deploymentImpl.create(
      await checked(deploymentImpl, { applicationUuid: replacement.id, serverUuid: B }),
    );
    expect(deployed.outs.applicationStatus).toBe("running:healthy");
    const health = (k: number) =>
      fetchVia({ connectTo: `127.0.0.1:${p.sim.proxies[k]?.port}` })("http://bod.example.com/health", {
        redirect: "manual",
      }).then((r) => r.status);
    expect(await health(1)).toBe(302); // Coolify's redirect to https: B's proxy routes the domain

    // Then the old one goes, and one application of the agent is left, on B.
    // The delete returns once Coolify has queued it; its job removes the application after.
    await applicationImpl.delete(old.id, old.outs);
    await waitForQueuedDeletes("application");
    expect(await onServer(A)).not.toContain(old.id);
    const mine = p.sim.control
      .state()
      .applications.filter((a) => String(a.description).includes("t/dev/bod-app"));
    expect(mine.map((a) => a.uuid)).toEqual([replacement.id]);
    expect(await health(0)).toBe(404); // A's proxy no longer knows the domain
  });

  it("a lost create answer during a move is found on the target server, never taken for the old one", async () => {
    const old = await create(applicationImpl, inputs("quiet", { domains: [] }));
    const news = await checked(
      applicationImpl,
      inputs("quiet", { ...toB, moveFromServerUuid: A, domains: [] }),
      old.outs,
    );
    p.sim.control.injectFault({
      kind: "dropAfterCommit",
      match: { method: "POST", path: "/api/v1/applications/dockerimage" },
    });
    const first = await applicationImpl.create(news);
    expect(first.id).not.toBe(old.id);
    expect(await onServer(B)).toContain(first.id);
    // A later run (the state never got the answer) takes the same one over again.
    const again = await applicationImpl.create(news);
    expect(again.id).toBe(first.id);
    const mine = p.sim.control
      .state()
      .applications.filter((a) => String(a.description).includes("t/dev/quiet-app"));
    expect(mine.map((a) => a.uuid).sort()).toEqual([old.id, first.id].sort());
  });

  it("still refuses a domain held by anything else than the application being moved", async () => {
    const old = await create(applicationImpl, inputs("shared", { domains: [] }));
    await create(
      applicationImpl,
      inputs("squatter", { serverUuid: B, domains: ["https://shared.example.com"] }),
    );
    const news = await checked(
      applicationImpl,
      inputs("shared", { ...toB, moveFromServerUuid: A }),
      old.outs,
    );
    await expect(applicationImpl.create(news)).rejects.toThrow(/shared\.example\.com/);
    expect(await onServer(A)).toContain(old.id);
  });

  it("a moveFrom left from an earlier move keeps the usual rules when nothing of ours exists", async () => {
    // A project made outside this process (as on a later run), so creates look before posting,
    // and an application made by hand in it with the agent's name: not taken over without adopt.
    const { uuid: elsewhere } = await simApi<{ uuid: string }>(p, "POST", "/projects", { name: "later run" });
    await simApi(p, "POST", "/applications/dockerimage", {
      project_uuid: elsewhere,
      environment_name: "production",
      server_uuid: B,
      name: "by-hand",
      docker_registry_image_name: "nginx:1.27",
      autogenerate_domain: false,
    });
    const news = await checked(
      applicationImpl,
      inputs("by-hand", { ...toB, projectUuid: elsewhere, moveFromServerUuid: A, domains: [] }),
    );
    await expect(applicationImpl.create(news)).rejects.toThrow(/was not created by this program/);
  });

  it("a destination given now for the server's only one is no move and no replacement", async () => {
    const old = await create(applicationImpl, inputs("dest", { domains: [] }));
    const news = await checked(
      applicationImpl,
      inputs("dest", { domains: [], destinationUuid: "sim0destination000000000" }),
      old.outs,
    );
    expect((await applicationImpl.diff(old.id, old.outs, news)).replaces).toEqual([]);
    // Another destination on the same server is a move (a new container on another network).
    const check = await applicationImpl.check(
      { ...old.outs, destinationUuid: "sim0destination000000000" },
      { ...news, destinationUuid: "somewhereelse00000000000" },
    );
    expect(check.failures[0]?.reason).toMatch(/destination somewhereelse00000000000/);
  });
});

describe("a database does not follow a new server", () => {
  let p: ProviderSim;
  beforeAll(async () => {
    p = await startProviderSim({ servers: 2 });
  });
  afterAll(async () => p.close());

  it("refuses at check: a new database there would start empty", async () => {
    const project = await create(projectImpl, {
      name: "db moves",
      owner: "t/dev/db-moves",
      serverUuid: p.serverUuid,
    });
    const base = {
      projectUuid: project.id,
      environment: "production",
      serverUuid: p.serverUuid,
      serverName: "main",
      name: "agents-db-postgres",
      owner: "t/dev/agents-db-postgres",
    };
    const db = await create(postgresDatabaseImpl, base);
    const moved = await postgresDatabaseImpl.check(db.outs, { ...base, serverUuid: B, serverName: "edge" });
    expect(moved.failures).toHaveLength(1);
    expect(moved.failures[0]?.reason).toMatch(
      /the database "agents-db-postgres" would move from server "main" \(.*\) to "edge" \(.*\)\. Coolify cannot move a database between servers, and a new database there would start EMPTY/,
    );
    expect(moved.failures[0]?.reason).toMatch(/reordering that list moves it/);
    // Naming the server's only destination is no move, and no replacement.
    const named = await checked(
      postgresDatabaseImpl,
      { ...base, destinationUuid: "sim0destination000000000" },
      db.outs,
    );
    expect(await postgresDatabaseImpl.diff(db.id, db.outs, named)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });
});
