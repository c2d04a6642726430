import { type Clock, realClock } from "./clock";
import type { RateLimiter } from "./rate-limiter";

/**
 * A margin on Coolify's minute: Laravel's throttle keeps its window's timer in whole seconds, and
 * requests sent in order can arrive a little out of step. One extra second covers both.
 */
export const WINDOW_MS = 61_000;

/**
 * No more than `perMinute` requests in any window of WINDOW_MS: request k goes out no earlier
 * than WINDOW_MS after request k - perMinute. Coolify's throttle is a fixed one-minute window per
 * user (notes 2.5), and any fixed window lies inside a sliding one, so this never draws a 429,
 * while a long run goes at the full budget. (A token bucket that keeps the same promise refills
 * only perMinute - burst per minute: 160 of 200, a fleet's up 25 % slower than the limit allows.)
 *
 * Callers reserve their send time at once and then sleep until it, so waiting callers are served
 * in arrival order without polling. Keeps the send times of the last window and the reservations.
 */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly sent: number[] = [];
  private pausedUntil = 0;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock = realClock,
    private readonly windowMs = WINDOW_MS,
  ) {
    if (!(perMinute >= 1) || !Number.isFinite(perMinute))
      throw new RangeError("rateLimitPerMinute must be positive");
  }

  /** Milliseconds the next caller would wait; for tests and metrics. */
  pendingDelayMs(): number {
    return Math.max(0, this.nextSlot() - this.clock.now());
  }

  async acquire(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<void> {
    const at = this.nextSlot();
    this.sent.push(at);
    const wait = at - this.clock.now();
    if (wait <= 0) return;
    onWait?.(wait);
    try {
      await this.clock.sleep(Math.ceil(wait), signal);
    } catch (e) {
      // Give the slot back: a window with one request less can only hold later callers earlier.
      const i = this.sent.lastIndexOf(at);
      if (i >= 0) this.sent.splice(i, 1);
      throw e;
    }
  }

  pauseUntil(time: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, time);
  }

  private nextSlot(): number {
    const now = this.clock.now();
    // Sends a window ago no longer count; later ones (and reservations) are kept.
    let old = 0;
    while (old < this.sent.length && (this.sent[old] as number) <= now - this.windowMs) old++;
    if (old > 0) this.sent.splice(0, old);
    let at = Math.max(now, this.pausedUntil);
    const n = this.sent.length;
    if (n >= this.perMinute) at = Math.max(at, (this.sent[n - this.perMinute] as number) + this.windowMs);
    // Reservations stay in order even when the clock or a pause moved them.
    const last = this.sent[n - 1];
    return last !== undefined ? Math.max(at, last) : at;
  }
}
