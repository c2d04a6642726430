// The S3 storage and database backup endpoints of the client, against a scripted server that
// answers with the shapes Coolify 4.3.11 really sends (S3StoragesController, DatabasesController).
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CoolifyClient, closeAgents } from "./client";
import { TokenBucket } from "./rate-limiter";
import {
  FakeClock,
  failure,
  type LoggedRequest,
  type ScriptedReply,
  type ScriptedServer,
  startScriptedServer,
  uniqueToken,
} from "./test-helpers";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => closeAgents());

async function client(handler: (req: LoggedRequest, i: number) => ScriptedReply) {
  const s = await startScriptedServer(handler);
  servers.push(s);
  const clock = new FakeClock();
  const c = new CoolifyClient({
    baseUrl: s.url,
    token: uniqueToken(),
    clock,
    retryBaseDelayMs: 10,
    random: () => 0.5,
    rateLimiter: new TokenBucket(10_000, clock),
  });
  return { c, log: s.log };
}

const sent = (r: LoggedRequest) => `${r.method} ${r.url}${r.body ? ` ${r.body}` : ""}`;

describe("S3 storages", () => {
  it("create, validate (valid or not, both 200), update only what is given, delete", async () => {
    const { c, log } = await client((req) => {
      if (req.method === "POST" && req.url.endsWith("/validate"))
        return { status: 200, body: { valid: false, message: "Access Denied" } };
      if (req.method === "POST") return { status: 201, body: { uuid: "s3uuid" } };
      if (req.method === "PATCH") return { status: 200, body: { uuid: "s3uuid" } };
      return { status: 200, body: { message: "S3 storage deleted." } };
    });
    expect(
      await c.createS3Storage({
        name: "b",
        endpoint: "https://s3.example.com",
        bucket: "bk",
        region: "us-east-1",
        key: "k",
        secret: "s",
        description: undefined,
      }),
    ).toEqual({ uuid: "s3uuid" });
    expect(await c.validateS3Storage("s3uuid")).toEqual({ valid: false, message: "Access Denied" });
    await c.updateS3Storage("s3uuid", { secret: "s2", name: undefined });
    await c.updateS3Storage("s3uuid", {}); // nothing to send: no request (Coolify answers 400 to {})
    await c.deleteS3Storage("s3uuid");
    expect(log.map(sent)).toEqual([
      'POST /api/v1/s3-storages {"name":"b","endpoint":"https://s3.example.com","bucket":"bk","region":"us-east-1","key":"k","secret":"s"}',
      "POST /api/v1/s3-storages/s3uuid/validate",
      'PATCH /api/v1/s3-storages/s3uuid {"secret":"s2"}',
      "DELETE /api/v1/s3-storages/s3uuid",
    ]);
  });

  it("reads a storage without key and secret (no sensitive token); 404 is not_found", async () => {
    const { c } = await client((req) =>
      req.url.endsWith("/gone")
        ? { status: 404, body: { message: "S3 storage not found." } }
        : {
            status: 200,
            body: {
              uuid: "s3uuid",
              name: "b",
              description: null,
              bucket: "bk",
              endpoint: "https://s3.example.com",
              is_usable: true,
              region: "us-east-1",
              team_id: 0,
              unusable_email_sent: false,
            },
          },
    );
    const s3 = await c.getS3Storage("s3uuid");
    expect(s3).toMatchObject({ uuid: "s3uuid", is_usable: true, description: null });
    expect(s3.secret).toBeUndefined();
    expect((await failure(c.getS3Storage("gone"))).code).toBe("not_found");
  });
});

describe("database backups", () => {
  const rawList = [
    {
      id: 3,
      description: null,
      uuid: "bk1",
      enabled: true,
      save_s3: true,
      frequency: "daily",
      database_backup_retention_amount_locally: 7,
      database_type: "App\\Models\\StandalonePostgresql",
      database_id: 7,
      s3_storage_id: 2,
      team_id: 0,
      database_backup_retention_days_locally: 0,
      database_backup_retention_amount_s3: 30,
      database_backup_retention_days_s3: 0,
      timeout: 3600,
      executions: [
        {
          id: 9,
          uuid: "ex2",
          status: "running",
          message: null,
          size: null,
          filename: "/data/coolify/backups/databases/root-team-0/db-x/pg-dump-eliza-2.dmp",
          s3_uploaded: null,
        },
        {
          id: 8,
          uuid: "ex1",
          status: "failed",
          message: "pg_dump: error",
          size: 0,
          filename: null,
          s3_uploaded: null,
        },
      ],
    },
  ];

  it("create always carries save_s3; the list is a raw array with executions (null size and filename accepted)", async () => {
    const { c, log } = await client((req) => {
      if (req.method === "POST")
        return { status: 201, body: { uuid: "bk1", message: "Backup configuration created successfully." } };
      if (req.url.endsWith("/executions"))
        return {
          status: 200,
          body: {
            executions: [
              {
                uuid: "ex2",
                filename: null,
                size: null,
                created_at: "2026-08-22T10:00:00+00:00",
                message: null,
                status: "running",
              },
            ],
          },
        };
      if (req.method === "PATCH")
        return { status: 200, body: { message: "Database backup configuration updated" } };
      if (req.method === "DELETE")
        return { status: 200, body: { message: "Backup configuration and all executions deleted." } };
      return { status: 200, body: rawList };
    });
    expect(
      await c.createDatabaseBackup("db7", { frequency: "daily", save_s3: false, s3_storage_uuid: undefined }),
    ).toEqual({
      uuid: "bk1",
    });
    const list = await c.listDatabaseBackups("db7");
    expect(list[0]?.executions?.map((e) => [e.uuid, e.status, e.size, e.filename])).toEqual([
      ["ex2", "running", null, "/data/coolify/backups/databases/root-team-0/db-x/pg-dump-eliza-2.dmp"],
      ["ex1", "failed", 0, null],
    ]);
    expect(await c.listBackupExecutions("db7", "bk1")).toEqual([
      {
        uuid: "ex2",
        filename: null,
        size: null,
        created_at: "2026-08-22T10:00:00+00:00",
        message: null,
        status: "running",
      },
    ]);
    await c.updateDatabaseBackup("db7", "bk1", { backup_now: true });
    await c.deleteDatabaseBackup("db7", "bk1");
    expect(log.map(sent)).toEqual([
      'POST /api/v1/databases/db7/backups {"frequency":"daily","save_s3":false}',
      "GET /api/v1/databases/db7/backups",
      "GET /api/v1/databases/db7/backups/bk1/executions",
      'PATCH /api/v1/databases/db7/backups/bk1 {"backup_now":true}',
      "DELETE /api/v1/databases/db7/backups/bk1",
    ]);
  });

  it("a 422 names the field; a wrong-shaped list is a bad_response", async () => {
    const { c } = await client((req) =>
      req.method === "POST"
        ? {
            status: 422,
            body: {
              message: "Validation failed.",
              errors: { s3_storage_uuid: ["The s3_storage_uuid field is required when save_s3 is true."] },
            },
          }
        : { status: 200, body: "not a list" },
    );
    const e = await failure(c.createDatabaseBackup("db7", { frequency: "daily", save_s3: true }));
    expect(e.code).toBe("validation");
    expect(e.message).toContain("s3_storage_uuid");
    expect((await failure(c.listDatabaseBackups("db7"))).code).toBe("bad_response");
  });
});
