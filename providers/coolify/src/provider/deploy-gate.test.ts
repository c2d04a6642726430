import { describe, expect, it } from "vitest";
import { startSimulator } from "../../../../test/simulator";
import { forgetChecks } from "./context";
import { deployGate, Gate } from "./deploy-gate";
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

  it("keeps 30 deployments started at once out of Coolify's queue-full 429 (limit 25)", async () => {
    const sim = await startSimulator({
      port: 0,
      openapiPath: null,
      deploymentPhaseMs: 40,
      rateLimitPerMinute: 100_000,
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
      const project = await create("Project", { name: "gate", owner: "test/gate/project" });
      const where = {
        projectUuid: project.outs.uuid,
        environment: project.outs.environment,
        serverUuid: project.outs.serverUuid,
      };
      const apps = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          create("Application", {
            ...where,
            name: `gate-${i}`,
            source: { type: "dockerimage", image: "ghcr.io/eliza-coolify/eliza-agent", tag: "0.1.0" },
            port: 3000,
            owner: `test/gate/app-${i}`,
          }),
        ),
      );
      sim.control.clearRequestLog();
      const deployed = await Promise.all(apps.map((a) => create("Deployment", { applicationUuid: a.id })));
      expect(deployed.map((d) => d.outs.applicationStatus)).toEqual(apps.map(() => "running:healthy"));
      const deploys = sim.control.requestLog().filter((e) => e.path.split("?")[0] === "/api/v1/deploy");
      expect(deploys.filter((e) => e.status === 429)).toEqual([]);
      expect(deploys).toHaveLength(30);
      expect(deployGate.inUse).toBe(0);
    } finally {
      process.env = saved;
      await sim.close();
    }
  });
});
