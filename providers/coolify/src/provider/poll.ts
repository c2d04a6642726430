/**
 * Waiting on Coolify costs requests against its 200/minute budget, and a user waits for every
 * poll that comes late. So the first look is early (a deployment of a pulled image can finish
 * in 2 s), then the waits widen: without history, polls come at 2, 20 and 62 s, so the
 * reference 60 s deployment takes 3 polls (plus one for the application's health), and then
 * every 30 s. When the last deployment's duration is known, the first look comes just after
 * that much time and the next ones close behind it.
 *
 * ELIZA_COOLIFY_POLL_SCALE (0 < s <= 1) shrinks every delay, for the simulator.
 */
import { type Clock, realClock } from "../client/clock";

const FIRST_LOOK_MS = [2_000, 18_000, 42_000];
const EARLIEST_MS = 2_000;
const STEADY_MS = 30_000;

export function pollScale(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.ELIZA_COOLIFY_POLL_SCALE);
  return Number.isFinite(s) && s > 0 && s <= 1 ? s : 1;
}

/**
 * The delay before poll number `attempt` (0 first). `expectedMs`, the duration of the last
 * comparable wait, moves the first look to just after it and spaces the next ones by a tenth
 * of it (at least 3 s), falling back to the plain schedule once that expectation is well past.
 */
export function pollDelay(attempt: number, scale = pollScale(), expectedMs?: number): number {
  let base: number;
  if (expectedMs !== undefined && expectedMs > EARLIEST_MS) {
    const step = Math.max(3_000, expectedMs / 10);
    base = attempt === 0 ? expectedMs * 1.05 : attempt < 4 ? step : STEADY_MS;
  } else {
    base = FIRST_LOOK_MS[attempt] ?? STEADY_MS;
  }
  return Math.max(1, Math.round(base * scale));
}

/** The times (from the start, in ms, unscaled) at which the first `n` polls happen. */
export function pollTimes(n: number, expectedMs?: number): number[] {
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += pollDelay(i, 1, expectedMs);
    out.push(t);
  }
  return out;
}

let clock: Clock = realClock;

/**
 * The clock every wait of the provider runs on: polls, deadlines, and the Coolify client's rate
 * budget and backoff (context.ts hands it to the client). The real one, except in benchmarks,
 * which drive a fleet's minutes of waiting on a virtual clock in seconds.
 */
export function setProviderClock(c: Clock = realClock): void {
  clock = c;
}

export function providerClock(): Clock {
  return clock;
}

export const now = (): number => clock.now();
export const sleep = (ms: number): Promise<void> => clock.sleep(ms);
