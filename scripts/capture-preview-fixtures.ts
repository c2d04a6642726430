// Captures real `pulumi preview --json` output of the dev stack on the simulator, for the tests
// of scripts/preview-summary.ts: a first deploy (all creates); after `up`, an env change (one
// agent's logLevel and the model key, a secret); with those undone, a database change (memory
// and image); and, with that undone, an update and a replacement. Run: npx tsx scripts/capture-preview-fixtures.ts
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { valueHash } from "../providers/coolify/src/resources/env-vars";
import { DEMO_MODEL_KEY, openLocalStack, repoRoot } from "./demo/local-stack";

/** The model key after a rotation; the simulator's agents accept any key but "invalid". */
const ROTATED_MODEL_KEY = "sk-demo-rotated-1111111111111111";
/** A newer pgvector than the default (lib/config/database.ts DEFAULT_DATABASE_IMAGE). */
const DATABASE_IMAGE_BUMP = "pgvector/pgvector:0.8.1-pg17";

async function main(): Promise<void> {
  const local = await openLocalStack({ stackName: "dev" });
  // Asynchronously: the simulator runs in this process and must answer the preview's requests.
  const previewJson = async (): Promise<string> => {
    const { stdout } = await promisify(execFile)(
      join(repoRoot, ".tools/bin/pulumi"),
      ["preview", "--json", "--stack", "dev", "--non-interactive"],
      {
        cwd: local.workDir,
        env: { ...process.env, ...local.stack.workspace.envVars },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  };
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
    save("real-first-deploy-dev.json", await previewJson());
    await local.stack.up({ onOutput: local.onOutput });
    // An env change: a plain variable (LOG_LEVEL) and a secret one (OPENAI_API_KEY).
    await local.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "trace" }, true);
    await local.stack.setConfig("eliza-coolify:openaiApiKey", { value: ROTATED_MODEL_KEY, secret: true });
    save("real-env-changes-dev.json", await previewJson());
    await local.stack.setConfig("eliza-coolify:agents[0].logLevel", { value: "debug" }, true);
    await local.stack.setConfig("eliza-coolify:openaiApiKey", { value: DEMO_MODEL_KEY, secret: true });
    // A database change (more memory, a newer pgvector image): the database is updated in place,
    // and the agents' POSTGRES_URL, an output of it, is not known until apply.
    await local.stack.setConfig("eliza-coolify:databaseMemory", { value: "1g" });
    await local.stack.setConfig("eliza-coolify:databaseImage", { value: DATABASE_IMAGE_BUMP });
    save("real-database-changes-dev.json", await previewJson());
    await local.stack.setConfig("eliza-coolify:databaseMemory", { value: "512m" });
    await local.stack.removeConfig("eliza-coolify:databaseImage");
    // An update (memory of the agent's container) and a replacement (another image source kind).
    await local.stack.setConfig("eliza-coolify:agents[0].size", { value: "medium" }, true);
    await local.stack.setConfig("eliza-coolify:agents[1].source.type", { value: "git" }, true);
    await local.stack.setConfig(
      "eliza-coolify:agents[1].source.repository",
      { value: "https://github.com/acme/agent" },
      true,
    );
    await local.stack.removeConfig("eliza-coolify:agents[1].source.image", true);
    save("real-changes-dev.json", await previewJson());
    await local.stack.destroy({ onOutput: local.onOutput });
  } finally {
    await local.close();
  }
}

void main();
