// State for a team: the dev stack with its state in Pulumi's PostgreSQL DIY backend on a real
// PostgreSQL (agent/scripts/postgres.mjs). Two `pulumi up` on the same stack at once: the one
// holding the stack's lock goes on, the other is refused with Pulumi's lock message and changes
// nothing; a lock left by a killed CLI is cleared with `pulumi cancel`; the state stays whole
// (no-change preview, refresh without drift, destroy leaves the simulator empty). The password
// is given as PGPASSWORD, never in the backend URL, and never shows in the CLI's output.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Postgres, startPostgres } from "../../agent/scripts/postgres.mjs";
import { type LocalStack, openLocalStack, repoRoot } from "../../scripts/demo/local-stack";

const TABLE = "eliza_pulumi_state";
// The backend keeps each file under the URL's path (the database name) in the table's key column.
const ROOT = "postgres/.pulumi/";

describe("state on a shared PostgreSQL backend", () => {
  let pg: Postgres;
  let t: LocalStack;
  const noChanges = (summary: Record<string, number | undefined>) =>
    Object.entries(summary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
  const keys = async (prefix: string) =>
    (
      await pg.query<{ key: string }>(`select key from ${TABLE} where key like '${prefix}%' order by key`)
    ).map((r) => r.key);
  const locks = () => keys(`${ROOT}locks/`);
  async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const firstLock = () => until("the stack's lock", async () => (await locks())[0]);

  beforeAll(async () => {
    pg = await startPostgres();
    t = await openLocalStack({
      stackName: "dev",
      backendUrl: `postgres://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable&table=${TABLE}`,
      env: { PGPASSWORD: pg.password },
    });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.close();
  });

  it("keeps the stack in PostgreSQL", async () => {
    expect(await keys(ROOT)).toContain(`${ROOT}stacks/eliza-coolify/dev.json`);
  });

  it("lets one of two `pulumi up` at once take the lock and refuses the other with a clear message", async () => {
    const first = t.stack.up({ onOutput: t.onOutput });
    const lock = await firstLock();
    expect(lock).toMatch(/^postgres\/\.pulumi\/locks\/.*eliza-coolify\/dev\/[^/]+\.json$/);
    const second = t.stack.up({ onOutput: t.onOutput }).then(
      () => "succeeded",
      (e: unknown) => String(e),
    );
    const refused = await second;
    expect(refused).toMatch(/^ConcurrentUpdateError/); // how Automation API reports it
    expect(refused).toContain(
      "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete " +
        "the lock file with `pulumi cancel`.",
    );
    // Who holds it, with the credentials of the backend URL masked.
    expect(refused).toMatch(
      /postgres:\/\/\*\*\*\*:\*\*\*\*@127\.0\.0\.1:\d+\/postgres\/\.pulumi\/locks\/.*created by/,
    );
    expect(refused).not.toContain(pg.password);
    const up = await first;
    expect(up.summary.result).toBe("succeeded");
    expect(await locks()).toEqual([]);
    const state = t.sim.control.state();
    expect(state.projects).toHaveLength(1);
    expect(state.applications.map((a) => a.status)).toEqual(["running:healthy", "running:healthy"]);
  });

  it("keeps the state whole: a no-change preview and a refresh without drift", async () => {
    const exported = await t.stack.exportStack();
    const resources = (exported.deployment as { resources?: { type: string }[] }).resources ?? [];
    expect(resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).length).toBeGreaterThan(10);
    const preview = await t.stack.preview({ onOutput: t.onOutput });
    expect(noChanges(preview.changeSummary)).toEqual([]);
    const refresh = await t.stack.refresh({ onOutput: t.onOutput });
    expect(noChanges(refresh.summary.resourceChanges ?? {})).toEqual([]);
  });

  it("clears a lock left by a killed CLI with `pulumi cancel`", async () => {
    // A `pulumi up` with nothing to change, killed (-9) once it holds the lock: the lock stays.
    const cli = spawn(
      join(repoRoot, ".tools/bin/pulumi"),
      ["up", "--yes", "--stack", "dev", "--non-interactive"],
      {
        cwd: t.workDir,
        env: { ...process.env, ...t.stack.workspace.envVars },
        stdio: "ignore",
      },
    );
    const exited = new Promise((r) => cli.once("exit", r));
    const stale = await firstLock();
    cli.kill("SIGKILL");
    await exited;
    expect(await locks()).toEqual([stale]);
    await expect(t.stack.preview({ onOutput: t.onOutput })).resolves.toBeDefined(); // a preview takes no lock
    await expect(t.stack.up({ onOutput: t.onOutput })).rejects.toThrow(/currently locked by 1 lock\(s\)/);
    await t.stack.cancel();
    expect(await locks()).toEqual([]);
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(noChanges(up.summary.resourceChanges ?? {})).toEqual([]);
  });

  it("destroys everything, leaving the simulator empty and no lock behind", async () => {
    const d = await t.stack.destroy({ onOutput: t.onOutput });
    expect(d.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect([state.projects, state.applications, state.databases]).toEqual([[], [], []]);
    expect(await locks()).toEqual([]);
    expect(t.output.join("")).not.toContain(pg.password);
  });
});
