// The dev stack on two Coolify servers with the real pulumi CLI: the agents placed across the
// servers (one pinned, one spread), a no-change preview, a move refused until acknowledged, the
// acknowledged move previewed and applied create-before-delete (the agent answering on its new
// server's proxy, one application per agent, its secrets unchanged), and a clean destroy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rendezvousServer } from "../../lib/config";
import { fetchVia } from "../../providers/coolify/src/provider/connect-to";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

const DB_URL = "postgres://eliza:servers-db-pw-7d1e@pg.shared.internal:5432/eliza_agents";
const MAIN = "sim0server0000000000000a";
const EDGE = "sim0server0000000000000b";
const SERVERS = [
  { name: "main", uuid: MAIN },
  { name: "edge", uuid: EDGE },
];

describe("the dev stack on two servers", () => {
  let t: LocalStack;
  const noChanges = (summary: Record<string, number | undefined>) =>
    Object.entries(summary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
  const appsOf = (agent: string) => t.sim.control.state().applications.filter((a) => a.name === agent);
  const serverOf = (app: Record<string, unknown> | undefined) => {
    const state = t.sim.control.state();
    const destination = state.destinations.find((d) => d.id === app?.destination_id);
    return state.servers.find((s) => s.id === destination?.server_id)?.uuid;
  };
  /** The values an application's container gets, from the simulator's state (locked ones included). */
  const envOf = (appUuid: unknown) => {
    const state = t.sim.control.state();
    const app = state.applications.find((a) => a.uuid === appUuid);
    const rows = state.envs.filter((e) => e.resourceable_id === app?.id && e.is_preview === false);
    return Object.fromEntries(rows.map((e) => [String(e.key), String(e.value)]));
  };
  /** The agent's /health through one server's proxy, by its domain (as DNS pointing there would). */
  const healthVia = (k: number, host: string) =>
    fetchVia({ connectTo: `127.0.0.1:${t.sim.proxies[k]?.tlsPort}`, caCertificate: t.certs.caPem })(
      `https://${host}/health`,
    ).then((r) => r.status);

  // server-bod is spread by the program; release-scribe is pinned to the other server.
  const bodServer = rendezvousServer("server-bod", SERVERS);
  const otherServer = SERVERS.find((s) => s !== bodServer) as (typeof SERVERS)[number];

  beforeAll(async () => {
    t = await openLocalStack({
      stackName: "dev",
      simulator: { servers: 2 },
      config: {
        "eliza-coolify:databaseMode": { value: "slim" },
        "eliza-coolify:databaseUrl": { value: DB_URL, secret: true },
      },
    });
    await t.stack.removeConfig("eliza-coolify:databaseMemory");
    for (const [i, s] of SERVERS.entries()) {
      await t.stack.setConfig(`eliza-coolify:servers[${i}].name`, { value: s.name }, true);
      await t.stack.setConfig(`eliza-coolify:servers[${i}].uuid`, { value: s.uuid }, true);
      // Each server's proxy has an address of its own (its IP in real life).
      await t.stack.setConfig(
        `eliza-coolify:servers[${i}].connectTo`,
        { value: `127.0.0.1:${t.sim.proxies[i]?.tlsPort}` },
        true,
      );
    }
    await t.stack.setConfig("eliza-coolify:agents[1].server", { value: otherServer.name }, true);
  });
  afterAll(async () => t?.close());

  it("places the agents across the servers, each checked through its own server's proxy", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const agents = up.outputs.agentOutputs?.value as Record<
      string,
      { server: string; smokeTestReply: string }
    >;
    expect(agents["server-bod"]?.server).toBe(bodServer.name);
    expect(agents["release-scribe"]?.server).toBe(otherServer.name);
    expect(agents["server-bod"]?.smokeTestReply).toMatch(/Server Bod/);
    expect(agents["release-scribe"]?.smokeTestReply).toMatch(/Release Scribe/);
    expect(serverOf(appsOf("server-bod")[0])).toBe(bodServer.uuid);
    expect(serverOf(appsOf("release-scribe")[0])).toBe(otherServer.uuid);
    // The smoke tests reached each agent through its own server's proxy.
    const chats = t.sim.control
      .requestLog()
      .filter((e) => e.plane === "agent" && e.path.includes("/messages"));
    const serverOfHost = (host: string) => new Set(chats.filter((e) => e.host === host).map((e) => e.server));
    expect(serverOfHost("bod.staging.example.com")).toEqual(new Set([bodServer.uuid]));
    expect(serverOfHost("scribe.staging.example.com")).toEqual(new Set([otherServer.uuid]));
    expect(t.sim.control.responseViolations()).toEqual([]);
  });

  it("previews no change afterwards", async () => {
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(preview.changeSummary)).toEqual([]);
  });

  it("refuses a move of an agent that was not acknowledged, saying what it would do, and writes nothing", async () => {
    await t.stack.setConfig("eliza-coolify:agents[0].server", { value: otherServer.name }, true);
    t.sim.control.clearRequestLog();
    const error = await t.stack.preview({ onOutput: t.onOutput }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = String(error?.message);
    expect(message).toContain(
      `application "server-bod" would move from server "${bodServer.name}" (${bodServer.uuid}) to server "${otherServer.name}" (${otherServer.uuid})`,
    );
    expect(message).toContain(`moveFrom: ${bodServer.name}`);
    expect(t.sim.control.requestLog().filter((e) => e.method !== "GET")).toEqual([]);
    expect(appsOf("server-bod")).toHaveLength(1);
  });

  it("previews the acknowledged move as a replacement of that agent's application, naming from and to", async () => {
    await t.stack.setConfig("eliza-coolify:agents[0].moveFrom", { value: bodServer.name }, true);
    const outputStart = t.output.length;
    // The default display: with --diff the CLI leaves the provider's messages out.
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(preview.changeSummary.replace).toBe(1);
    const said = t.output.slice(outputStart).join("");
    expect(said).toContain(
      `moving application "server-bod" from server "${bodServer.name}" (${bodServer.uuid}) to server "${otherServer.name}" (${otherServer.uuid})`,
    );
    // Create-before-delete: the replacement is created first, the original deleted at the end.
    const created = said.search(
      /\+\+ pulumi-nodejs:dynamic\/coolify:Application server-bod-app create replacement/,
    );
    const deleted = said.search(
      /-- pulumi-nodejs:dynamic\/coolify:Application server-bod-app delete original/,
    );
    expect(created).toBeGreaterThan(0);
    expect(deleted).toBeGreaterThan(created);
    expect(appsOf("server-bod")).toHaveLength(1);
  });

  it("moves it create-before-delete: one application left, on the new server, same secrets, answering there", async () => {
    const before = appsOf("server-bod")[0];
    const envBefore = envOf(before?.uuid);
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const after = appsOf("server-bod");
    expect(after).toHaveLength(1);
    expect(after[0]?.uuid).not.toBe(before?.uuid);
    expect(serverOf(after[0])).toBe(otherServer.uuid);
    expect(after[0]?.status).toBe("running:healthy");
    const envAfter = envOf(after[0]?.uuid);
    for (const key of ["SECRET_SALT", "ELIZA_SERVER_AUTH_TOKEN", "POSTGRES_URL"]) {
      expect(envAfter[key], key).toBe(envBefore[key]);
    }
    expect(envAfter.POSTGRES_URL).toBe(DB_URL);
    const agents = up.outputs.agentOutputs?.value as Record<
      string,
      { server: string; smokeTestReply: string }
    >;
    expect(agents["server-bod"]).toMatchObject({
      server: otherServer.name,
      smokeTestReply: expect.stringMatching(/Server Bod/),
    });
    const k = SERVERS.indexOf(otherServer);
    expect(await healthVia(k, "bod.staging.example.com")).toBe(200);
    expect(await healthVia(1 - k, "bod.staging.example.com")).toBe(404);
    // What the move wrote: the new application (a 409 while the old one holds the domain, then
    // with force_domain_override), its storage (a new, empty volume on the new server), its
    // variables, its deployment; then the old one's delete.
    // The old variables go with their application (deletedWith), at no request each.
    const writes = t.sim.control
      .requestLog()
      .filter((e) => e.plane !== "agent" && e.method !== "GET")
      .map((e) => `${e.method} ${e.path.split("?")[0]} ${e.status}`);
    expect(writes.slice(0, 3)).toEqual([
      "POST /api/v1/deploy 404", // the deploy-ability probe
      "POST /api/v1/applications/dockerimage 409",
      "POST /api/v1/applications/dockerimage 201",
    ]);
    // The storage and the variables both wait only for the application: either may go first.
    expect(writes.slice(3, 5).sort()).toEqual([
      `PATCH /api/v1/applications/${after[0]?.uuid}/envs/bulk 201`,
      `POST /api/v1/applications/${after[0]?.uuid}/storages 201`,
    ]);
    expect(writes.slice(5)).toEqual([
      "POST /api/v1/deploy 200",
      `DELETE /api/v1/applications/${before?.uuid} 200`,
    ]);
    // The new one was created (and deployed) before the old one was deleted.
    const log = t.sim.control.requestLog().filter((e) => e.plane !== "agent");
    const created = log.findIndex(
      (e) => e.method === "POST" && e.path.startsWith("/api/v1/applications/dockerimage") && e.status === 201,
    );
    const deleted = log.findIndex(
      (e) => e.method === "DELETE" && e.path === `/api/v1/applications/${before?.uuid}`,
    );
    const deployed = log.findIndex(
      (e) => e.method === "POST" && e.path.startsWith(`/api/v1/deploy?uuid=${after[0]?.uuid}`),
    );
    expect(created).toBeGreaterThanOrEqual(0);
    expect(deployed).toBeGreaterThan(created);
    expect(deleted).toBeGreaterThan(deployed);
    expect(t.sim.control.responseViolations()).toEqual([]);
  });

  it("previews no change after the move, the acknowledgement still in the config", async () => {
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(preview.changeSummary)).toEqual([]);
  });

  it("destroys everything on both servers", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect([state.projects, state.applications, state.databases, state.envs]).toEqual([[], [], [], []]);
  });
});
