// Several servers (the `servers` option): each with its own destination, proxy, build slots and
// deployment queue; the server and destination endpoints answer for all of them as Coolify's
// ServersController and DestinationsController do.
import { describe, expect, it } from "vitest";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { startSimulator } from "./index";
import { call, makeApp, makeProject, SERVER_UUID, useSimulator } from "./testkit";

const B = "sim0server0000000000000b";
const C = "sim0server0000000000000c";

describe("one server by default", () => {
  const sim = useSimulator();
  it("has Coolify's own host only, with one destination and one proxy", async () => {
    const servers = await call(sim, "GET", "/servers");
    expect(servers.body.map((s: { uuid: string }) => s.uuid)).toEqual([SERVER_UUID]);
    const destinations = await call(sim, "GET", "/destinations");
    expect(destinations.body).toHaveLength(1);
    expect(sim.proxies.map((p) => p.url)).toEqual([sim.url]);
  });
});

describe("three servers", () => {
  const sim = useSimulator({ servers: 3, deploymentPhaseMs: 100 });

  it("lists every server with the columns Coolify selects, the first being Coolify's host", async () => {
    const r = await call(sim, "GET", "/servers");
    expect(r.status).toBe(200);
    expect(r.body.map((s: { uuid: string }) => s.uuid)).toEqual([SERVER_UUID, B, C]);
    expect(r.body.map((s: { ip: string }) => s.ip)).toEqual(["192.0.2.10", "192.0.2.11", "192.0.2.12"]);
    expect(r.body.map((s: { is_coolify_host: boolean }) => s.is_coolify_host)).toEqual([true, false, false]);
    for (const s of r.body) {
      expect(Object.keys(s).sort()).toEqual(
        [
          "description",
          "ip",
          "is_coolify_host",
          "is_reachable",
          "is_usable",
          "name",
          "port",
          "settings",
          "uuid",
          "user",
        ].sort(),
      );
      expect(s.settings).toMatchObject({ concurrent_builds: 2, deployment_queue_limit: 25 });
    }
    const one = await call(sim, "GET", `/servers/${B}`);
    expect(one.body).toMatchObject({ uuid: B, proxy: { type: "TRAEFIK" }, is_coolify_host: false });
    expect(one.body.id).toBeUndefined();
  });

  it("gives each server its own destination; /destinations lists them all", async () => {
    const all = await call(sim, "GET", "/destinations");
    expect(all.status).toBe(200);
    expect(all.body.map((d: { server_uuid: string }) => d.server_uuid)).toEqual([SERVER_UUID, B, C]);
    const ofB = await call(sim, "GET", `/servers/${B}/destinations`);
    expect(ofB.body).toHaveLength(1);
    expect(ofB.body[0]).toMatchObject({ network: "coolify", type: "standalone", server_uuid: B });
    const one = await call(sim, "GET", `/destinations/${ofB.body[0].uuid}`);
    expect(one.body).toEqual(ofB.body[0]);
  });

  it("answers unknown servers and destinations as Coolify does", async () => {
    expect((await call(sim, "GET", "/servers/nosuchserver000000000000")).body).toEqual({
      message: "Server not found.",
    });
    const dests = await call(sim, "GET", "/servers/nosuchserver000000000000/destinations");
    expect(dests.status).toBe(404);
    expect(dests.body.message).toBe("No query results for model [App\\Models\\Server].");
    const dest = await call(sim, "GET", "/destinations/nosuchdestination0000000");
    expect(dest.status).toBe(404);
    // Another team sees none of the root team's servers.
    const other = sim.control.createToken({ abilities: ["root"], teamId: 3 });
    expect((await call(sim, "GET", "/destinations", undefined, { token: other })).body).toEqual([]);
    expect((await call(sim, "GET", `/servers/${B}`, undefined, { token: other })).status).toBe(404);
  });

  it("places an application on the server named; /servers/{uuid}/resources lists it there only", async () => {
    const project = await makeProject(sim);
    const app = await makeApp(sim, project, { server_uuid: B, name: "on-b" });
    const onB = await call(sim, "GET", `/servers/${B}/resources`);
    expect(onB.body).toEqual([
      expect.objectContaining({ uuid: app.uuid, name: "on-b", type: "application", status: "exited" }),
    ]);
    expect((await call(sim, "GET", `/servers/${SERVER_UUID}/resources`)).body).toEqual([]);
    const withResources = await call(sim, "GET", `/servers/${B}?resources=1`);
    expect(withResources.body.resources.map((r: { uuid: string }) => r.uuid)).toEqual([app.uuid]);
  });

  it("runs 2 builds at a time on each server, side by side", async () => {
    const project = await makeProject(sim);
    const apps = [];
    for (const server of [SERVER_UUID, SERVER_UUID, SERVER_UUID, B, B, B])
      apps.push(await makeApp(sim, project, { server_uuid: server }));
    const deploy = await call(sim, "POST", `/deploy?uuid=${apps.map((a) => a.uuid).join(",")}`);
    expect(deploy.status).toBe(200);
    sim.control.step(150); // one phase: the first two of each server leave the queue
    const deployments = sim.control.state().deployments;
    const running = (serverUuid: string) => {
      const serverId = sim.control.state().servers.find((s) => s.uuid === serverUuid)?.id;
      return deployments.filter((d) => d.server_id === serverId && d.status === "in_progress").length;
    };
    expect([running(SERVER_UUID), running(B), running(C)]).toEqual([2, 2, 0]);
    expect(deployments.filter((d) => d.status === "queued")).toHaveLength(2);
  });

  it("keeps a deployment queue per server: a full one refuses only its own server's deploys", async () => {
    const project = await makeProject(sim);
    const onA = [];
    for (let i = 0; i < 27; i++) onA.push(await makeApp(sim, project, { name: `a-${i}` }));
    const onB = await makeApp(sim, project, { server_uuid: B, name: "b-0" });
    for (const app of onA.slice(0, 25)) {
      expect((await call(sim, "POST", `/deploy?uuid=${app.uuid}`)).status).toBe(200);
    }
    const full = await call(sim, "POST", `/deploy?uuid=${onA[25]?.uuid}`);
    expect(full.status).toBe(429);
    expect(full.body.message).toMatch(/Deployment queue is full/);
    expect((await call(sim, "POST", `/deploy?uuid=${onB.uuid}`)).status).toBe(200);
  });

  it("creates a destination; a server with two needs destination_uuid on create", async () => {
    const made = await call(sim, "POST", `/servers/${B}/destinations`, { network: "agents" });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ network: "agents", name: "sim-server-2-agents", server_uuid: B });
    const again = await call(sim, "POST", `/servers/${B}/destinations`, { network: "agents" });
    expect(again.status).toBe(409);
    const bad = await call(sim, "POST", `/servers/${B}/destinations`, { network: "-x", color: 1 });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(["color", "network"]);
    const project = await makeProject(sim);
    const r = await call(sim, "POST", "/applications/dockerimage", {
      project_uuid: project,
      server_uuid: B,
      environment_name: "production",
      docker_registry_image_name: "ghcr.io/elizaos/eliza",
      docker_registry_image_tag: "v1.7.2",
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("Server has multiple destinations and you do not set destination_uuid.");
    const placed = await makeApp(sim, project, { server_uuid: B, destination_uuid: made.body.uuid });
    expect(placed.uuid).toMatch(/^[a-z0-9]{24}$/);
  });
});

