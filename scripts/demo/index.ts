// `npm run demo`: the whole product on the embedded default. Starts the Coolify simulator
// (with TLS for the agents' domains and its stand-in agents), then on the dev stack with a
// local state backend: preview, up, the outputs and a summary table, a second preview that
// must show no changes, and destroy. `--keep` leaves the stack and the simulator running.
// `--day2` runs the day-2 operations instead (scripts/demo/day2.ts).
import { runDay2 } from "./day2";
import { type LocalStack, openLocalStack } from "./local-stack";

function arg(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

function section(title: string): void {
  console.log(`\n=== ${title} ${"=".repeat(Math.max(0, 70 - title.length))}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}

async function main(): Promise<void> {
  if (arg("day2")) return runDay2({ verbose: arg("verbose") });
  const stackFlag = process.argv.indexOf("--stack");
  const stackName = (stackFlag >= 0 ? process.argv[stackFlag + 1] : undefined) ?? "dev";
  const verbose = arg("verbose");
  const started = Date.now();
  let local: LocalStack | undefined;
  try {
    section(`starting the Coolify simulator and the ${stackName} stack`);
    local = await openLocalStack({ stackName, echo: verbose });
    console.log(`simulator: ${local.sim.url} (agents' domains served at ${local.sim.tlsUrl})`);
    const { stack } = local;

    section("pulumi preview");
    const preview = await stack.preview({ onOutput: local.onOutput });
    console.log(`would change: ${JSON.stringify(preview.changeSummary)}`);

    section("pulumi up");
    const up = await stack.up({ onOutput: local.onOutput });
    console.log(`result: ${up.summary.result}, changes: ${JSON.stringify(up.summary.resourceChanges)}`);

    section("outputs");
    const outputs = await stack.outputs();
    for (const [k, v] of Object.entries(outputs)) {
      console.log(`${k}: ${v.secret ? "[secret]" : JSON.stringify(v.value)}`);
    }
    const agents = (outputs.agentOutputs?.value ?? {}) as Record<string, Record<string, unknown>>;
    const state = local.sim.control.state();
    const rows = [["agent", "url", "application", "status", "smoke test reply"]];
    for (const [name, a] of Object.entries(agents)) {
      const app = state.applications.find((x) => x.uuid === a.applicationUuid);
      rows.push([
        name,
        String(a.url ?? ""),
        String(a.applicationUuid ?? ""),
        String(app?.status ?? "?"),
        String(a.smokeTestReply ?? "").slice(0, 60),
      ]);
    }
    section("summary");
    console.log(table(rows));
    const apiRequests = local.sim.control.requestLog().filter((r) => r.path.startsWith("/api/v1"));
    console.log(`\nCoolify API requests so far: ${apiRequests.length}`);

    section("pulumi preview again (expect no changes)");
    const again = await stack.preview({ onOutput: local.onOutput });
    const changed = Object.entries(again.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    console.log(
      changed.length === 0 ? "no changes" : `UNEXPECTED changes: ${JSON.stringify(again.changeSummary)}`,
    );
    if (changed.length > 0) process.exitCode = 1;

    if (arg("keep")) {
      section("kept running (Ctrl-C to stop)");
      console.log(`COOLIFY_URL=${local.sim.url}\nCOOLIFY_TOKEN=${local.sim.rootToken}`);
      console.log(
        `stack state: ${local.stateDir} (passphrase in scripts/demo/local-stack.ts), program: ${local.workDir}`,
      );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    }

    section("pulumi destroy");
    const destroy = await stack.destroy({ onOutput: local.onOutput });
    console.log(
      `result: ${destroy.summary.result}, changes: ${JSON.stringify(destroy.summary.resourceChanges)}`,
    );
    const left = local.sim.control.state();
    const remaining = left.projects.length + left.applications.length + left.databases.length;
    console.log(remaining === 0 ? "Coolify is empty again" : `left behind in Coolify: ${remaining} objects`);
    if (remaining !== 0) process.exitCode = 1;
    console.log(`\ndemo finished in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (e) {
    console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
    if (local && !verbose) console.error(`\nlast CLI output:\n${local.output.slice(-40).join("")}`);
    process.exitCode = 1;
  } finally {
    await local?.close();
  }
}

void main();
