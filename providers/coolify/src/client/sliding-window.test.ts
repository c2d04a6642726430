import { describe, expect, it } from "vitest";
import { CoolifyClient } from "./client";
import { SlidingWindowLimiter, WINDOW_MS } from "./sliding-window";
import { FakeClock, uniqueToken } from "./test-helpers";

const maxInAnyMinute = (starts: number[]) =>
  Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + 60_000).length));

describe("sliding-window rate limiter", () => {
  it("never lets more than the budget into any minute, and sends at the full budget over a long run", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter(60, clock);
    const starts: number[] = [];
    for (let i = 0; i < 300; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    const t0 = starts[0] as number;
    expect(starts.slice(0, 60).every((t) => t === t0)).toBe(true); // the whole budget at once
    expect((starts[60] as number) - t0).toBe(WINDOW_MS);
    expect(maxInAnyMinute(starts)).toBe(60);
    // 300 requests in 4 windows after the first: 60 per 61 s, where a token bucket gives 48/min.
    expect((starts.at(-1) as number) - t0).toBe(4 * WINDOW_MS);
  });

  it("queues concurrent callers in arrival order", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter(3, clock);
    clock.sleep = async (ms) => {
      clock.sleeps.push(ms); // do not advance: every caller arrives at the same instant
    };
    await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    expect(clock.sleeps).toEqual([WINDOW_MS, WINDOW_MS, WINDOW_MS, 2 * WINDOW_MS, 2 * WINDOW_MS]);
  });

  it("holds every caller until the server's Retry-After", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter(150, clock);
    limiter.pauseUntil(clock.now() + 3000);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([3000]);
  });

  it("gives an aborted caller's slot back", async () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter(1, clock);
    await limiter.acquire();
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow("stop");
    expect(limiter.pendingDelayMs()).toBe(WINDOW_MS); // not 2 windows: the aborted slot is free again
  });

  it("is the limiter a client shares per URL and token", async () => {
    const token = uniqueToken();
    const a = new CoolifyClient({ baseUrl: "http://127.0.0.1:9", token, rateLimitPerMinute: 2 });
    const b = new CoolifyClient({ baseUrl: "http://127.0.0.1:9", token, rateLimitPerMinute: 500 });
    const limiterOf = (c: CoolifyClient) => (c as unknown as { limiter: unknown }).limiter;
    expect(limiterOf(a)).toBeInstanceOf(SlidingWindowLimiter);
    expect(limiterOf(b)).toBe(limiterOf(a));
    expect((limiterOf(a) as SlidingWindowLimiter).perMinute).toBe(2);
  });
});
