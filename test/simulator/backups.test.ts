// S3 storages and scheduled database backups (Coolify 4.3.11 source: S3StoragesController,
// DatabasesController backup routes, DatabaseBackupJob), against a real S3 server (versitygw)
// that checks credentials.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getObject, listObjects } from "../../lib/s3";
import { type S3Server, startS3Server } from "../s3-server";
import { startSimulator } from "./index";
import { call, makeDb, makeProject, useSimulator } from "./testkit";
import type { Simulator } from "./types";

let s3: S3Server;
const BUCKET = "agent-backups";
beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket(BUCKET);
});
afterAll(async () => s3?.close());

let project: string;
// The instance admin allowed 127.0.0.1 as an internal target (Settings > Advanced).
const sim = useSimulator({ deploymentPhaseMs: 100, trustedInternalHosts: ["127.0.0.1"] }, async (s) => {
  project = await makeProject(s);
});

const storageBody = (extra: Record<string, unknown> = {}) => ({
  name: "agents backups",
  description: "(managed by eliza-coolify p/prod/backups-s3)",
  endpoint: s3.endpoint,
  bucket: BUCKET,
  region: s3.region,
  key: s3.accessKey,
  secret: s3.secretKey,
  ...extra,
});

async function makeStorage(extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(sim, "POST", "/s3-storages", storageBody(extra));
  expect(r.status).toBe(201);
  return r.body.uuid;
}

/** A started database (instant_deploy), running:healthy one phase later. */
async function runningDb(): Promise<{ uuid: string }> {
  const db = await makeDb(sim, project, { instant_deploy: true, postgres_db: "eliza" });
  sim.control.step(100);
  return db;
}

/** Lets the queued job start (one phase), then waits until every job has ended. */
async function runJobs(): Promise<void> {
  sim.control.step(100);
  sim.control.step(100);
  await sim.control.backupJobsIdle();
}

describe("S3 storages", () => {
  it("create tests nothing (is_usable false, 201 {uuid}); key and secret only for a sensitive token", async () => {
    const uuid = await makeStorage();
    const reader = sim.control.createToken({ abilities: ["read"] });
    const plain = await call(sim, "GET", `/s3-storages/${uuid}`, undefined, { token: reader });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ uuid, bucket: BUCKET, is_usable: false, unusable_email_sent: false });
    expect(plain.body).not.toHaveProperty("key");
    expect(plain.body).not.toHaveProperty("secret");
    expect(plain.body).not.toHaveProperty("id");
    const root = await call(sim, "GET", `/s3-storages/${uuid}`);
    expect(root.body).toMatchObject({ key: s3.accessKey, secret: s3.secretKey });
    const list = await call(sim, "GET", "/s3-storages", undefined, { token: reader });
    expect(list.body.map((x: { uuid: string }) => x.uuid)).toEqual([uuid]);
  });

  it("validate lists the bucket with the stored credentials: valid, or valid:false with S3's reason", async () => {
    const good = await makeStorage();
    const ok = await call(sim, "POST", `/s3-storages/${good}/validate`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ valid: true, message: "S3 storage connection is valid." });
    expect((await call(sim, "GET", `/s3-storages/${good}`)).body.is_usable).toBe(true);

    const bad = await makeStorage({ name: "wrong secret", secret: "not-the-secret" });
    const no = await call(sim, "POST", `/s3-storages/${bad}/validate`);
    expect(no.status).toBe(200);
    expect(no.body.valid).toBe(false);
    expect(no.body.message).toContain("ListObjectsV2");
    expect(no.body.message).toContain("SignatureDoesNotMatch");
    expect((await call(sim, "GET", `/s3-storages/${bad}`)).body).toMatchObject({
      is_usable: false,
      unusable_email_sent: true,
    });
    const noBucket = await makeStorage({ name: "no bucket", bucket: "nope-not-here" });
    expect((await call(sim, "POST", `/s3-storages/${noBucket}/validate`)).body.message).toContain(
      "NoSuchBucket",
    );
    // A public host name cannot be reached from here: Coolify's timeout message.
    const far = await makeStorage({ name: "far away", endpoint: "https://s3.eu-central-1.amazonaws.com" });
    expect((await call(sim, "POST", `/s3-storages/${far}/validate`)).body).toEqual({
      valid: false,
      message:
        "Could not connect to the S3 endpoint within 15 seconds. Please verify the endpoint, bucket, credentials, region, and network/firewall settings.",
    });
    expect((await call(sim, "POST", "/s3-storages/nosuchstorage/validate")).status).toBe(404);
  });

  it("422 for missing fields, a bad bucket name, unknown fields (shape (a)); 400 for an empty body", async () => {
    const r = await call(sim, "POST", "/s3-storages", { name: "x", bucket: "Bad_Bucket", colour: "red" });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe("Validation failed.");
    expect(r.body.errors.endpoint).toEqual(["This field is required."]);
    expect(r.body.errors.secret).toEqual(["This field is required."]);
    expect(r.body.errors.name).toEqual(["The name field must be at least 3 characters."]);
    expect(r.body.errors.bucket[0]).toMatch(/^The bucket must be a valid S3 bucket name/);
    expect(r.body.errors.colour).toEqual(["This field is not allowed."]);
    expect((await call(sim, "POST", "/s3-storages", {})).body).toEqual({
      message: "Invalid request.",
      error: "Empty JSON.",
    });
  });

  it("PATCH changes fields without a test and without resetting is_usable; DELETE stops backups to it", async () => {
    const uuid = await makeStorage();
    await call(sim, "POST", `/s3-storages/${uuid}/validate`);
    const p = await call(sim, "PATCH", `/s3-storages/${uuid}`, { secret: "changed-and-wrong" });
    expect(p.status).toBe(200);
    expect(p.body).toEqual({ uuid });
    expect((await call(sim, "GET", `/s3-storages/${uuid}`)).body).toMatchObject({
      is_usable: true,
      secret: "changed-and-wrong",
    });
    const db = await runningDb();
    const b = await call(sim, "POST", `/databases/${db.uuid}/backups`, {
      frequency: "daily",
      save_s3: true,
      s3_storage_uuid: uuid,
    });
    expect(b.status).toBe(201);
    const d = await call(sim, "DELETE", `/s3-storages/${uuid}`);
    expect(d.body).toEqual({ message: "S3 storage deleted." });
    expect((await call(sim, "GET", `/s3-storages/${uuid}`)).status).toBe(404);
    const [config] = (await call(sim, "GET", `/databases/${db.uuid}/backups`)).body;
    expect(config).toMatchObject({ save_s3: false, s3_storage_id: null });
  });
});

