// A fleet through the real pulumi CLI: the stack's program (dist/index.js) with N agents, each an
// image source with a domain, a managed database, on the simulator with Coolify's limits (200
// requests per minute per token, 2 deployments at a time per server and one per application,
// deployments of 2 s, delete jobs of 10 s). Cold preview, up, no-change preview, destroy.
//
// Clock: the machine's. The simulator runs at normal speed and the provider polls on its real
// schedule (ELIZA_COOLIFY_POLL_SCALE 1), so an up of 100 agents takes minutes of real time, and
// the figures include the CLI, the language host, the program and the provider process on a
// shared 2-core machine. Memory: the peak RSS (VmHWM) of each of those processes (proc-sampler.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { openLocalStack, repoRoot } from "../scripts/demo/local-stack";
import { isPoll } from "./fleet";
import { ProcessTreeSampler, type Role } from "./proc-sampler";
import { maxInWindow } from "./report";

export const CLI_OPERATIONS = ["preview (cold)", "up", "preview (no-op)", "destroy"] as const;
export type CliOperation = (typeof CLI_OPERATIONS)[number];

export interface FleetCliOptions {
  agents: number;
  /** The client's budget (COOLIFY_RATE_LIMIT_PER_MINUTE). */
  budgetPerMinute: number;
  /** pulumi up/destroy --parallel. */
  parallel: number;
  /**
   * PULUMI_SKIP_CHECKPOINTS: the engine saves the state once at the end of an operation instead
   * of after every step (on a DIY backend each save rewrites the whole state file).
   */
  skipCheckpoints?: boolean;
  /** Which operations to run (in CLI_OPERATIONS order; up is needed by the ones after it). */
  operations?: CliOperation[];
  echo?: boolean;
}

export interface CliOperationResult {
  seconds: number;
  /** Coolify API requests (the agents' data plane, used by the smoke tests, left out). */
  requests: number;
  polls: number;
  refused429: number;
  maxPerMinute: number;
  byRequest: Record<string, number>;
  /** Resources the engine reported by kind of change (create, same, delete, ...). */
  changes: Record<string, number>;
  peakRssMiB: Partial<Record<Role, number>>;
  /** CPU seconds of each part (utime + stime from /proc). */
  cpuSeconds: Partial<Record<Role, number>>;
  /** Coolify objects left after the operation (destroy). */
  leftOver?: number;
}

export interface FleetCliResult {
  options: FleetCliOptions;
  resources: number;
  stateFileBytes: number;
  ops: Partial<Record<CliOperation, CliOperationResult>>;
}

const DEPLOYMENT_PHASE_MS = 1_000; // 1 s queued + 1 s in progress: a 2 s deployment
const DELETE_DELAY_MS = 10_000;
export const FLEET_CLI_LIMITS = {
  coolifyPerMinute: 200,
  buildsPerServer: 2,
  deploymentSeconds: (2 * DEPLOYMENT_PHASE_MS) / 1000,
  deleteJobSeconds: DELETE_DELAY_MS / 1000,
};

/** The dev stack's file with its agents replaced by N of the same kind. */
export function fleetStackFile(agents: number): string {
  const dev = YAML.parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const characters = ["characters/server-bod.character.json", "characters/release-scribe.character.json"];
  dev.config["eliza-coolify:projectName"] = "eliza-fleet";
  dev.config["eliza-coolify:agents"] = Array.from({ length: agents }, (_, i) => {
    const name = `agent-${String(i + 1).padStart(3, "0")}`;
    return {
      name,
      characterFile: characters[i % characters.length],
      source: { type: "image", image: "ghcr.io/eliza-coolify/eliza-agent:0.1.0" },
      size: "small",
      domain: `https://${name}.fleet.example.com`,
    };
  });
  return YAML.stringify(dev);
}

