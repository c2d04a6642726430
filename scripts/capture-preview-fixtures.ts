// Captures real `pulumi preview --json` output of the dev stack on the simulator, for the tests
// of scripts/preview-summary.ts: a first deploy (all creates), and a change after `up` (an
// update and a replacement). Run: npx tsx scripts/capture-preview-fixtures.ts
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_MODEL_KEY, openLocalStack, repoRoot } from "./demo/local-stack";

async function main(): Promise<void> {
  const local = await openLocalStack({ stackName: "dev" });
  const previewJson = (): string =>
    execFileSync(
      join(repoRoot, ".tools/bin/pulumi"),
      ["preview", "--json", "--stack", "dev", "--non-interactive"],
      {
        cwd: local.workDir,
        env: { ...process.env, ...local.stack.workspace.envVars },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  const save = (name: string, text: string) => {
    // A fixture is public: it must not hold the demo's secret values.
    for (const secret of [DEMO_MODEL_KEY, local.sim.rootToken]) {
      if (text.includes(secret)) throw new Error(`${name} would contain a secret value`);
    }
    writeFileSync(
      join(repoRoot, "test/fixtures/preview", name),
      `${JSON.stringify(JSON.parse(text), null, 2)}\n`,
    );
    console.log(`wrote test/fixtures/preview/${name}`);
  };
  try {
    save("real-first-deploy-dev.json", previewJson());
    await local.stack.up({ onOutput: local.onOutput });
    // An update (memory of the agent's container) and a replacement (another image source kind).
    await local.stack.setConfig("eliza-coolify:agents[0].size", { value: "medium" }, true);
    await local.stack.setConfig("eliza-coolify:agents[1].source.type", { value: "git" }, true);
    await local.stack.setConfig(
      "eliza-coolify:agents[1].source.repository",
      { value: "https://github.com/acme/agent" },
      true,
    );
    await local.stack.removeConfig("eliza-coolify:agents[1].source.image", true);
    save("real-changes-dev.json", previewJson());
    await local.stack.destroy({ onOutput: local.onOutput });
  } finally {
    await local.close();
  }
}

void main();