describe("each server's proxy routes only its own applications", () => {
  it("answers an agent on its server's proxy, and Traefik's 404 on another's", async () => {
    const sim = await startSimulator({ servers: 2, deploymentPhaseMs: 20 });
    try {
      expect(sim.proxies.map((p) => p.serverUuid)).toEqual([SERVER_UUID, B]);
      expect(sim.proxies[0]?.url).toBe(sim.url);
      const project = await makeProject(sim);
      const app = await makeApp(sim, project, { server_uuid: B, domains: "http://agent-b.example.test" });
      await call(sim, "POST", `/deploy?uuid=${app.uuid}`);
      for (let i = 0; i < 100 && sim.control.state().applications[0]?.status !== "running:healthy"; i++)
        await new Promise((r) => setTimeout(r, 20));
      // The domain in the URL, the connection to one server's proxy (as DNS would give it).
      const get = (port: number) =>
        fetchVia({ connectTo: `127.0.0.1:${port}` })("http://agent-b.example.test/healthz").then(
          (r) => r.status,
        );
      expect(await get(sim.proxies[1]?.port as number)).toBe(200);
      expect(await get(sim.proxies[0]?.port as number)).toBe(404);
      // Coolify's API does not run on a remote server's proxy.
      const api = await fetch(`${sim.proxies[1]?.url}/api/v1/version`, {
        headers: { authorization: `Bearer ${sim.rootToken}` },
      });
      expect(api.status).toBe(404);
      const agentLog = sim.control.requestLog().filter((e) => e.plane === "agent");
      expect(agentLog.map((e) => [e.server, e.status])).toEqual([
        [B, 200],
        [SERVER_UUID, 404],
        [B, 404],
      ]);
      expect(sim.control.responseViolations()).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it("refuses a number of servers it cannot seed", async () => {
    await expect(startSimulator({ servers: 0 })).rejects.toThrow(
      /servers must be a whole number from 1 to 26/,
    );
  });
});