const shortPath = (method: string, path: string) =>
  `${method} ${path
    .split("?")[0]
    ?.replace("/api/v1", "")
    .replace(/\/[a-z0-9]{24}(?=\/|$)/g, "/{id}")}`;

export async function fleetCli(opts: FleetCliOptions): Promise<FleetCliResult> {
  const operations = new Set(opts.operations ?? CLI_OPERATIONS);
  const t = await openLocalStack({
    stackName: "fleet",
    stackFile: fleetStackFile(opts.agents),
    echo: opts.echo,
    pollScale: 1,
    simulator: {
      deploymentPhaseMs: DEPLOYMENT_PHASE_MS,
      deleteDelayMs: DELETE_DELAY_MS,
      rateLimitPerMinute: FLEET_CLI_LIMITS.coolifyPerMinute,
    },
    env: {
      COOLIFY_RATE_LIMIT_PER_MINUTE: String(opts.budgetPerMinute),
      ...(opts.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
    },
  });
  const sampler = new ProcessTreeSampler();
  const ops: FleetCliResult["ops"] = {};
  const onOutput = t.onOutput;
  const timed = async (op: CliOperation, fn: () => Promise<Record<string, number>>) => {
    if (!operations.has(op)) return;
    t.sim.control.clearRequestLog();
    sampler.start();
    const started = performance.now();
    let changes: Record<string, number> = {};
    try {
      changes = await fn();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const { peakRssMiB, cpuSeconds } = sampler.stop();
      const log = t.sim.control.requestLog().filter((e) => e.plane !== "agent");
      const byRequest: Record<string, number> = {};
      for (const e of log) {
        const k = shortPath(e.method, e.path);
        byRequest[k] = (byRequest[k] ?? 0) + 1;
      }
      ops[op] = {
        seconds,
        requests: log.length,
        polls: log.filter(isPoll).length,
        refused429: log.filter((e) => e.status === 429).length,
        maxPerMinute: maxInWindow(
          log.map((e) => e.at),
          60_000,
        ),
        byRequest,
        changes,
        peakRssMiB,
        cpuSeconds,
      };
      process.stderr.write(`fleet-cli ${op}: ${seconds.toFixed(1)} s, ${log.length} requests\n`);
    }
  };
  const counts = (s: Record<string, number | undefined> | undefined) =>
    Object.fromEntries(Object.entries(s ?? {}).filter((e): e is [string, number] => (e[1] ?? 0) > 0));
  try {
    await timed("preview (cold)", async () => counts((await t.stack.preview({ onOutput })).changeSummary));
    let resources = 0;
    let stateFileBytes = 0;
    await timed("up", async () => {
      const up = await t.stack.up({ onOutput, parallel: opts.parallel });
      if (up.summary.result !== "succeeded") throw new Error(`up: ${up.summary.result}`);
      return counts(up.summary.resourceChanges);
    });
    if (operations.has("up")) {
      const statePath = join(t.stateDir, ".pulumi/stacks/eliza-coolify/fleet.json");
      const state = readFileSync(statePath, "utf8");
      stateFileBytes = Buffer.byteLength(state);
      resources =
        (JSON.parse(state) as { checkpoint?: { latest?: { resources?: unknown[] } } }).checkpoint?.latest
          ?.resources?.length ?? 0;
    }
    await timed("preview (no-op)", async () => counts((await t.stack.preview({ onOutput })).changeSummary));
    await timed("destroy", async () => {
      const d = await t.stack.destroy({ onOutput, parallel: opts.parallel });
      if (d.summary.result !== "succeeded") throw new Error(`destroy: ${d.summary.result}`);
      return counts(d.summary.resourceChanges);
    });
    const destroyed = ops.destroy;
    if (destroyed) {
      const s = t.sim.control.state();
      destroyed.leftOver = s.projects.length + s.applications.length + s.databases.length;
    }
    return { options: opts, resources, stateFileBytes, ops };
  } finally {
    await t.close();
  }
}
