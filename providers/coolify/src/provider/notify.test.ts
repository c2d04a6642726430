import { beforeEach, describe, expect, it } from "vitest";
import { resetTold, tellWait } from "./notify";

describe("telling the user about waits", () => {
  beforeEach(() => resetTold());
  const told = () => {
    const lines: string[] = [];
    return { lines, write: (s: string) => lines.push(s) };
  };

  it("says what a 429 makes it wait for, and how long", () => {
    const out = told();
    tellWait({ reason: "rate_limited", ms: 36_000, method: "POST", path: "/deploy" }, 0, out.write);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(
      /^eliza-coolify: Coolify's rate limit was reached \(429 on POST \/deploy\); waiting 36 s/,
    );
  });

  it("stays quiet for short waits and says a long one once while it lasts", () => {
    const out = told();
    tellWait({ reason: "rate_budget", ms: 500, method: "GET", path: "/x" }, 0, out.write);
    expect(out.lines).toEqual([]);
    for (let i = 0; i < 20; i++)
      tellWait({ reason: "rate_budget", ms: 5_000, method: "GET", path: "/x" }, i * 100, out.write);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toContain("coolify:rateLimitPerMinute");
    tellWait({ reason: "rate_budget", ms: 5_000, method: "GET", path: "/x" }, 20_000, out.write);
    expect(out.lines).toHaveLength(2);
  });
});
