import { describe, expect, it } from "vitest";
import { earnedGrids, gridSummary, money, moneyList } from "../../../dashboard/src/incentives/figures";
import type { IncentiveEntry } from "../../../dashboard/src/types";

const entry = (
  workload: IncentiveEntry["workload"],
  earnedAt: string,
  amount: number,
  currency = "USD",
): IncentiveEntry => ({
  associationId: "a1",
  customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
  workload,
  milestoneKey: "active-15",
  programId: "p",
  programVersion: 1,
  units: 1,
  amount,
  currency,
  reportRefreshDate: earnedAt.slice(0, 10),
  earnedAt,
  payableOn: "2027-01-25",
});

describe("incentive figures", () => {
  it("writes money with two decimals, grouped, then the currency", () => {
    expect(money(1250.5, "USD")).toBe("1,250.50 USD");
    expect(money(0, "EUR")).toBe("0.00 EUR");
    expect(moneyList([])).toBe("nothing");
    expect(
      moneyList([
        { amount: 1, currency: "EUR" },
        { amount: 2, currency: "USD" },
      ]),
    ).toBe("1.00 EUR, 2.00 USD");
  });

  it("grids earnings by month earned (UTC) and workload, one grid per currency, zeros where nothing was earned", () => {
    const grids = earnedGrids([
      entry("teams", "2026-11-30T23:59:59.000Z", 0.1),
      entry("teams", "2026-11-02T00:00:00.000Z", 0.2),
      entry("exchange", "2026-12-01T00:00:00.000Z", 5),
      entry("teams", "2026-10-01T00:00:00.000Z", 7, "EUR"),
    ]);
    expect(grids).toEqual([
      { currency: "EUR", months: ["2026-10"], workloads: ["teams"], amounts: [[7]], monthTotals: [7] },
      {
        currency: "USD",
        months: ["2026-11", "2026-12"],
        workloads: ["exchange", "teams"],
        amounts: [
          [0, 5],
          [0.3, 0],
        ],
        monthTotals: [0.3, 5],
      },
    ]);
    expect(gridSummary(grids[1]!)).toBe(
      "Incentives earned in USD by month and workload. 2026-11: 0.30 USD; 2026-12: 5.00 USD.",
    );
  });

  it("has no grid for an empty ledger", () => {
    expect(earnedGrids([])).toEqual([]);
  });
});
