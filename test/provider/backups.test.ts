// S3Storage, DatabaseBackup, BackupBeforeChange and DatabaseRestart against the simulator and a
// real S3 server (versitygw): create, idempotent re-run, update, out-of-band delete, destroy, and
// a create whose answer was lost, reconciled without a duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listObjects } from "../../lib/s3";
import type { Props } from "../../providers/coolify/src/provider/types";
import { backupBeforeChangeImpl } from "../../providers/coolify/src/resources/backup-before-change";
import { databaseBackupImpl } from "../../providers/coolify/src/resources/database-backup";
import { databaseRestartImpl } from "../../providers/coolify/src/resources/database-restart";
import { postgresDatabaseImpl } from "../../providers/coolify/src/resources/postgres-database";
import { projectImpl } from "../../providers/coolify/src/resources/project";
import { s3StorageImpl } from "../../providers/coolify/src/resources/s3-storage";
import { type S3Server, startS3Server } from "../s3-server";
import {
  checked,
  create,
  type ProviderSim,
  requestsDuring,
  simApi,
  startProviderSim,
  writes,
} from "./harness";

const BUCKET = "provider-backups";
let p: ProviderSim;
let s3: S3Server;
let dbUuid: string;

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket(BUCKET);
  p = await startProviderSim({ trustedInternalHosts: ["127.0.0.1"] });
  const project = await create(projectImpl, { name: "backups", owner: "t/prod/backups" });
  const db = await create(postgresDatabaseImpl, {
    projectUuid: project.id,
    environment: "production",
    serverUuid: p.serverUuid,
    name: "agents-db",
    owner: "t/prod/agents-db",
  });
  dbUuid = db.id;
});
afterAll(async () => {
  expect(p.sim.control.responseViolations()).toEqual([]);
  await p?.close();
  await s3?.close();
});

const storageInputs = (extra: Props = {}): Props => ({
  name: "agents backups",
  endpoint: s3.endpoint,
  bucket: BUCKET,
  region: s3.region,
  accessKey: s3.accessKey,
  secretKey: s3.secretKey,
  owner: "t/prod/backups-s3",
  ...extra,
});
const storages = () => p.sim.control.state().s3Storages;
const configs = () => p.sim.control.state().backups;

describe("S3Storage", () => {
  let made: { id: string; outs: Props };

  it("creates it and has Coolify test it (validate) in three requests; no credential in its outputs", async () => {
    const reqs = await requestsDuring(p.sim, async () => {
      made = await create(s3StorageImpl, storageInputs());
    });
    expect(reqs).toEqual([
      "GET /api/v1/s3-storages",
      "POST /api/v1/s3-storages",
      `POST /api/v1/s3-storages/${made.id}/validate`,
    ]);
    expect(storages().map((s) => [s.uuid, s.is_usable])).toEqual([[made.id, true]]);
    expect(JSON.stringify(made.outs)).not.toContain(s3.secretKey);
    expect(JSON.stringify(made.outs)).not.toContain(s3.accessKey);
    const news = await checked(s3StorageImpl, storageInputs());
    expect((await s3StorageImpl.diff(made.id, made.outs, news)).changes).toBe(false);
    const r = await s3StorageImpl.read(made.id, made.outs);
    expect((await s3StorageImpl.diff(made.id, r.props as Props, news)).changes).toBe(false);
  });

  it("a re-run of the create finds its own storage by its marker: no second one", async () => {
    const again = await create(s3StorageImpl, storageInputs());
    expect(again.id).toBe(made.id);
    expect(storages()).toHaveLength(1);
  });

  it("a wrong secret at create: a clear error, and no storage left behind", async () => {
    const e = await create(
      s3StorageImpl,
      storageInputs({ name: "wrong one", owner: "t/prod/wrong", secretKey: "nope" }),
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.message).toContain('Coolify cannot use the S3 storage "wrong one"');
    expect(e?.message).toContain("SignatureDoesNotMatch");
    expect(e?.message).toContain("The access key or the secret key is wrong");
    expect(e?.message).not.toContain("nope");
    expect(storages().map((s) => s.uuid)).toEqual([made.id]);
  });

  it("update: PATCHes only the changed fields and tests again; a wrong new secret fails the update", async () => {
    const renamed = await checked(s3StorageImpl, storageInputs({ name: "agents backups 2" }));
    expect((await s3StorageImpl.diff(made.id, made.outs, renamed)).changes).toBe(true);
    const reqs = await requestsDuring(p.sim, async () => {
      made = { id: made.id, outs: (await s3StorageImpl.update(made.id, made.outs, renamed)).outs };
    });
    expect(reqs).toEqual([
      `PATCH /api/v1/s3-storages/${made.id}`,
      `POST /api/v1/s3-storages/${made.id}/validate`,
    ]);
    const badSecret = await checked(
      s3StorageImpl,
      storageInputs({ name: "agents backups 2", secretKey: "wrong" }),
    );
    expect((await s3StorageImpl.diff(made.id, made.outs, badSecret)).changes).toBe(true);
    await expect(s3StorageImpl.update(made.id, made.outs, badSecret)).rejects.toThrow(
      /uploads to S3 fail until/,
    );
    // Put the right one back.
    const good = await checked(s3StorageImpl, storageInputs({ name: "agents backups 2" }));
    await s3StorageImpl.update(made.id, { ...made.outs, secretKeyHash: "stale" }, good);
    expect(storages()[0]?.is_usable).toBe(true);
  });

  it("a create whose answer was lost is reconciled by the marker, without a duplicate", async () => {
    p.sim.control.injectFault({ kind: "dropAfterCommit", match: { method: "POST", path: "/s3-storages" } });
    const lost = await create(s3StorageImpl, storageInputs({ name: "lost answer", owner: "t/prod/lost" }));
    expect(
      storages()
        .filter((s) => s.name === "lost answer")
        .map((s) => s.uuid),
    ).toEqual([lost.id]);
    // destroy: gone from Coolify.
    await s3StorageImpl.delete(lost.id, lost.outs);
    expect(storages().some((s) => s.uuid === lost.id)).toBe(false);
  });

  it("deleted out of band: read says gone; destroy tolerates it", async () => {
    const other = await create(s3StorageImpl, storageInputs({ name: "short lived", owner: "t/prod/short" }));
    await simApi(p, "DELETE", `/s3-storages/${other.id}`);
    expect(await s3StorageImpl.read(other.id, other.outs)).toEqual({});
    await s3StorageImpl.delete(other.id, other.outs);
  });
});

