// The backups section of the stack config (lib/config/backups.ts): production backs up by
// default, S3 needs every key and a secret secret key, and every problem names its key.
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type RawStackConfig, StackConfigError } from "../../lib/config";

const root = path.resolve(__dirname, "../..");
const agents = [
  {
    name: "server-bod",
    characterFile: "characters/server-bod.character.json",
    source: { type: "image", image: "ghcr.io/acme/eliza-agent:1.7.2" },
  },
];
const S3 = {
  backupS3Endpoint: "https://s3.eu-central-1.amazonaws.com",
  backupS3Bucket: "acme-agent-backups",
  backupS3AccessKey: "AKIAEXAMPLE",
  backupS3SecretKey: "s3-secret-value",
};

function raw(
  values: Record<string, unknown>,
  secretKeys = ["openaiApiKey", "backupS3SecretKey"],
): RawStackConfig {
  return { values: { openaiApiKey: "sk-test", agents, ...values }, secretKeys };
}
const parse = (values: Record<string, unknown>, stack = "prod", secretKeys?: string[]) =>
  parseStackConfig(raw(values, secretKeys), { stack, baseDir: root });
function problems(values: Record<string, unknown>, stack = "prod", secretKeys?: string[]): string {
  try {
    parse(values, stack, secretKeys);
  } catch (e) {
    expect(e).toBeInstanceOf(StackConfigError);
    return (e as Error).message;
  }
  throw new Error("expected problems");
}

describe("backups config", () => {
  it("production backs up daily by default, on the server only, and says that is lost with it", () => {
    const c = parse({});
    expect(c.backups).toEqual({
      enabled: true,
      schedule: "daily",
      retention: { local: 7, s3: 30 },
      beforeChange: true,
    });
    expect(c.warnings.join("\n")).toMatch(
      /eliza-coolify:backups: the database's backups are kept on the Coolify server only, and are lost with it/,
    );
  });

  it("staging has none unless asked; asked, with an S3 target whose secret is a Pulumi secret", async () => {
    expect(parse({}, "dev").backups).toEqual({ enabled: false });
    const c = parse({ backups: "true", backupSchedule: "0 3 * * *", backupRetention: "3", ...S3 }, "dev");
    if (!c.backups.enabled) throw new Error("expected backups on");
    expect(c.backups.schedule).toBe("0 3 * * *");
    expect(c.backups.retention).toEqual({ local: 3, s3: 30 });
    expect(c.backups.s3).toMatchObject({
      endpoint: S3.backupS3Endpoint,
      bucket: S3.backupS3Bucket,
      region: "us-east-1",
    });
    const secret = c.backups.s3?.secretKey as pulumi.Output<string> & { isSecret: Promise<boolean> };
    expect(await secret.isSecret).toBe(true);
    expect(c.warnings.join("\n")).not.toContain("lost with it");
  });

  it("reports every problem at once, each naming its key and the fix", () => {
    const msg = problems(
      {
        backupSchedule: "every day",
        backupRetention: "-1",
        backupS3Endpoint: "s3.example.com/bucket",
        backupS3Bucket: "Bad_Bucket",
        backupS3SecretKey: "plain",
      },
      "prod",
      ["openaiApiKey"],
    );
    expect(msg).toContain('eliza-coolify:backupSchedule: "every day" is not a schedule Coolify accepts');
    expect(msg).toContain("eliza-coolify:backupRetention: must be a whole number of backups");
    expect(msg).toContain("eliza-coolify:backupS3Endpoint: must be the http(s) URL of the S3 service");
    expect(msg).toContain("eliza-coolify:backupS3Bucket: must be an S3 bucket name");
    expect(msg).toContain("eliza-coolify:backupS3AccessKey: is required for backups to S3");
    expect(msg).toContain("eliza-coolify:backupS3SecretKey: is stored in plain text");
  });

  it("an S3 target with backups off, or backups on a slim database, is a mistake", () => {
    expect(problems({ backups: "false", ...S3 })).toContain(
      "eliza-coolify:backups: is off, yet an S3 target is configured",
    );
    expect(
      problems({ backups: "true", databaseMode: "slim", databaseUrl: "postgres://u:p@h/db" }, "prod", [
        "openaiApiKey",
        "databaseUrl",
      ]),
    ).toContain("eliza-coolify:backups: needs databaseMode full");
    // Slim production without the key: no backups of Coolify's, and no complaint.
    const slim = parseStackConfig(
      {
        values: { openaiApiKey: "k", agents, databaseMode: "slim", databaseUrl: "postgres://u:p@h/db" },
        secretKeys: ["openaiApiKey", "databaseUrl"],
      },
      { stack: "prod", baseDir: root },
    );
    expect(slim.backups).toEqual({ enabled: false });
  });

  it("a typo in a backup key gets a hint", () => {
    expect(problems({ backupSchedul: "daily" })).toContain("did you mean eliza-coolify:backupSchedule?");
  });
});
