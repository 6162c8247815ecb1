import { describe, expect, it } from "vitest";
import { associationYear, assumedListPrices, parsePrices } from "../../bench/cost";

describe("the cost of one association-year (bench)", () => {
  it("adds 365 daily cycles to one lifecycle, per service, and prices each per 10,000", () => {
    const year = associationYear(
      { table: 2, queue: 1, blob: 0 },
      { table: 100, queue: 50, blob: 2 },
      { tablePer10k: 0.001, queuePer10k: 0.1, blobPer10k: 1 },
    );
    expect(year.transactions).toEqual({ table: 830, queue: 415, blob: 2, total: 1247 });
    expect(year.usd).toBeCloseTo((830 * 0.001 + 415 * 0.1 + 2 * 1) / 10_000, 12);
  });

  it("reads --prices as table,queue,blob and refuses anything else", () => {
    expect(parsePrices(undefined)).toEqual(assumedListPrices);
    expect(parsePrices("0.1,0.2,0.3")).toEqual({ tablePer10k: 0.1, queuePer10k: 0.2, blobPer10k: 0.3 });
    expect(() => parsePrices("0.1,0.2")).toThrow(/three numbers/);
    expect(() => parsePrices("0.1,-1,0.3")).toThrow(/three numbers/);
  });
});
