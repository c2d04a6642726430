import { describe, expect, it } from "vitest";
import { startSimulator } from "../../../../test/simulator";
import { DEPLOYS_IN_QUEUE, Gate } from "./deploy-gate";

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

  it("keeps this process under Coolify's default deployment queue limit", async () => {
    // The simulator answers 429 "Deployment queue is full" at the server's deployment_queue_limit.
    const sim = await startSimulator({ port: 0, openapiPath: null });
    try {
      const limit = Number(sim.control.state().servers[0]?.settings.deployment_queue_limit ?? 25);
      expect(DEPLOYS_IN_QUEUE).toBeLessThan(limit);
    } finally {
      await sim.close();
    }
  });
});
