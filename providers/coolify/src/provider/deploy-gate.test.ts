import { describe, expect, it } from "vitest";
import { startSimulator } from "../../../../test/simulator";
import { forgetChecks } from "./context";
import { DEPLOYS_IN_QUEUE, deployGates, Gate, ServerGates } from "./deploy-gate";
import { implementationOf } from "./registry";

describe("deploy gate", () => {
  it("lets `limit` in, queues the rest in order, and passes each place on once", async () => {
    const gate = new Gate(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.enter(), gate.enter()]);
    const later = [3, 4, 5].map((n) =>
      gate.enter().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await Promise.resolve();
    expect(gate.inUse).toBe(2);
    expect(gate.queued).toBe(3);
    releases[0]?.();
    releases[0]?.(); // a second release of the same place frees nothing more
    const third = await later[0];
    expect(order).toEqual([3]);
    expect(gate.queued).toBe(2);
    releases[1]?.();
    third?.();
    await Promise.all(later.slice(1));
    expect(order).toEqual([3, 4, 5]);
  });

  it("keeps one gate per server: a full one does not hold another server's deployments", async () => {
    const gates = new ServerGates(2);
    await Promise.all([gates.forServer("a").enter(), gates.forServer("a").enter()]);
    let third = false;
    void gates
      .forServer("a")
      .enter()
      .then(() => {
        third = true;
      });
    const onB = await gates.forServer("b").enter();
    await Promise.resolve();
    expect(third).toBe(false);
    expect(gates.forServer("a").queued).toBe(1);
    expect(gates.inUse).toBe(3);
    onB();
    expect(gates.forServer(undefined)).toBe(gates.forServer(undefined));
  });

  it("keeps 30 deployments per server started at once out of Coolify's queue-full 429 (limit 25 each)", async () => {
    const sim = await startSimulator({
      port: 0,
      openapiPath: null,
      deploymentPhaseMs: 40,
      rateLimitPerMinute: 100_000,
      servers: 2,
    });
    const saved = { ...process.env };
    Object.assign(process.env, {
      COOLIFY_URL: sim.url,
      COOLIFY_TOKEN: sim.rootToken,
      COOLIFY_RATE_LIMIT_PER_MINUTE: "100000",
      ELIZA_COOLIFY_POLL_SCALE: "0.01",
    });
    forgetChecks();
    try {
      const create = async (type: string, inputs: Record<string, unknown>) => {
        const impl = implementationOf(type);
        const checked = await impl.check({}, inputs);
        expect(checked.failures).toEqual([]);
        return impl.create(checked.inputs);
      };
      const servers = ["sim0server0000000000000a", "sim0server0000000000000b"];
      const project = await create("Project", {
        name: "gate",
        owner: "test/gate/project",
        serverUuid: servers[0],
      });
      const where = { projectUuid: project.outs.uuid, environment: project.outs.environment };
      const apps = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          create("Application", {
            ...where,
            serverUuid: servers[i % 2],
            name: `gate-${i}`,
            source: { type: "dockerimage", image: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" },
            port: 3000,
            owner: `test/gate/app-${i}`,
          }),
        ),
      );
      sim.control.clearRequestLog();
      // How many deployments the gates let into Coolify's queues at once, over both servers.
      let most = 0;
      const sampler = setInterval(() => {
        most = Math.max(most, deployGates.inUse);
      }, 1);
      const deployed = await Promise.all(
        apps.map((a) => create("Deployment", { applicationUuid: a.id, serverUuid: a.outs.serverUuid })),
      ).finally(() => clearInterval(sampler));
      expect(deployed.map((d) => d.outs.applicationStatus)).toEqual(apps.map(() => "running:healthy"));
      const deploys = sim.control.requestLog().filter((e) => e.path.split("?")[0] === "/api/v1/deploy");
      expect(deploys.filter((e) => e.status === 429)).toEqual([]);
      expect(deploys).toHaveLength(60);
      // 20 per server, not 20 for the process.
      expect(most).toBe(2 * DEPLOYS_IN_QUEUE);
      expect(deployGates.inUse).toBe(0);
    } finally {
      process.env = saved;
      await sim.close();
    }
  });
});
