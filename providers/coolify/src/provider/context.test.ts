import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_RATE_LIMIT, rateLimitPerMinute, setConfiguredCredentials } from "./context";

describe("the client's share of Coolify's rate limit", () => {
  afterEach(() => setConfiguredCredentials({}));

  it("is 150 of Coolify's 200 unless told otherwise", () => {
    expect(rateLimitPerMinute({})).toBe(DEFAULT_CLIENT_RATE_LIMIT);
    expect(DEFAULT_CLIENT_RATE_LIMIT).toBe(150);
  });

  it("comes from coolify:rateLimitPerMinute, and COOLIFY_RATE_LIMIT_PER_MINUTE wins", () => {
    setConfiguredCredentials({ rateLimitPerMinute: "190" });
    expect(rateLimitPerMinute({})).toBe(190);
    expect(rateLimitPerMinute({ COOLIFY_RATE_LIMIT_PER_MINUTE: "60" })).toBe(60);
  });

  it("refuses what is not a whole number of requests, naming where it came from", () => {
    expect(() => rateLimitPerMinute({ COOLIFY_RATE_LIMIT_PER_MINUTE: "fast" })).toThrow(
      /COOLIFY_RATE_LIMIT_PER_MINUTE is "fast", not a whole number/,
    );
    setConfiguredCredentials({ rateLimitPerMinute: "0" });
    expect(() => rateLimitPerMinute({})).toThrow(/coolify:rateLimitPerMinute/);
  });
});
