import { describe, expect, it } from "vitest";
import { CoolifyError } from "./errors";
import { TokenBucket } from "./rate-limiter";
import { backoffDelayMs, isRetryableNetworkError, isSafeMethod, parseRetryAfterMs } from "./retry";
import { FakeClock } from "./test-helpers";
import { assertVersionSupported, compareVersions, parseCoolifyVersion } from "./version";

describe("retry policy", () => {
  it("only GET and DELETE are safe to replay", () => {
    expect(isSafeMethod("GET")).toBe(true);
    expect(isSafeMethod("DELETE")).toBe(true);
    expect(isSafeMethod("POST")).toBe(false);
    expect(isSafeMethod("PATCH")).toBe(false);
  });

  it("parses Retry-After seconds and HTTP-dates", () => {
    expect(parseRetryAfterMs("7", 0)).toBe(7000);
    expect(parseRetryAfterMs(["2"], 0)).toBe(2000);
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    expect(parseRetryAfterMs("Wed, 21 Oct 2026 07:28:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfterMs("Wed, 21 Oct 2026 07:27:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });

  it("backoff is full jitter under an exponential ceiling with a cap", () => {
    expect(backoffDelayMs(1, 500, 10_000, () => 0.999)).toBe(499);
    expect(backoffDelayMs(3, 500, 10_000, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(10, 500, 10_000, () => 0.5)).toBe(5000);
    expect(backoffDelayMs(4, 500, 10_000, () => 0)).toBe(0);
  });

  it("recognises connection errors, nested or not", () => {
    expect(isRetryableNetworkError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryableNetworkError(new Error("socket hang up"))).toBe(true);
    expect(
      isRetryableNetworkError(
        new Error("fetch failed", { cause: Object.assign(new Error(), { code: "ECONNREFUSED" }) }),
      ),
    ).toBe(true);
    expect(isRetryableNetworkError(new Error("something else"))).toBe(false);
  });
});

describe("token bucket", () => {
  it("lets a burst through, then spreads the rest so no minute exceeds the budget", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(60, clock); // burst 12, refill 48/min
    const starts: number[] = [];
    for (let i = 0; i < 150; i++) {
      await bucket.acquire();
      starts.push(clock.now());
    }
    const t0 = starts[0] as number;
    expect(starts.slice(0, 12).every((t) => t === t0)).toBe(true);
    expect((starts[12] as number) - t0).toBeGreaterThanOrEqual(1250 - 1); // one token every 1.25 s
    // Sliding 60 s windows never hold more than 60 requests.
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((t) => t >= (starts[i] as number) && t < (starts[i] as number) + 60_000);
      expect(inWindow.length).toBeLessThanOrEqual(60);
    }
    // And the long-run rate stays close to the refill rate (48/min).
    const minutes = ((starts.at(-1) as number) - t0) / 60_000;
    expect(150 / minutes).toBeLessThan(60);
    expect(150 / minutes).toBeGreaterThan(45);
  });

  it("concurrent callers are queued in arrival order", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(30, clock); // burst 6, refill 24/min = one per 2.5 s
    clock.sleep = async (ms) => {
      clock.sleeps.push(ms); // do not advance: all callers arrive at the same instant
    };
    await Promise.all(Array.from({ length: 10 }, () => bucket.acquire()));
    expect(clock.sleeps).toEqual([2500, 5000, 7500, 10000]);
  });

  it("pauseUntil holds every caller until the server's Retry-After", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(150, clock);
    bucket.pauseUntil(clock.now() + 3000);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([3000]);
  });

  it("an aborted wait gives its slot back", async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(5, clock); // burst 1
    await bucket.acquire();
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(bucket.acquire(controller.signal)).rejects.toThrow("stop");
    expect(bucket.pendingDelayMs()).toBe(15_000); // 4 per minute refill: one token every 15 s
  });
});

describe("version check", () => {
  it("parses Coolify version strings", () => {
    expect(parseCoolifyVersion("4.3.11")).toEqual({ major: 4, minor: 3, patch: 11, prerelease: undefined });
    expect(parseCoolifyVersion("v4.0.0-beta.464\n")).toEqual({
      major: 4,
      minor: 0,
      patch: 0,
      prerelease: "beta.464",
    });
    expect(parseCoolifyVersion("nope")).toBeUndefined();
  });

  it("orders pre-releases before releases", () => {
    const v = (s: string) => parseCoolifyVersion(s) as NonNullable<ReturnType<typeof parseCoolifyVersion>>;
    expect(compareVersions(v("4.2.0-beta.1"), v("4.2.0"))).toBeLessThan(0);
    expect(compareVersions(v("4.0.0-beta.99"), v("4.0.0-beta.464"))).toBeLessThan(0);
    expect(compareVersions(v("4.3.11"), v("4.2.0"))).toBeGreaterThan(0);
  });

  it.each(["4.2.0", "4.3.11", "5.0.0"])("accepts %s", (version) => {
    expect(() => assertVersionSupported(version, "https://c.example.com")).not.toThrow();
  });

  it.each(["4.1.9", "4.0.0-beta.464", "4.2.0-beta.3", "3.12.36"])("refuses %s with a reason", (version) => {
    let err: unknown;
    try {
      assertVersionSupported(version, "https://c.example.com");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoolifyError);
    expect((err as CoolifyError).code).toBe("unsupported_version");
    expect((err as CoolifyError).message).toContain("4.2.0");
    expect((err as CoolifyError).message).toContain(version);
    expect((err as CoolifyError).message).toMatch(/Upgrade Coolify/);
  });

  it("refuses a version string that is not a version", () => {
    expect(() => assertVersionSupported("<html>", "https://c.example.com")).toThrow(/not a version number/);
  });
});