describe("the endpoint must be public unless allow-listed", () => {
  let strict: Simulator;
  beforeAll(async () => {
    strict = await startSimulator({ port: 0 });
  });
  afterAll(async () => strict?.close());

  it("refuses loopback, private and localhost endpoints by default", async () => {
    for (const endpoint of [
      "http://127.0.0.1:9000",
      "http://10.1.2.3",
      "http://localhost:9000",
      "http://minio.internal",
    ]) {
      const r = await call(strict, "POST", "/s3-storages", storageBody({ endpoint }));
      expect(r.status, endpoint).toBe(422);
      expect(r.body.errors.endpoint[0]).toMatch(
        /^The endpoint points to a local or private address that is not allowed\. Configure allowed internal targets: /,
      );
    }
    expect(strict.control.responseViolations()).toEqual([]);
  });
});

describe("backup configurations", () => {
  it("save_s3 omitted is stored TRUE (the column default, not the spec's false); save_s3 true needs a storage", async () => {
    const db = await runningDb();
    const r = await call(sim, "POST", `/databases/${db.uuid}/backups`, { frequency: "0 2 * * *" });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ uuid: r.body.uuid, message: "Backup configuration created successfully." });
    const list = await call(sim, "GET", `/databases/${db.uuid}/backups`);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body[0]).toMatchObject({
      uuid: r.body.uuid,
      save_s3: true,
      s3_storage_id: null,
      enabled: true,
      frequency: "0 2 * * *",
      databases_to_backup: "eliza",
      database_type: "App\\Models\\StandalonePostgresql",
      executions: [],
    });
    expect(typeof list.body[0].id).toBe("number");
    const noStorage = await call(sim, "POST", `/databases/${db.uuid}/backups`, {
      frequency: "daily",
      save_s3: true,
    });
    expect(noStorage.status).toBe(422);
    expect(noStorage.body.errors.s3_storage_uuid).toEqual([
      "The s3_storage_uuid field is required when save_s3 is true.",
    ]);
    const badCron = await call(sim, "POST", `/databases/${db.uuid}/backups`, { frequency: "every day" });
    expect(badCron.body).toEqual({
      message: "Validation failed.",
      errors: { frequency: ["Invalid cron expression or frequency format."] },
    });
    const timeout = await call(sim, "POST", `/databases/${db.uuid}/backups`, {
      frequency: "daily",
      timeout: 10,
    });
    expect(timeout.body.errors.timeout).toEqual(["The timeout field must be at least 60."]);
    const unknown = await call(sim, "POST", `/databases/${db.uuid}/backups`, {
      frequency: "daily",
      description: "mine",
    });
    expect(unknown.body.errors.description).toEqual(["This field is not allowed."]);
    // There is no GET of one configuration: the catch-all 404.
    expect((await call(sim, "GET", `/databases/${db.uuid}/backups/${r.body.uuid}`)).body.message).toBe(
      "Not found.",
    );
  });

  it("PATCH needs s3_storage_uuid with save_s3 true; 404 texts differ between PATCH and DELETE", async () => {
    const db = await runningDb();
    const uuid = (
      await call(sim, "POST", `/databases/${db.uuid}/backups`, { frequency: "daily", save_s3: false })
    ).body.uuid;
    const p = await call(sim, "PATCH", `/databases/${db.uuid}/backups/${uuid}`, { save_s3: true });
    expect(p.status).toBe(422);
    const ok = await call(sim, "PATCH", `/databases/${db.uuid}/backups/${uuid}`, {
      frequency: "hourly",
      database_backup_retention_amount_locally: 3,
    });
    expect(ok.body).toEqual({ message: "Database backup configuration updated" });
    expect((await call(sim, "PATCH", `/databases/${db.uuid}/backups/nope`, { enabled: false })).body).toEqual(
      {
        message: "Backup config not found.",
      },
    );
    expect((await call(sim, "DELETE", `/databases/${db.uuid}/backups/nope`)).body).toEqual({
      message: "Backup configuration not found.",
    });
    expect((await call(sim, "DELETE", `/databases/${db.uuid}/backups/${uuid}`)).body).toEqual({
      message: "Backup configuration and all executions deleted.",
    });
  });
});

