import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Props } from "../../providers/coolify/src/provider/types";
import { deploymentImpl } from "../../providers/coolify/src/resources/deployment";
import {
  checked,
  create,
  createTestApplication,
  type ProviderSim,
  requestsDuring,
  startProviderSim,
} from "./harness";

describe("Deployment", () => {
  let p: ProviderSim;
  let appUuid: string;

  beforeAll(async () => {
    p = await startProviderSim({ deploymentPhaseMs: 100 });
    appUuid = await createTestApplication(p, "deploy-app");
  });
  afterAll(async () => p.close());

  it("deploys, waits for finished and running:healthy, with few polls", async () => {
    const holder: { c?: { id: string; outs: Props } } = {};
    const reqs = await requestsDuring(p.sim, async () => {
      holder.c = await create(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "1.7.2" } });
    });
    const c = holder.c as { id: string; outs: Props };
    expect(c.outs).toMatchObject({ status: "finished", applicationStatus: "running:healthy" });
    expect(reqs[0]).toMatch(new RegExp(`^POST /api/v1/deploy\\?uuid=${appUuid}`));
    expect(reqs.filter((r) => r.startsWith("GET")).length).toBeLessThanOrEqual(4);

    const same = await checked(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "1.7.2" } });
    expect((await deploymentImpl.diff(c.id, c.outs, same)).changes).toBe(false);
    const next = await checked(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "1.7.3" } });
    expect(await deploymentImpl.diff(c.id, c.outs, next)).toMatchObject({ changes: true, replaces: [] });
  });

  it("fails with the tail of the deployment log", async () => {
    p.sim.control.setDeploymentOutcome(appUuid, "fail");
    try {
      await expect(create(deploymentImpl, { applicationUuid: appUuid })).rejects.toThrow(/failed[\s\S]*log/i);
    } finally {
      p.sim.control.setDeploymentOutcome(appUuid, "success");
    }
  });

  it("fails when the deployment finishes but the app never turns healthy", async () => {
    p.sim.control.setDeploymentOutcome(appUuid, "unhealthy");
    try {
      await expect(create(deploymentImpl, { applicationUuid: appUuid, timeoutSeconds: 60 })).rejects.toThrow(
        /running:healthy/,
      );
    } finally {
      p.sim.control.setDeploymentOutcome(appUuid, "success");
    }
  });

  it("keeps its state when Coolify has pruned the deployment record", async () => {
    const r = await deploymentImpl.read("missing", { deploymentUuid: "missing", applicationUuid: appUuid });
    expect(r.props?.deploymentUuid).toBe("missing");
  });
});
