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

  const deploymentsOf = (uuid: string) => {
    const s = p.sim.control.state();
    const id = s.applications.find((a) => a.uuid === uuid)?.id;
    return s.deployments.filter((d) => d.application_id === id).length;
  };

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

  it("a deploy whose answer was lost is found queued in Coolify and waited on: one deployment", async () => {
    const first = await create(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "a" } });
    const before = deploymentsOf(appUuid);
    p.sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST", path: "/deploy" } });
    const news = await checked(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "b" } });
    const reqs = await requestsDuring(p.sim, async () => {
      const u = await deploymentImpl.update(first.id, first.outs, news);
      expect(u.outs).toMatchObject({ status: "finished", applicationStatus: "running:healthy" });
      expect(u.outs.deploymentUuid).not.toBe(first.outs.deploymentUuid);
    });
    expect(deploymentsOf(appUuid)).toBe(before + 1);
    expect(reqs.filter((r) => r.startsWith("POST"))).toHaveLength(1);
    expect(reqs).toContain(`GET /api/v1/deployments/applications/${appUuid}?take=5`);
  });

  it("a deploy that never reached Coolify (connection reset) is sent once more after looking", async () => {
    const first = await create(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "c" } });
    const before = deploymentsOf(appUuid);
    p.sim.control.injectFault({ kind: "reset", match: { method: "POST", path: "/deploy" } });
    const news = await checked(deploymentImpl, { applicationUuid: appUuid, triggers: { image: "d" } });
    const reqs = await requestsDuring(p.sim, () => deploymentImpl.update(first.id, first.outs, news));
    expect(deploymentsOf(appUuid)).toBe(before + 1);
    const order = reqs.filter((r) => r.startsWith("POST") || r.includes("/deployments/applications/"));
    expect(order.map((r) => r.split("?")[0])).toEqual([
      "POST /api/v1/deploy",
      `GET /api/v1/deployments/applications/${appUuid}`,
      "POST /api/v1/deploy",
    ]);
  });

  it("keeps its state when Coolify has pruned the deployment record", async () => {
    const r = await deploymentImpl.read("missing", { deploymentUuid: "missing", applicationUuid: appUuid });
    expect(r.props?.deploymentUuid).toBe("missing");
  });
});
