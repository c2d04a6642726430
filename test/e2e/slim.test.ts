// The dev stack in slim database mode with the real pulumi CLI on the simulator: no database is
// created, the agents get the given URL (a secret that never reaches state or the CLI output in
// plain text), destroy leaves Coolify empty; then the same stack with bad config fails preview
// with every problem at once and without a single Coolify request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

const DB_PASSWORD = "slim-db-pw-5f8a1c93e2";
const DB_URL = `postgres://eliza:${DB_PASSWORD}@pg.shared.internal:5432/eliza_agents`;

describe("the dev stack with a slim database on the simulator", () => {
  let t: LocalStack;
  const apiRequests = () => t.sim.control.requestLog().filter((e) => e.plane !== "agent");

  async function envsOf(appUuid: string): Promise<Record<string, string>> {
    const res = await fetch(`${t.sim.apiUrl}/applications/${appUuid}/envs`, {
      headers: { authorization: `Bearer ${t.sim.rootToken}`, accept: "application/json" },
    });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { key: string; value: string; is_preview?: boolean }[];
    return Object.fromEntries(list.filter((e) => !e.is_preview).map((e) => [e.key, e.value]));
  }

  beforeAll(async () => {
    t = await openLocalStack({
      stackName: "dev",
      config: {
        "eliza-coolify:databaseMode": { value: "slim" },
        "eliza-coolify:databaseUrl": { value: DB_URL, secret: true },
      },
    });
    // Pulumi.dev.yaml sizes its managed database; in slim mode that key is a config error.
    await t.stack.removeConfig("eliza-coolify:databaseMemory");
  });
  afterAll(async () => t?.close());

  it("deploys both agents on the given database without creating one", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.databaseMode?.value).toBe("slim");
    expect(up.outputs.databaseUuid).toBeUndefined();
    // No "Undefined value (databaseUuid) will not show as a stack output" on every run.
    expect(t.output.join("")).not.toContain("Undefined value");

    const state = t.sim.control.state();
    expect(state.databases).toEqual([]);
    expect(apiRequests().filter((e) => e.path.includes("/databases"))).toEqual([]);
    expect(state.applications.map((a) => a.status)).toEqual(["running:healthy", "running:healthy"]);

    const agents = up.outputs.agentOutputs?.value as Record<string, { smokeTestReply: string }>;
    expect(agents["server-bod"]?.smokeTestReply).toMatch(/Server Bod/);
    for (const app of state.applications) {
      const envs = await envsOf(String(app.uuid));
      expect(envs.POSTGRES_URL).toBe(DB_URL);
    }
  });

  it("keeps the database URL out of state and CLI output", async () => {
    const raw = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"), "utf8");
    const output = t.output.join("");
    expect(output.length).toBeGreaterThan(1000);
    for (const secret of [DB_URL, DB_PASSWORD]) {
      expect(raw).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
    expect(raw).toContain("ciphertext");
  });

  it("destroys everything and leaves Coolify empty", async () => {
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect([state.projects, state.applications, state.databases, state.envs]).toEqual([[], [], [], []]);
  });

  it("with bad config, fails preview naming every problem and sends Coolify nothing", async () => {
    await t.stack.setConfig(
      "eliza-coolify:agents[0].source.image",
      { value: "ghcr.io/eliza-coolify/eliza-agent" },
      true,
    );
    await t.stack.setConfig("eliza-coolify:agents[1].size", { value: "huge" }, true);
    await t.stack.removeConfig("eliza-coolify:openaiApiKey");
    await t.stack.removeConfig("eliza-coolify:databaseUrl");
    t.sim.control.clearRequestLog();

    const error = await t.stack.preview({ onOutput: t.onOutput }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = String(error?.message);
    expect(message).toContain('Stack "dev" has an invalid configuration (4 problems)');
    expect(message).toMatch(/eliza-coolify:agents\[0\]\.source\.image: .*is not pinned/);
    expect(message).toMatch(/eliza-coolify:agents\[1\]\.size: /);
    expect(message).toMatch(/eliza-coolify:databaseUrl: is required when databaseMode is slim/);
    expect(message).toMatch(
      /eliza-coolify:openaiApiKey: is required because agents\[0\], agents\[1\] use modelProvider openai/,
    );
    expect(t.sim.control.requestLog()).toEqual([]);
    expect(t.sim.control.state().projects).toEqual([]);
  });
});
