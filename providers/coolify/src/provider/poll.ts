/**
 * Waiting on Coolify costs requests against its 200/minute budget, so waits poll on a widening
 * schedule instead of a fixed short interval: for a 60 s deployment that is polls at 10, 35 and
 * 65 s. ELIZA_COOLIFY_POLL_SCALE (0 < s <= 1) shrinks every delay, for the simulator.
 */
const SCHEDULE_MS = [10_000, 25_000, 30_000];

export function pollScale(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.ELIZA_COOLIFY_POLL_SCALE);
  return Number.isFinite(s) && s > 0 && s <= 1 ? s : 1;
}

export function pollDelay(attempt: number, scale = pollScale()): number {
  const base = SCHEDULE_MS[Math.min(attempt, SCHEDULE_MS.length - 1)] as number;
  return Math.max(1, Math.round(base * scale));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
