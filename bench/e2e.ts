// End-to-end wall times: the real program through the real pulumi CLI (Automation API, file
// backend) on the simulator, for the dev stack (two agents). Each run starts from nothing: a new
// simulator, state directory and PULUMI_HOME. While each operation runs, /proc is sampled for the
// dynamic-provider process to read its peak RSS (VmHWM, which the kernel keeps as a high-water
// mark, so a coarse sampling interval still sees the peak as long as it sees the process once).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openLocalStack } from "../scripts/demo/local-stack";
import { ProcessTreeSampler } from "./proc-sampler";

export const OPERATIONS = ["preview (cold)", "up", "preview (no-op)", "refresh", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface E2eRun {
  ms: Record<Operation, number>;
  /** Peak RSS (MiB) of the dynamic-provider process(es) seen during each operation. */
  providerPeakRssMiB: Partial<Record<Operation, number>>;
  /** API requests the simulator saw during each operation. */
  apiRequests: Record<Operation, number>;
  /** The same requests as "METHOD path" with uuids shortened to {id}, counted. */
  apiLog: Record<Operation, Record<string, number>>;
  /** `__provider` of each dynamic resource in the state after up: its size in bytes. */
  providerFieldBytes: { count: number; min: number; max: number; total: number };
  stateFileBytes: number;
  resources: number;
}

function providerFieldSizes(stateFile: string): E2eRun["providerFieldBytes"] & { resources: number } {
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as {
    checkpoint?: { latest?: { resources?: { inputs?: Record<string, unknown> }[] } };
  };
  const resources = state.checkpoint?.latest?.resources ?? [];
  const sizes = resources
    .map((r) => r.inputs?.__provider)
    .filter((p): p is string => typeof p === "string")
    .map((p) => Buffer.byteLength(p));
  return {
    count: sizes.length,
    min: sizes.length ? Math.min(...sizes) : 0,
    max: sizes.length ? Math.max(...sizes) : 0,
    total: sizes.reduce((a, b) => a + b, 0),
    resources: resources.length,
  };
}

export async function e2eRun(opts: { echo?: boolean } = {}): Promise<E2eRun> {
  const t = await openLocalStack({ stackName: "dev", echo: opts.echo });
  const sampler = new ProcessTreeSampler();
  const ms = {} as Record<Operation, number>;
  const rss: Partial<Record<Operation, number>> = {};
  const apiRequests = {} as Record<Operation, number>;
  const apiLog = {} as Record<Operation, Record<string, number>>;
  const onOutput = t.onOutput;
  const timed = async (op: Operation, fn: () => Promise<unknown>) => {
    t.sim.control.clearRequestLog();
    sampler.start();
    const started = performance.now();
    try {
      await fn();
    } finally {
      ms[op] = Math.round(performance.now() - started);
      const peak = sampler.stop().peakRssMiB.provider;
      if (peak !== undefined) rss[op] = peak;
      const log = t.sim.control.requestLog().filter((e) => e.plane !== "agent");
      apiRequests[op] = log.length;
      apiLog[op] = {};
      for (const e of log) {
        const key = `${e.method} ${e.path.split("?")[0]?.replace(/\/[a-z0-9]{24}(?=\/|$)/g, "/{id}")}`;
        apiLog[op][key] = (apiLog[op][key] ?? 0) + 1;
      }
    }
  };
  try {
    await timed("preview (cold)", () => t.stack.preview({ onOutput }));
    await timed("up", async () => {
      const up = await t.stack.up({ onOutput });
      if (up.summary.result !== "succeeded") throw new Error(`up: ${up.summary.result}`);
    });
    const sizes = providerFieldSizes(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json"));
    const stateFileBytes = readFileSync(join(t.stateDir, ".pulumi/stacks/eliza-coolify/dev.json")).length;
    await timed("preview (no-op)", () => t.stack.preview({ onOutput }));
    await timed("refresh", () => t.stack.refresh({ onOutput }));
    await timed("destroy", async () => {
      const d = await t.stack.destroy({ onOutput });
      if (d.summary.result !== "succeeded") throw new Error(`destroy: ${d.summary.result}`);
    });
    const { resources, ...providerFieldBytes } = sizes;
    return {
      ms,
      providerPeakRssMiB: rss,
      apiRequests,
      apiLog,
      providerFieldBytes,
      stateFileBytes,
      resources,
    };
  } finally {
    await t.close();
  }
}
