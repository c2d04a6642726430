// Runs real Pulumi programs through Automation API: a local program directory, a file://
// backend and a PULUMI_HOME in a temp dir, and a passphrase secrets provider. The CLI, the
// language host and the dynamic-provider plugin come from scripts/setup.sh (.tools/).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";

export const repoRoot = resolve(__dirname, "../..");
const toolsRoot = join(repoRoot, ".tools");

export const PASSPHRASE = "eliza-coolify-test-passphrase";

export interface TestStack {
  stack: Stack;
  stateDir: string;
  /** Everything the CLI printed during this test, to assert nothing secret leaks. */
  output: string[];
  onOutput: (line: string) => void;
  cleanup(): Promise<void>;
}

export async function pulumiCommand(): Promise<PulumiCommand> {
  try {
    return await PulumiCommand.get({ root: toolsRoot });
  } catch (err) {
    throw new Error(`no usable pulumi CLI in ${toolsRoot}/bin: run \`bash scripts/setup.sh\` first (${err})`);
  }
}

export async function createTestStack(opts: {
  workDir: string;
  stackName?: string;
  config?: Record<string, { value: string; secret?: boolean }>;
  env?: Record<string, string>;
}): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), "eliza-coolify-state-"));
  const home = join(stateDir, "home");
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: home,
    ...opts.env,
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName ?? "test", workDir: opts.workDir },
    { envVars, pulumiHome: home, pulumiCommand: await pulumiCommand() },
  );
  if (opts.config) await stack.setAllConfig(opts.config);
  const output: string[] = [];
  return {
    stack,
    stateDir,
    output,
    onOutput: (line) => output.push(line),
    async cleanup() {
      try {
        await stack.workspace.removeStack(stack.name, { force: true });
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}
