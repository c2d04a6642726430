import { createHash } from "node:crypto";
import { type Clock, realClock } from "./clock";

export interface RateLimiter {
  /**
   * Resolves when the caller may send one request. `onWait` hears how long the caller will wait
   * before it starts waiting, when it has to wait at all.
   */
  acquire(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<void>;
  /** The server said 429 + Retry-After: hold every caller of this limiter until then. */
  pauseUntil(time: number): void;
}

/**
 * Token bucket sized so that no 60-second window ever holds more than `perMinute` requests:
 * the bucket holds at most `burst` tokens and refills (perMinute - burst) per minute, so any
 * window sees at most burst + (perMinute - burst) = perMinute. Coolify's limiter is a fixed
 * one-minute window per user (200 by default); a plain bucket refilling perMinute per minute
 * could let through burst + perMinute in one of Coolify's windows.
 *
 * Callers reserve their slot immediately (tokens may go negative) and then sleep for the
 * deficit, so waiting callers are served in arrival order without polling.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly burst: number;
  private readonly ratePerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock = realClock,
    burst?: number,
  ) {
    if (!(perMinute > 0)) throw new RangeError("rateLimitPerMinute must be positive");
    const defaultBurst = Math.max(1, Math.floor(perMinute / 5));
    this.burst = Math.min(Math.max(1, burst ?? defaultBurst), perMinute);
    // Tiny budgets (burst == perMinute) refill at the full rate rather than not at all.
    const refillPerMinute = perMinute > this.burst ? perMinute - this.burst : perMinute;
    this.ratePerMs = refillPerMinute / 60_000;
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Milliseconds the next caller would wait; for tests and metrics. */
  pendingDelayMs(): number {
    this.refill();
    const pause = Math.max(0, this.pausedUntil - this.clock.now());
    return Math.max(pause, this.tokens >= 1 ? 0 : (1 - this.tokens) / this.ratePerMs);
  }

  async acquire(signal?: AbortSignal, onWait?: (ms: number) => void): Promise<void> {
    this.refill();
    this.tokens -= 1;
    const deficitWait = this.tokens >= 0 ? 0 : -this.tokens / this.ratePerMs;
    const pauseWait = Math.max(0, this.pausedUntil - this.clock.now());
    const wait = Math.max(deficitWait, pauseWait);
    if (wait > 0) {
      onWait?.(wait);
      try {
        await this.clock.sleep(Math.ceil(wait), signal);
      } catch (e) {
        this.tokens += 1; // give the reserved slot back
        throw e;
      }
    }
  }

  pauseUntil(time: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, time);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerMs);
      this.last = now;
    }
  }
}

// Process-wide registry: one bucket per Coolify instance and token, because Coolify counts per
// user and every resource in one `pulumi up` shares the provider process. The key holds a hash
// of the token, never the token itself.
const limiters = new Map<string, TokenBucket>();

export function sharedRateLimiter(
  baseUrl: string,
  token: string,
  perMinute: number,
  clock?: Clock,
): TokenBucket {
  // The first client for a key fixes the budget; later clients share it whatever they ask for.
  const key = `${baseUrl}\n${createHash("sha256").update(token).digest("hex")}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new TokenBucket(perMinute, clock);
    limiters.set(key, limiter);
  }
  return limiter;
}

/** Forget every shared limiter (tests). */
export function resetSharedRateLimiters(): void {
  limiters.clear();
}
