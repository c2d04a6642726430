// What the restore needs from a Pulumi stack: its outputs (the database and the agents), its
// config (the S3 target, how to reach the agents, Coolify's URL and token) and, from its state,
// the database's credentials. Read through Automation API with the project's pulumi CLI.
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import type { S3Target } from "../../lib/s3";

export const repoRoot = resolve(__dirname, "../..");

export interface StackFacts {
  stack: string;
  coolify: { url?: string; token?: string };
  databaseUuid: string;
  backupUuid?: string;
  database: { user: string; name: string; password: string };
  agents: { name: string; applicationUuid: string; url: string; apiToken?: string }[];
  s3?: S3Target;
  network: { connectTo?: string; caCertificate?: string };
}

export async function readStack(stackName: string, workDir = repoRoot): Promise<StackFacts> {
  const stack = await LocalWorkspace.selectStack(
    { stackName, workDir },
    { pulumiCommand: await PulumiCommand.get({ root: join(repoRoot, ".tools") }) },
  );
  // Secrets come back decrypted here (outputs, config and export all show them to this process).
  const [outputs, config, state] = await Promise.all([
    stack.outputs(),
    stack.getAllConfig(),
    stack.exportStack(),
  ]);
  const out = (k: string) => outputs[k]?.value as unknown;
  const cfg = (k: string) => {
    const v = config[k]?.value;
    return v === undefined || v === "" ? undefined : v;
  };
  const databaseUuid = out("databaseUuid");
  if (typeof databaseUuid !== "string") {
    throw new Error(
      `Stack "${stackName}" has no databaseUuid output: it has no Coolify database (databaseMode slim, or never deployed). ` +
        "A slim stack's database is restored where it lives, with pg_restore.",
    );
  }
  const resources = (state.deployment?.resources ?? []) as {
    type: string;
    outputs?: Record<string, unknown>;
  }[];
  const db = resources.find(
    (r) => r.type === "pulumi-nodejs:dynamic/coolify:PostgresDatabase" && r.outputs?.uuid === databaseUuid,
  )?.outputs;
  const password = revealed(db?.password);
  if (!db || typeof password !== "string") {
    throw new Error(
      `Stack "${stackName}" has no state for database ${databaseUuid}: run \`pulumi refresh\` first.`,
    );
  }
  const agentOutputs = (out("agentOutputs") ?? {}) as Record<
    string,
    { applicationUuid: string; url: string }
  >;
  const tokens = (out("agentApiTokens") ?? {}) as Record<string, string>;
  const endpoint = cfg("eliza-coolify:backupS3Endpoint");
  const bucket = cfg("eliza-coolify:backupS3Bucket");
  const accessKey = cfg("eliza-coolify:backupS3AccessKey");
  const secretKey = cfg("eliza-coolify:backupS3SecretKey");
  return {
    stack: stackName,
    coolify: { url: cfg("coolify:url"), token: cfg("coolify:token") },
    databaseUuid,
    backupUuid:
      typeof out("databaseBackupUuid") === "string" ? (out("databaseBackupUuid") as string) : undefined,
    database: {
      user: String(db.user ?? "eliza"),
      name: String(db.database ?? "eliza"),
      password,
    },
    agents: Object.entries(agentOutputs).map(([name, a]) => ({
      name,
      applicationUuid: a.applicationUuid,
      url: a.url,
      apiToken: tokens[name],
    })),
    s3:
      endpoint && bucket && accessKey && secretKey
        ? {
            endpoint,
            bucket,
            region: cfg("eliza-coolify:backupS3Region") ?? "us-east-1",
            accessKey,
            secretKey,
          }
        : undefined,
    network: {
      connectTo: cfg("eliza-coolify:connectTo"),
      caCertificate: cfg("eliza-coolify:caCertificate"),
    },
  };
}

/** A secret in an export made with --show-secrets: {<sig>: ..., plaintext: "<JSON>"}. */
function revealed(v: unknown): unknown {
  if (v && typeof v === "object" && typeof (v as { plaintext?: unknown }).plaintext === "string")
    return JSON.parse((v as { plaintext: string }).plaintext);
  return v;
}
