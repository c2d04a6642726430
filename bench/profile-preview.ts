// Where a no-change preview of a fleet spends its time: runs the fleet's stack (fleet-cli.ts) up
// on a fast simulator (no rate limit to speak of, short phases: the up is only the setup here), then one
// `pulumi preview` with every Node process of it writing a V8 CPU profile (NODE_OPTIONS
// --cpu-prof), and prints the functions with the most self time in the program and in the
// provider process, grouped by package.
//
//   npx tsx bench/profile-preview.ts [--agents 100] [--top 25]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { openLocalStack } from "../scripts/demo/local-stack";
import { fleetStackFile } from "./fleet-cli";
import { ProcessTreeSampler, ROLES } from "./proc-sampler";
import { table } from "./report";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** "node_modules/@pulumi/pulumi/runtime/..." -> "@pulumi/pulumi"; our files by their folder. */
function packageOf(url: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  if (url.includes("/providers/coolify/")) return "ours: providers/coolify";
  if (url.includes("/dist/")) return "ours: program";
  if (url.startsWith("node:") || url === "") return "node / V8";
  return url;
}

export function summarize(
  p: CpuProfile,
  top: number,
): { total: number; byPackage: string; functions: string } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pkgs = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const pkg = packageOf(f.url);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
    const file = f.url.replace(/^.*node_modules\//, "").replace(/^.*\/(dist|src)\//, "$1/");
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, (us / 1000).toFixed(0), pct(us)]);
  return {
    total: total / 1000,
    byPackage: table(["Package", "self ms", "share"], rows(pkgs)),
    functions: table(["Function", "self ms", "share"], rows(fns)),
  };
}

async function main(): Promise<void> {
  const agents = Number(arg("agents", "100"));
  const top = Number(arg("top", "25"));
  const t = await openLocalStack({
    stackName: "fleet",
    stackFile: fleetStackFile(agents),
    simulator: { deploymentPhaseMs: 20, deleteDelayMs: 20, rateLimitPerMinute: 100_000 },
    env: { COOLIFY_RATE_LIMIT_PER_MINUTE: "100000" },
  });
  const dir = mkdtempSync(join(tmpdir(), "eliza-coolify-prof-"));
  try {
    const up = await t.stack.up({ onOutput: t.onOutput, parallel: 64 });
    if (up.summary.result !== "succeeded") throw new Error(`up: ${up.summary.result}`);
    const env = (t.stack.workspace as LocalWorkspace).envVars;
    env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${dir}`;
    const sampler = new ProcessTreeSampler();
    sampler.start();
    const started = performance.now();
    await t.stack.preview({ onOutput: t.onOutput });
    const seconds = (performance.now() - started) / 1000;
    const used = sampler.stop();
    delete env.NODE_OPTIONS;
    process.stdout.write(`# No-change preview of ${agents} agents, profiled: ${seconds.toFixed(1)} s\n\n`);
    process.stdout.write(
      `${table(
        ["Process", "CPU s", "peak RSS MiB"],
        ROLES.map((r) => [r, used.cpuSeconds[r] ?? "-", used.peakRssMiB[r] ?? "-"]),
      )}\n`,
    );
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".cpuprofile"))) {
      const profile = JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile;
      const urls = profile.nodes.map((n) => n.callFrame.url).join(" ");
      const role = urls.includes("dynamic-provider")
        ? "provider process"
        : urls.includes("cmd/run")
          ? "program"
          : "other node process";
      const s = summarize(profile, top);
      process.stdout.write(`\n## ${role} (${f}): ${s.total.toFixed(0)} ms of CPU samples\n\n`);
      process.stdout.write(`${s.byPackage}\n\n${s.functions}\n`);
    }
    await t.stack.destroy({ onOutput: t.onOutput, parallel: 64 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
