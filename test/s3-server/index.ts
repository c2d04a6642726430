// A real S3-compatible server for the backup tests: versitygw (built by scripts/setup.sh from Go
// modules, scripts/s3/build-versitygw.sh) on a loopback port, storing objects in a temp directory.
// It checks every request's SigV4 signature against its one access key and secret.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createBucket, type S3Target } from "../../lib/s3";

const BIN = resolve(__dirname, "../../.tools/bin/versitygw");

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Where the objects are: <dir>/<bucket>/<key>. */
  dir: string;
  /** The target for `bucket` with this server's credentials. */
  target(bucket: string): S3Target;
  /** Creates the bucket (an existing one is fine). */
  createBucket(bucket: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

export async function startS3Server(
  opts: { accessKey?: string; secretKey?: string; region?: string } = {},
): Promise<S3Server> {
  if (!existsSync(BIN)) {
    throw new Error(
      `No S3 server for the backup tests at ${BIN}: run \`bash scripts/setup.sh\` (it builds versitygw from Go ` +
        "modules, scripts/s3/build-versitygw.sh; Go 1.25+ is needed).",
    );
  }
  const accessKey = opts.accessKey ?? "eliza-test-access";
  const secretKey = opts.secretKey ?? "eliza-test-secret-0123456789";
  const region = opts.region ?? "us-east-1";
  const dir = mkdtempSync(join(tmpdir(), "eliza-coolify-s3-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    BIN,
    ["--port", `127.0.0.1:${port}`, "--quiet", "--region", region, "posix", dir],
    {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ROOT_ACCESS_KEY: accessKey,
        ROOT_SECRET_KEY: secretKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  child.stderr?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(endpoint, { signal: AbortSignal.timeout(1000) }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`versitygw did not start on ${endpoint}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const target = (bucket: string): S3Target => ({ endpoint, bucket, region, accessKey, secretKey });
  return {
    endpoint,
    accessKey,
    secretKey,
    region,
    dir,
    target,
    createBucket: (bucket) => createBucket(target(bucket)),
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The stack config that points a stack's backups at `bucket` on this server (the secret key a secret). */
export function backupS3Config(
  s3: S3Server,
  bucket: string,
): Record<string, { value: string; secret?: boolean }> {
  return {
    "eliza-coolify:backupS3Endpoint": { value: s3.endpoint },
    "eliza-coolify:backupS3Bucket": { value: bucket },
    "eliza-coolify:backupS3AccessKey": { value: s3.accessKey },
    "eliza-coolify:backupS3SecretKey": { value: s3.secretKey, secret: true },
  };
}