describe("DatabaseBackup", () => {
  let storage: string;
  let backup: { id: string; outs: Props };
  const inputs = (extra: Props = {}): Props => ({
    databaseUuid: dbUuid,
    frequency: "daily",
    s3StorageUuid: storage,
    ...extra,
  });

  beforeAll(() => {
    storage = String(storages()[0]?.uuid);
  });

  it("rejects a frequency Coolify would refuse, naming the property", async () => {
    const r = await databaseBackupImpl.check({}, inputs({ frequency: "every day" }));
    expect(r.failures.map((f) => f.property)).toEqual(["frequency"]);
  });

  it("creates it with save_s3 sent explicitly; re-run and refresh show no change", async () => {
    const reqs = await requestsDuring(p.sim, async () => {
      backup = await create(databaseBackupImpl, inputs());
    });
    expect(reqs).toEqual([
      `GET /api/v1/databases/${dbUuid}/backups`,
      `POST /api/v1/databases/${dbUuid}/backups`,
    ]);
    expect(configs()).toHaveLength(1);
    expect(configs()[0]).toMatchObject({
      uuid: backup.id,
      save_s3: true,
      frequency: "daily",
      database_backup_retention_amount_locally: 7,
      database_backup_retention_amount_s3: 30,
    });
    const news = await checked(databaseBackupImpl, inputs());
    expect((await databaseBackupImpl.diff(backup.id, backup.outs, news)).changes).toBe(false);
    const r = await databaseBackupImpl.read(backup.id, backup.outs);
    expect((await databaseBackupImpl.diff(backup.id, r.props as Props, news)).changes).toBe(false);
  });

  it("update: one PATCH with the new schedule and retention", async () => {
    const news = await checked(
      databaseBackupImpl,
      inputs({ frequency: "0 3 * * *", retention: { localAmount: 3 } }),
    );
    const reqs = await requestsDuring(p.sim, async () => {
      backup = { id: backup.id, outs: (await databaseBackupImpl.update(backup.id, backup.outs, news)).outs };
    });
    expect(reqs).toEqual([`PATCH /api/v1/databases/${dbUuid}/backups/${backup.id}`]);
    expect(configs()[0]).toMatchObject({
      frequency: "0 3 * * *",
      database_backup_retention_amount_locally: 3,
    });
  });

  it("its S3 storage deleted out of band: refresh sees S3 off, the next update turns it on again", async () => {
    const spare = await create(s3StorageImpl, storageInputs({ name: "spare", owner: "t/prod/spare" }));
    const news = await checked(
      databaseBackupImpl,
      inputs({ frequency: "0 3 * * *", retention: { localAmount: 3 }, s3StorageUuid: spare.id }),
    );
    backup = { id: backup.id, outs: (await databaseBackupImpl.update(backup.id, backup.outs, news)).outs };
    await simApi(p, "DELETE", `/s3-storages/${spare.id}`);
    const r = await databaseBackupImpl.read(backup.id, backup.outs);
    expect((r.props as Props).s3StorageUuid).toBeUndefined();
    const back = await checked(
      databaseBackupImpl,
      inputs({ frequency: "0 3 * * *", retention: { localAmount: 3 } }),
    );
    expect((await databaseBackupImpl.diff(backup.id, r.props as Props, back)).changes).toBe(true);
    backup = {
      id: backup.id,
      outs: (await databaseBackupImpl.update(backup.id, r.props as Props, back)).outs,
    };
    expect(configs()[0]).toMatchObject({ save_s3: true });
  });

  it("a create whose answer was lost is found by what it holds, without a duplicate", async () => {
    p.sim.control.injectFault({
      kind: "dropAfterCommit",
      match: { method: "POST", path: `/databases/${dbUuid}/backups` },
    });
    const lost = await create(databaseBackupImpl, inputs({ frequency: "hourly" }));
    expect(configs().map((c) => c.uuid)).toEqual([backup.id, lost.id]);
    await databaseBackupImpl.delete(lost.id, lost.outs);
    expect(configs().map((c) => c.uuid)).toEqual([backup.id]);
  });

  it("deleted out of band: read says gone; destroy tolerates it", async () => {
    const other = await create(databaseBackupImpl, inputs({ frequency: "weekly" }));
    await simApi(p, "DELETE", `/databases/${dbUuid}/backups/${other.id}`);
    expect(await databaseBackupImpl.read(other.id, other.outs)).toEqual({});
    await databaseBackupImpl.delete(other.id, other.outs);
  });
});

