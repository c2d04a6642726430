// `npm run demo` is the README's first command: run it as a user would (its script, in its own
// process) and check what it promises: up, a no-change second preview, and an empty Coolify.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./harness";

describe("npm run demo", () => {
  it("deploys the dev stack on the simulator, shows no changes on a second preview, and cleans up", async () => {
    const { stdout } = await promisify(execFile)(
      join(repoRoot, "node_modules/.bin/tsx"),
      [join(repoRoot, "scripts/demo/index.ts")],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 480_000 },
    );
    expect(stdout).toMatch(/=== pulumi up =+\nresult: succeeded/);
    expect(stdout).toMatch(
      /server-bod\s+https:\/\/bod\.staging\.example\.com\s+\S+\s+running:healthy\s+pong: Server Bod/,
    );
    expect(stdout).toMatch(/expect no changes\) =+\nno changes/);
    expect(stdout).toContain("Coolify is empty again");
    expect(stdout).toContain("agentApiTokens: [secret]");
  });
});

describe("npm run demo -- --day2", () => {
  it("runs a backup, a restore, a stop and a start, a rolled-back deployment and keeps the storage, one line each", async () => {
    const { stdout } = await promisify(execFile)(
      join(repoRoot, "node_modules/.bin/tsx"),
      [join(repoRoot, "scripts/demo/index.ts"), "--day2"],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
    );
    const lines = stdout.split("\n");
    const first = (word: string) => lines.find((l) => l.startsWith(`${word}: `));
    expect(first("backup")).toMatch(
      /before the database change, then the restart: execution \w+, \d+ bytes of pg_dump in s3:\/\//,
    );
    expect(first("restore")).toMatch(/the lost row is back/);
    expect(lines.filter((l) => l.startsWith("  restore: "))).toContain("  restore: database private again");
    expect(first("stopped")).toMatch(/server-bod is exited \(\d+ API requests, 0 deployments\)/);
    expect(first("started")).toMatch(/server-bod is running:healthy .* answers: "pong: Server Bod/);
    expect(first("rolled back")).toMatch(
      /eliza-agent:0\.9\.0-broken failed; up put server-bod back on \S+:0\.1\.0/,
    );
    expect(lines.filter((l) => l.startsWith("storage: "))).toHaveLength(2);
    expect(stdout).toContain("destroyed: Coolify is empty again");
  });
});
