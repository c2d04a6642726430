import { describe, expect, it } from "vitest";
import { pollDelay, pollTimes } from "./poll";

describe("the poll schedule", () => {
  it("looks early, so a 2 s deployment is seen done at 2 s", () => {
    expect(pollTimes(1)).toEqual([2_000]);
  });

  it("sees the reference 60 s deployment done within 3 polls (4 with the health check)", () => {
    const times = pollTimes(6);
    expect(times.findIndex((t) => t >= 60_000) + 1).toBeLessThanOrEqual(3);
    expect(times).toEqual([2_000, 20_000, 62_000, 92_000, 122_000, 152_000]);
  });

  it("with the last duration known, looks first just after it and then close behind", () => {
    const times = pollTimes(3, 60_000);
    expect(times[0]).toBe(63_000);
    expect(times[1]).toBe(69_000);
    expect(pollTimes(2, 10_000)).toEqual([10_500, 13_500]);
  });

  it("shrinks with the scale, never to zero", () => {
    expect(pollDelay(0, 0.01)).toBe(20);
    expect(pollDelay(0, 0.000001)).toBe(1);
  });
});
