import { describe, expect, it } from "vitest";
import { takeToken, type Bucket } from "../../../src/domain/tokenBucket";

const rate = { perSecond: 2, burst: 3 };

/** Takes a token at each time (ms), answering which were allowed. */
function takes(times: number[]): boolean[] {
  let bucket: Bucket | undefined;
  return times.map((at) => {
    const taken = takeToken(bucket, at, rate);
    bucket = taken.bucket;
    return taken.allowed;
  });
}

describe("token bucket", () => {
  it("starts full: a burst passes, the next request is refused", () => {
    expect(takes([0, 0, 0, 0])).toEqual([true, true, true, false]);
  });

  it("refills at the rate, never above the burst", () => {
    expect(takes([0, 0, 0, 499, 500])).toEqual([true, true, true, false, true]);
    expect(takes([0, 0, 0, 60_000, 60_000, 60_000, 60_000])).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("says how long until a token is there", () => {
    const empty = { tokens: 0.25, at: 1_000 };
    const taken = takeToken(empty, 1_000, rate);
    expect(taken).toEqual({ allowed: false, bucket: empty, retryAfterMs: 375 });
  });

  it("does not refill backwards when the clock steps back", () => {
    const taken = takeToken({ tokens: 0, at: 5_000 }, 4_000, rate);
    expect(taken.allowed).toBe(false);
  });
});
