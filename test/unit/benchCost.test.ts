import { describe, expect, it } from "vitest";
import { associationYear, assumedListPrices, parsePrices } from "../../bench/cost";
import { graphRequestsPer10sPerApp, projectCycle, storageRequestsPerSecond } from "../../bench/projection";

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

describe("a large estate's daily cycle, projected from the bench's figures", () => {
  it("multiplies per-association and per-tenant figures out and bounds the time by Graph and storage", () => {
    const projection = projectCycle({
      estate: { associations: 1_000_000, tenants: 250_000 },
      perAssociation: { table: 2, queue: 1, blob: 0 },
      callsPerTenant: 10,
      associationsPerSecondPerHost: 100,
      prices: { tablePer10k: 0.001, queuePer10k: 0.1, blobPer10k: 1 },
    });
    expect(projection).toEqual({
      graphCalls: 2_500_000,
      transactions: 3_000_000,
      usd: Number(((2_000_000 * 0.001 + 1_000_000 * 0.1) / 10_000).toFixed(2)),
      graphBoundSeconds: Math.ceil(2_500_000 / (graphRequestsPer10sPerApp / 10)),
      storageBoundSeconds: Math.ceil(3_000_000 / storageRequestsPerSecond),
      hostsForOneHour: 3,
    });
  });
});