describe("the backup job", () => {
  async function backupNow(dbUuid: string, body: Record<string, unknown>): Promise<string> {
    const r = await call(sim, "POST", `/databases/${dbUuid}/backups`, {
      frequency: "daily",
      backup_now: true,
      ...body,
    });
    expect(r.status).toBe(201);
    return r.body.uuid;
  }
  const executions = async (db: string, b: string) =>
    (await call(sim, "GET", `/databases/${db}/backups/${b}/executions`)).body.executions;

  it("backup_now queues it: an execution running, then success with a pg_dump file, uploaded to S3 under its path", async () => {
    const storage = await makeStorage();
    const db = await runningDb();
    const b = await backupNow(db.uuid, { save_s3: true, s3_storage_uuid: storage });
    expect(await executions(db.uuid, b)).toEqual([]); // queued, not started
    sim.control.step(100);
    const [running] = await executions(db.uuid, b);
    expect(running).toMatchObject({ status: "running", size: null, message: null });
    expect(Object.keys(running).sort()).toEqual([
      "created_at",
      "filename",
      "message",
      "size",
      "status",
      "uuid",
    ]);
    expect(running.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    await runJobs();
    const [done] = await executions(db.uuid, b);
    expect(done.status).toBe("success");
    expect(done.filename).toMatch(
      new RegExp(
        `^/data/coolify/backups/databases/root-team-0/postgresql-database-${db.uuid}-${db.uuid}/pg-dump-eliza-\\d+\\.dmp$`,
      ),
    );
    expect(done.size).toBeGreaterThan(0);
    expect(sim.control.serverFile(done.filename)?.length).toBe(done.size);
    // The object in the real S3 server: the local path without its leading '/'.
    const objects = await listObjects(s3.target(BUCKET), "data/coolify/backups/databases/");
    expect(objects.map((o) => o.key)).toContain(done.filename.slice(1));
    expect((await getObject(s3.target(BUCKET), done.filename.slice(1))).length).toBe(done.size);
    const [config] = (await call(sim, "GET", `/databases/${db.uuid}/backups`)).body;
    expect(config.executions[0]).toMatchObject({
      uuid: done.uuid,
      s3_uploaded: true,
      database_name: "eliza",
    });
    expect(config.executions[0].finished_at).not.toBeNull();
  });

  it("a wrong S3 secret: the dump succeeds, the upload fails (a warning, s3_uploaded false), is_usable false", async () => {
    const storage = await makeStorage({ secret: "wrong-secret" });
    const db = await runningDb();
    const b = await backupNow(db.uuid, { save_s3: true, s3_storage_uuid: storage });
    await runJobs();
    const [done] = await executions(db.uuid, b);
    expect(done.status).toBe("success");
    expect(done.message).toMatch(/^Warning: S3 upload failed: .*SignatureDoesNotMatch/s);
    const [config] = (await call(sim, "GET", `/databases/${db.uuid}/backups`)).body;
    expect(config.executions[0].s3_uploaded).toBe(false);
    expect((await call(sim, "GET", `/s3-storages/${storage}`)).body.is_usable).toBe(false);
  });

  it("no execution at all when the database is not running (the API still said 201)", async () => {
    const stopped = await makeDb(sim, project); // never started: exited
    const b = await backupNow(stopped.uuid, { save_s3: false });
    await runJobs();
    expect(await executions(stopped.uuid, b)).toEqual([]);
  });

  it("a failing dump (simulator control): failed, with pg_dump's message, filename null, size 0", async () => {
    const db = await runningDb();
    sim.control.setBackupOutcome(db.uuid, "fail");
    const b = await backupNow(db.uuid, { save_s3: false });
    await runJobs();
    const [failed] = await executions(db.uuid, b);
    expect(failed).toMatchObject({ status: "failed", filename: null, size: 0 });
    expect(failed.message).toMatch(/^pg_dump: error: /);
  });

  it("PATCH backup_now runs it again; retention keeps the newest N locally", async () => {
    const db = await runningDb();
    const b = await backupNow(db.uuid, { save_s3: false, database_backup_retention_amount_locally: 2 });
    await runJobs();
    for (let i = 0; i < 2; i++) {
      sim.control.step(1000); // a new second, a new file name
      await call(sim, "PATCH", `/databases/${db.uuid}/backups/${b}`, { backup_now: true });
      await runJobs();
    }
    const list = await executions(db.uuid, b);
    // Three ran; the oldest's local file was removed and, with no S3 copy, its row too.
    expect(list).toHaveLength(2);
    expect(list.every((e: { status: string }) => e.status === "success")).toBe(true);
    sim.control.runScheduledBackups();
    sim.control.step(1000);
    await runJobs();
    expect(await executions(db.uuid, b)).toHaveLength(2);
  });

  it("DELETE of an execution removes its file (and its S3 object with delete_s3); GET /databases shows backup_configs", async () => {
    const storage = await makeStorage();
    const db = await runningDb();
    const b = await backupNow(db.uuid, { save_s3: true, s3_storage_uuid: storage });
    await runJobs();
    const [done] = await executions(db.uuid, b);
    const listed = await call(sim, "GET", "/databases");
    const mine = listed.body.find((d: { uuid: string }) => d.uuid === db.uuid);
    expect(
      mine.backup_configs.map((c: { uuid: string; latest_log: { uuid: string } }) => [
        c.uuid,
        c.latest_log.uuid,
      ]),
    ).toEqual([[b, done.uuid]]);
    expect((await call(sim, "DELETE", `/databases/${db.uuid}/backups/${b}/executions/nope`)).body).toEqual({
      message: "Backup execution not found.",
    });
    const d = await call(
      sim,
      "DELETE",
      `/databases/${db.uuid}/backups/${b}/executions/${done.uuid}?delete_s3=true`,
    );
    expect(d.body).toEqual({ message: "Backup execution deleted." });
    expect(sim.control.serverFile(done.filename)).toBeUndefined();
    expect((await listObjects(s3.target(BUCKET))).map((o) => o.key)).not.toContain(done.filename.slice(1));
    expect(await executions(db.uuid, b)).toEqual([]);
  });

  it("deleting the database deletes its backup configurations", async () => {
    const db = await runningDb();
    await backupNow(db.uuid, { save_s3: false });
    await runJobs();
    await call(sim, "DELETE", `/databases/${db.uuid}`);
    sim.control.step(1000);
    expect(sim.control.state().backups).toEqual([]);
    expect(sim.control.state().executions).toEqual([]);
  });
});

describe("Coolify 4.6: DELETE of storages and backups needs the delete ability", () => {
  let v46: Simulator;
  beforeAll(async () => {
    v46 = await startSimulator({ port: 0, version: "4.6.0", trustedInternalHosts: ["127.0.0.1"] });
  });
  afterAll(async () => v46?.close());

  it("403 with write only; 200 with delete", async () => {
    const r = await call(v46, "POST", "/s3-storages", storageBody());
    const writer = v46.control.createToken({ abilities: ["read", "write"] });
    const denied = await call(v46, "DELETE", `/s3-storages/${r.body.uuid}`, undefined, { token: writer });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("Missing required permissions: delete");
    const deleter = v46.control.createToken({ abilities: ["read", "write", "delete"] });
    expect(
      (await call(v46, "DELETE", `/s3-storages/${r.body.uuid}`, undefined, { token: deleter })).status,
    ).toBe(200);
    expect(v46.control.responseViolations()).toEqual([]);
  });
});
