// The client-side rate limiter: a burst of GETs sent all at once through the real CoolifyClient
// to the simulator, on one fake clock shared by the client (limiter, backoff, Retry-After) and
// the simulator (its 200/minute window per user). Virtual time only moves when every caller is
// waiting on the clock, so the numbers do not depend on the machine.
import { CoolifyClient } from "../providers/coolify/src/client/client";
import { TokenBucket } from "../providers/coolify/src/client/rate-limiter";
import { startSimulator } from "../test/simulator";
import { maxInWindow } from "./report";
import { SteppedClock } from "./virtual-clock";

export interface BurstResult {
  label: string;
  budgetPerMinute: number | null;
  requests: number;
  /** Virtual seconds from the first to the last answer. */
  seconds: number;
  /** Most answers (any status) Coolify sent within any 60 s window. */
  maxPerMinuteWindow: number;
  /** 429 answers Coolify sent. */
  refused: number;
  failed: number;
}

export async function burst(opts: {
  label: string;
  count: number;
  /** null: no client-side budget (a limiter too large to matter). */
  budgetPerMinute: number | null;
}): Promise<BurstResult> {
  const sim = await startSimulator({ port: 0, openapiPath: null, rateLimitPerMinute: 200 });
  sim.control.setClockSpeed(0);
  const clock = new SteppedClock((ms) => sim.control.step(ms));
  const answered: number[] = [];
  let refused = 0;
  const client = new CoolifyClient({
    baseUrl: sim.url,
    token: sim.rootToken,
    clock,
    random: () => 0.5,
    // The default budget is 150/min; the bench builds its own bucket (the kind the client shares)
    // on the shared fake clock.
    rateLimiter: new TokenBucket(opts.budgetPerMinute ?? 1_000_000, clock),
    maxAttempts: 10,
    onRequest: (e) => {
      answered.push(clock.now());
      if (e.status === 429) refused++;
    },
  });
  let done = 0;
  let failed = 0;
  const calls = Array.from({ length: opts.count }, () =>
    client
      .listProjects()
      .catch(() => {
        failed++;
      })
      .finally(() => {
        done++;
      }),
  );
  // Move time only once every caller is either finished or waiting on the clock.
  while (done < opts.count) {
    await new Promise((r) => setImmediate(r));
    if (done + clock.sleeping >= opts.count && clock.sleeping > 0) clock.advance();
  }
  await Promise.all(calls);
  await sim.close();
  const first = Math.min(...answered);
  const last = Math.max(...answered);
  return {
    label: opts.label,
    budgetPerMinute: opts.budgetPerMinute,
    requests: opts.count,
    seconds: (last - first) / 1000,
    maxPerMinuteWindow: maxInWindow(answered, 60_000),
    refused,
    failed,
  };
}
