// The deploy workflow and the README's Drift paragraph say the same thing: every deploy on main
// reads Coolify first (`pulumi up --refresh`), so hand edits are put back on the next deploy; and
// it runs enough steps at once to keep a fleet's build queue busy.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";

const root = resolve(__dirname, "../..");

describe("the deploy workflow", () => {
  it("refreshes before every up, as the README says", () => {
    const workflow = YAML.parse(readFileSync(join(root, ".github/workflows/deploy.yml"), "utf8")) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const ups = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.flatMap((step) => (step.run ?? "").split("\n").filter((l) => /^\s*pulumi up\b/.test(l))),
    );
    expect(ups.length).toBe(2); // dev, then prod
    for (const line of ups) expect(line).toMatch(/\s--refresh(\s|$)/);
    // The CLI's default is 4 per CPU core: 8 on a 2-core runner keeps Coolify's build queue idle
    // (bench/RESULTS.md, section 4: 1.71 times the bound at 8, 1.17 at 16 and 32).
    for (const line of ups) expect(Number(line.match(/\s--parallel (\d+)/)?.[1])).toBeGreaterThanOrEqual(16);
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).toContain(
      "The deploy workflow (`.github/workflows/deploy.yml`) runs `pulumi up --refresh`",
    );
  });
});