describe("BackupBeforeChange and DatabaseRestart", () => {
  let backupUuid: string;
  let made: { id: string; outs: Props };
  const inputs = (triggers: Record<string, string>): Props => ({
    databaseUuid: dbUuid,
    backupUuid,
    triggers,
  });

  beforeAll(() => {
    backupUuid = String(configs()[0]?.uuid);
  });

  it("create takes no backup and sends nothing; no change, no request", async () => {
    const reqs = await requestsDuring(p.sim, async () => {
      made = await create(backupBeforeChangeImpl, inputs({ image: "a" }));
    });
    expect(reqs).toEqual([]);
    const same = await checked(backupBeforeChangeImpl, inputs({ image: "a" }));
    expect((await backupBeforeChangeImpl.diff(made.id, made.outs, same)).changes).toBe(false);
  });

  it("a changed trigger: backup_now, then waits for that execution's success; the dump is in S3", async () => {
    const news = await checked(backupBeforeChangeImpl, inputs({ image: "b" }));
    expect((await backupBeforeChangeImpl.diff(made.id, made.outs, news)).changes).toBe(true);
    const reqs = await requestsDuring(p.sim, async () => {
      made = { id: made.id, outs: (await backupBeforeChangeImpl.update(made.id, made.outs, news)).outs };
    });
    const executions = `GET /api/v1/databases/${dbUuid}/backups/${backupUuid}/executions`;
    expect(reqs.slice(0, 3)).toEqual([
      `GET /api/v1/databases/${dbUuid}`,
      executions,
      `PATCH /api/v1/databases/${dbUuid}/backups/${backupUuid}`,
    ]);
    expect(new Set(reqs.slice(3))).toEqual(new Set([executions]));
    const done = p.sim.control.state().executions.find((e) => e.uuid === made.outs.lastExecutionUuid);
    expect(done).toMatchObject({ status: "success", s3_uploaded: true });
    const keys = (await listObjects(s3.target(BUCKET))).map((o) => o.key);
    expect(keys).toContain(String(made.outs.lastBackupFile).slice(1));
  });

  it("a failing backup stops with the execution, its message and what to do", async () => {
    p.sim.control.setBackupOutcome(dbUuid, "fail");
    try {
      const news = await checked(backupBeforeChangeImpl, inputs({ image: "c" }));
      await expect(backupBeforeChangeImpl.update(made.id, made.outs, news)).rejects.toThrow(
        /The backup before this change failed \(execution \w+ of database \w+\): pg_dump: error: .*\nNothing was changed or deployed/s,
      );
    } finally {
      p.sim.control.setBackupOutcome(dbUuid, "success");
    }
  });

  it("the database restart waits for running:healthy; a stopped database makes the backup step fail clearly", async () => {
    const restart = await create(databaseRestartImpl, { databaseUuid: dbUuid, triggers: { image: "a" } });
    const news = await checked(databaseRestartImpl, { databaseUuid: dbUuid, triggers: { image: "b" } });
    const reqs = await requestsDuring(p.sim, () =>
      databaseRestartImpl.update(restart.id, restart.outs, news),
    );
    expect(writes(reqs)).toEqual([`POST /api/v1/databases/${dbUuid}/restart`]);
    expect(reqs.at(-1)).toBe(`GET /api/v1/databases/${dbUuid}`);
    expect(p.sim.control.state().databases[0]?.status).toBe("running:healthy");

    await simApi(p, "POST", `/databases/${dbUuid}/stop`);
    await new Promise((r) => setTimeout(r, 200));
    const blocked = await checked(backupBeforeChangeImpl, inputs({ image: "d" }));
    const reqs2 = await requestsDuring(p.sim, () =>
      expect(backupBeforeChangeImpl.update(made.id, made.outs, blocked)).rejects.toThrow(
        /the database "agents-db" \(\w+\) is "exited", and Coolify backs up only a running database/,
      ),
    );
    expect(writes(reqs2)).toEqual([]);
  });

  it("destroying the backup removes it from Coolify and keeps its copies in S3", async () => {
    const key = String(made.outs.lastBackupFile).slice(1);
    await databaseBackupImpl.delete(backupUuid, { databaseUuid: dbUuid });
    expect(configs()).toEqual([]);
    expect((await listObjects(s3.target(BUCKET))).map((o) => o.key)).toContain(key);
  });
});
