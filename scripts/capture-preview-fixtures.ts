// Captures real `pulumi preview --json` output of the dev stack on the simulator, for the tests
// of scripts/preview-summary.ts: a first deploy (all creates); after `up`, an env change (one
// agent's logLevel and the model key, a secret); and, with those undone, an update and a
// replacement. Run: npx tsx scripts/capture-preview-fixtures.ts
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { valueHash } from "../providers/coolify/src/resources/env-vars";
import { DEMO_MODEL_KEY, openLocalStack, repoRoot } from "./demo/local-stack";

/** The model key after a rotation; the simulator's agents accept any key but "invalid". */
const ROTATED_MODEL_KEY = "sk-demo-rotated-1111111111111111";

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
    // Nor anything derived from them: the keyed hashes EnvVars keeps in state.
    const keys = [DEMO_MODEL_KEY, ROTATED_MODEL_KEY];
    for (const secret of [...keys, ...keys.map((k) => valueHash("OPENAI_API_KEY", k)), local.sim.rootToken]) {
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
    // An env change: a plain variable (LOG_LEVEL) and a secret one (OPENAI_API_KEY).
    await local.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "trace" }, true);
    await local.stack.setConfig("eliza-coolify:openaiApiKey", { value: ROTATED_MODEL_KEY, secret: true });
    save("real-env-changes-dev.json", previewJson());
    await local.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "debug" }, true);
    await local.stack.setConfig("eliza-coolify:openaiApiKey", { value: DEMO_MODEL_KEY, secret: true });
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
