// Backups through the real pulumi CLI on the simulator: a prod-like stack with backups to a real
// S3 server (versitygw, checking credentials) comes up; a change to the database's memory and
// one to an agent's image each take a backup first (backup_now, the execution's success, then
// the restart or the deploy); a failing backup stops `up` with a clear error and deploys
// nothing; a preview or up without changes sends no backup request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listObjects } from "../../lib/s3";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";
import { backupS3Config, type S3Server, startS3Server } from "../s3-server";

const BUCKET = "prod-agent-backups";

describe("backups on a prod-like stack", () => {
  let t: LocalStack;
  let s3: S3Server;
  let db: string;
  let backup: string;
  let app: string;

  const api = () => t.sim.control.requestLog().filter((e) => e.plane !== "agent");
  const lines = () => api().map((e) => `${e.method} ${e.path.replace(/\?.*$/, "")} ${e.status}`);
  /** Real deploys: the ability probe before the first write is a POST /deploy answered 404. */
  const deploys = () => lines().filter((l) => l === "POST /api/v1/deploy 200");
  const backupRequests = () => lines().filter((l) => l.includes("/backups") || l.includes("/s3-storages"));

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    t = await openLocalStack({
      stackName: "prod",
      // The Coolify admin allow-listed the S3 server's loopback address (Settings > Advanced).
      simulator: { trustedInternalHosts: ["127.0.0.1"] },
      config: {
        ...backupS3Config(s3, BUCKET),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it("comes up with a tested S3 storage and a daily backup to it; no secret in state or output", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect(state.s3Storages.map((s) => [s.bucket, s.is_usable])).toEqual([[BUCKET, true]]);
    expect(state.backups.map((b) => [b.frequency, b.save_s3, b.s3_storage_id])).toEqual([
      ["daily", true, state.s3Storages[0]?.id],
    ]);
    db = String(state.databases[0]?.uuid);
    backup = String(state.backups[0]?.uuid);
    app = String(state.applications[0]?.uuid);
    expect(up.outputs.databaseBackupUuid?.value).toBe(backup);
    // Nothing to protect yet: no backup was taken by the first up.
    expect(state.executions).toEqual([]);
    const raw = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/prod.json"), "utf8");
    expect(raw).toContain("backupS3SecretKey");
    expect(raw).not.toContain(s3.secretKey);
    expect(t.output.join("")).not.toContain(s3.secretKey);
    expect(t.output.join("")).not.toContain("lost with it");
  });

  it("a preview and an up without changes send no backup request", async () => {
    t.sim.control.clearRequestLog();
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(Object.keys(up.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(backupRequests()).toEqual([]);
    expect(lines().filter((l) => !l.startsWith("GET "))).toEqual([]);
  });

  it("a database memory change: backup_now, the execution's success, then the restart", async () => {
    await t.stack.setConfig("eliza-coolify:databaseMemory", { value: "3g" });
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const log = lines();
    console.info(`[backups] request log of a backup before a database change:\n  ${log.join("\n  ")}`);
    const backupNow = log.indexOf(`PATCH /api/v1/databases/${db}/backups/${backup} 200`);
    const restart = log.indexOf(`POST /api/v1/databases/${db}/restart 200`);
    const polls = log
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l === `GET /api/v1/databases/${db}/backups/${backup}/executions 200`)
      .map(([, i]) => i);
    expect(backupNow).toBeGreaterThan(-1);
    expect(restart).toBeGreaterThan(backupNow);
    // The poll that saw the success came after backup_now and before the restart.
    expect(polls.some((i) => i > backupNow && i < restart)).toBe(true);
    expect(polls.every((i) => i < restart)).toBe(true);
    const state = t.sim.control.state();
    expect(state.databases[0]?.limits_memory).toBe("3g");
    const [execution] = state.executions;
    expect(execution).toMatchObject({ status: "success", s3_uploaded: true });
    const keys = (await listObjects(s3.target(BUCKET))).map((o) => o.key);
    expect(keys).toEqual([String(execution?.filename).slice(1)]);
    // The agent was not redeployed: its image did not change.
    expect(deploys()).toEqual([]);
    expect(t.output.join("")).toContain("backed up database");
  });

  it("an agent image change: backup_now, the execution's success, then the deploy", async () => {
    await t.stack.setConfig(
      "eliza-coolify:agents[0].source.image",
      { value: "ghcr.io/eliza-coolify/eliza-agent:0.1.1" },
      true,
    );
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    const log = lines();
    const backupNow = log.indexOf(`PATCH /api/v1/databases/${db}/backups/${backup} 200`);
    const deploy = log.indexOf("POST /api/v1/deploy 200");
    const lastPoll = log.lastIndexOf(`GET /api/v1/databases/${db}/backups/${backup}/executions 200`);
    expect(backupNow).toBeGreaterThan(-1);
    expect(lastPoll).toBeGreaterThan(backupNow);
    expect(deploy).toBeGreaterThan(lastPoll);
    expect(log.some((l) => l.includes("/restart"))).toBe(false);
    expect(t.sim.control.state().executions.map((e) => e.status)).toEqual(["success", "success"]);
    expect(t.sim.control.state().applications[0]?.status).toBe("running:healthy");
  });

  it("a failing backup stops up with a clear error, and nothing is deployed", async () => {
    t.sim.control.setBackupOutcome(db, "fail");
    await t.stack.setConfig(
      "eliza-coolify:agents[0].source.image",
      { value: "ghcr.io/eliza-coolify/eliza-agent:0.1.2" },
      true,
    );
    t.sim.control.clearRequestLog();
    const failed = await t.stack.up({ onOutput: t.onOutput }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed?.message).toMatch(
      /The backup before this change failed \(execution \w+ of database \w+\): pg_dump: error/,
    );
    expect(failed?.message).toContain("Nothing was changed or deployed");
    const log = lines();
    expect(deploys()).toEqual([]);
    expect(log.some((l) => l.includes(`/applications/${app}/start`) || l.includes("/restart"))).toBe(false);
    expect(
      t.sim.control
        .state()
        .executions.map((e) => e.status)
        .sort(),
    ).toEqual(["failed", "success", "success"]);

    // Fixed: the next up takes the backup and deploys.
    t.sim.control.setBackupOutcome(db, "success");
    t.sim.control.clearRequestLog();
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(deploys()).toHaveLength(1);
  });

  it("the S3 server checks credentials: a wrong secret key fails up at the storage, naming the fix", async () => {
    await t.stack.setConfig("eliza-coolify:backupS3SecretKey", { value: "not-the-secret", secret: true });
    const failed = await t.stack.up({ onOutput: t.onOutput }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed?.message).toContain("Coolify cannot use the S3 storage");
    expect(failed?.message).toContain("SignatureDoesNotMatch");
    expect(failed?.message).toContain("eliza-coolify:backupS3SecretKey");
    expect(failed?.message).not.toContain("not-the-secret");
    await t.stack.setConfig("eliza-coolify:backupS3SecretKey", { value: s3.secretKey, secret: true });
    expect((await t.stack.up({ onOutput: t.onOutput })).summary.result).toBe("succeeded");
  });
});
