// The prod stack (Pulumi.prod.yaml) with the real pulumi CLI on the simulator: one agent behind a
// TLS domain whose certificate is checked, a chat smoke test, and a protected database that
// `pulumi destroy` refuses to drop until someone unprotects it on purpose.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, openLocalStack } from "../../scripts/demo/local-stack";

type StateResource = { type: string; urn: string; protect?: boolean; outputs?: Record<string, unknown> };

/** `pulumi <args>` in the stack's workspace, the way Automation API runs its own commands. */
async function pulumiCli(t: LocalStack, args: string[]): Promise<string> {
  const ws = t.stack.workspace;
  // PulumiCommand.run is public JavaScript but marked @internal, so it is not in the .d.ts.
  const cmd = ws.pulumiCommand as unknown as {
    run(args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string }>;
  };
  const env = { ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}), ...ws.envVars };
  return (await cmd.run([...args, "--stack", t.stack.name], ws.workDir, env)).stdout;
}

describe("the prod stack on the simulator", () => {
  let t: LocalStack;
  const resources = async () => (await t.stack.exportStack()).deployment.resources as StateResource[];
  const ofType = (list: StateResource[], type: string) =>
    list.filter((r) => r.type === `pulumi-nodejs:dynamic/coolify:${type}`);

  beforeAll(async () => {
    t = await openLocalStack({ stackName: "prod" });
  });
  afterAll(async () => t?.close());

  it("deploys one agent, proves its certificate and its chat, and protects the database", async () => {
    const up = await t.stack.up({ onOutput: t.onOutput });
    expect(up.summary.result).toBe("succeeded");

    const agents = up.outputs.agentOutputs?.value as Record<string, { url: string; smokeTestReply: string }>;
    expect(Object.keys(agents)).toEqual(["server-bod"]);
    expect(agents["server-bod"]?.url).toBe("https://bod.example.com");
    expect(agents["server-bod"]?.smokeTestReply).toMatch(/Server Bod/);
    expect(up.outputs.databaseMode?.value).toBe("full");

    const state = t.sim.control.state();
    expect(state.projects.map((p) => p.name)).toEqual(["eliza-agents"]);
    expect(state.applications.map((a) => [a.name, a.status])).toEqual([["server-bod", "running:healthy"]]);
    expect(state.databases).toHaveLength(1);
    expect(state.databases[0]?.limits_memory).toBe("2g");

    const list = await resources();
    const [check] = ofType(list, "CertificateCheck");
    expect(check?.outputs).toMatchObject({
      url: "https://bod.example.com",
      altNames: expect.arrayContaining(["bod.example.com"]),
      issuer: expect.stringContaining("eliza-coolify local CA"),
    });
    expect(Date.parse(String(check?.outputs?.validTo))).toBeGreaterThan(Date.now());
    expect(ofType(list, "AgentSmokeTest")).toHaveLength(1);
    // The smoke test and the TLS check really reached the agent by its domain.
    const agentPlane = t.sim.control.requestLog().filter((e) => e.plane === "agent");
    expect(agentPlane.some((e) => e.host?.startsWith("bod.example.com"))).toBe(true);

    expect(ofType(list, "PostgresDatabase").map((r) => r.protect)).toEqual([true]);
    expect(ofType(list, "Project").map((r) => r.protect)).toEqual([true]);
    const protectedNames = list.filter((r) => r.protect).map((r) => r.urn.replace(/.*::/, ""));
    // Production backs up by default (here to the server only: no S3 target in Pulumi.prod.yaml),
    // and the backups are kept with the database.
    expect(protectedNames.sort()).toEqual([
      "agents-db-backup",
      "agents-db-postgres",
      "project",
      "server-bod-secret-salt",
    ]);
    expect(state.backups.map((b) => [b.frequency, b.save_s3])).toEqual([["daily", false]]);
    expect(t.output.join("")).toContain("kept on the Coolify server only, and are lost with it");
  });

  it("refuses to destroy: the database and the project stay", async () => {
    const before = t.sim.control.state();
    await expect(t.stack.destroy({ onOutput: t.onOutput })).rejects.toThrow(
      /marked for protection|protected/,
    );
    const after = t.sim.control.state();
    expect(after.databases.map((d) => d.uuid)).toEqual(before.databases.map((d) => d.uuid));
    expect(after.projects.map((p) => p.uuid)).toEqual(before.projects.map((p) => p.uuid));
    const left = await resources();
    expect(ofType(left, "PostgresDatabase")).toHaveLength(1);
    // The engine deletes what it can before it reaches a protected resource, so the agent is
    // gone by then; the salt that encrypts its stored secrets must stay with the database.
    const salts = ofType(left, "RandomSecret").filter((r) => r.urn.endsWith("::server-bod-secret-salt"));
    expect(salts.map((r) => r.protect)).toEqual([true]);
  });

  it("destroys everything once unprotected on purpose, leaving Coolify empty", async () => {
    await pulumiCli(t, ["state", "unprotect", "--all", "--yes"]);
    expect((await resources()).filter((r) => r.protect)).toEqual([]);
    const destroy = await t.stack.destroy({ onOutput: t.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    const state = t.sim.control.state();
    expect([state.projects, state.applications, state.databases, state.envs]).toEqual([[], [], [], []]);
  });
});
