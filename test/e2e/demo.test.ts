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
