import { describe, expect, it } from "vitest";
import { jittered } from "../../src/pollBackoff";

describe("an idle poller's wait", () => {
  it("spreads the back-off by a quarter either way", () => {
    expect(jittered(1_000, () => 0)).toBe(750);
    expect(jittered(1_000, () => 0.5)).toBe(1_000);
    expect(jittered(1_000, () => 0.999_999)).toBe(1_250);
  });

  it("keeps the mean, and pollers that start together do not stay in step", () => {
    const waits = Array.from({ length: 2_000 }, () => jittered(1_000));
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    expect(mean).toBeGreaterThan(970);
    expect(mean).toBeLessThan(1_030);
    // 16 pollers' waits fall into many distinct 50 ms slots, not one.
    const slots = new Set(waits.slice(0, 16).map((w) => Math.floor(w / 50)));
    expect(slots.size).toBeGreaterThan(3);
  });
});
