// The part of the Pulumi engine that decides when a resource operation runs: a step starts once
// every step it depends on is done, ready steps wait first-come first-served (the Node SDK
// registers a resource when its inputs resolve, and the engine queues it then), and at most
// `parallel` run at once (`pulumi up --parallel`; the CLI defaults to 4 per CPU, PULUMI_PARALLEL
// overrides it: 8 on this 2-core machine, 16 on a 4-core CI runner).

export interface Step {
  key: string;
  deps: string[];
  run: () => Promise<void>;
}

export interface StepRun {
  done: string[];
  failed: { key: string; error: string }[];
  /** Never run because a step they depend on failed. */
  skipped: string[];
}

export async function runSteps(steps: Step[], parallel: number): Promise<StepRun> {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  for (const s of steps) {
    for (const d of s.deps) if (!byKey.has(d)) throw new Error(`step ${s.key} depends on unknown ${d}`);
  }
  const dependents = new Map<string, Step[]>();
  for (const s of steps) for (const d of s.deps) dependents.set(d, [...(dependents.get(d) ?? []), s]);
  const waitingOn = new Map(steps.map((s) => [s.key, new Set(s.deps)]));
  const ready: Step[] = steps.filter((s) => s.deps.length === 0);
  const out: StepRun = { done: [], failed: [], skipped: [] };
  const blocked = new Set<string>();
  let running = 0;

  const block = (key: string) => {
    for (const d of dependents.get(key) ?? []) {
      if (blocked.has(d.key)) continue;
      blocked.add(d.key);
      out.skipped.push(d.key);
      block(d.key);
    }
  };

  return new Promise((resolve) => {
    const pump = () => {
      while (running < parallel && ready.length > 0) {
        const step = ready.shift() as Step;
        running++;
        step.run().then(
          () => {
            out.done.push(step.key);
            for (const d of dependents.get(step.key) ?? []) {
              const w = waitingOn.get(d.key) as Set<string>;
              w.delete(step.key);
              if (w.size === 0 && !blocked.has(d.key)) ready.push(d);
            }
            finish();
          },
          (e: unknown) => {
            out.failed.push({ key: step.key, error: e instanceof Error ? e.message : String(e) });
            block(step.key);
            finish();
          },
        );
      }
      if (running === 0 && ready.length === 0) resolve(out);
    };
    const finish = () => {
      running--;
      pump();
    };
    pump();
  });
}

/** The destroy order of the same graph: a step goes once everything that depends on it is gone. */
export function reversed(
  steps: { key: string; deps: string[] }[],
  run: (key: string) => Promise<void>,
): Step[] {
  const dependents = new Map<string, string[]>();
  for (const s of steps) for (const d of s.deps) dependents.set(d, [...(dependents.get(d) ?? []), s.key]);
  // Program order reversed, as the engine lists deletes.
  return [...steps]
    .reverse()
    .map((s) => ({ key: s.key, deps: dependents.get(s.key) ?? [], run: () => run(s.key) }));
}
