import { describe, expect, it } from "vitest";
import { getIncentiveProgram } from "../../../src/config/incentivePrograms";
import type { Association } from "../../../src/domain/association";
import {
  expectedPayments,
  forecastAssociation,
  forecastWorkload,
  projectedEarning,
  summariseForecast,
  type ShareReading,
  type WorkloadReading,
} from "../../../src/domain/forecast";
import { cporRequest, draftAssociation } from "../../support/builders";

const fy20 = getIncentiveProgram("fy20-osu-milestones");
const hwm = getIncentiveProgram("high-water-mark");

/** Readings `[day, share]` counted from 1 January 2026 (day 0). */
const series = (...points: [day: number, share: number][]): ShareReading[] =>
  points.map(([day, activeShare]) => ({ reportRefreshDate: day0Plus(day), activeShare }));

function day0Plus(days: number): string {
  return new Date(Date.UTC(2026, 0, 1 + days)).toISOString().slice(0, 10);
}

const active15 = { key: "active-15", threshold: 0.15 };
const active40 = { key: "active-40", threshold: 0.4 };
/** Day 21, the latest reading's day in most cases: 180 days on is 21 July 2026. */
const today = "2026-01-22";

const forecast = (
  readings: ShareReading[],
  overrides: Partial<Parameters<typeof forecastWorkload>[0]> = {},
) => forecastWorkload({ readings, readingsToFit: 8, unreached: [active15, active40], today, ...overrides });

describe("forecastWorkload", () => {
  it("projects a rising series to the first whole day its fitted line reaches the next threshold", () => {
    // x̄ 10.5, ȳ 0.07, Sxy 0.49, Sxx 245: slope 0.002, intercept 0.049; 0.15 at day 50.5 → day 51.
    expect(forecast(series([0, 0.05], [7, 0.06], [14, 0.08], [21, 0.09]))).toEqual({
      readings: 4,
      trendPerDay: 0.002,
      latestShare: 0.09,
      nextMilestone: "active-15",
      threshold: 0.15,
      outcome: "projected",
      projectedOn: "2026-02-21",
      note: null,
    });
  });

  it("projects the very day a line meets the threshold exactly", () => {
    // 0.05 + (0.02 / 7) · 35 = 0.15 exactly: day 35, not 36 (floating point must not round it up).
    expect(forecast(series([0, 0.05], [7, 0.07], [14, 0.09], [21, 0.11]))).toMatchObject({
      trendPerDay: 0.002857,
      outcome: "projected",
      projectedOn: "2026-02-05",
    });
  });

  it("does not project a flat series", () => {
    expect(forecast(series([0, 0.1], [7, 0.1], [14, 0.1], [21, 0.1]))).toEqual({
      readings: 4,
      trendPerDay: 0,
      latestShare: 0.1,
      nextMilestone: "active-15",
      threshold: 0.15,
      outcome: "not-within-180-days",
      projectedOn: null,
      note: "not within 180 days",
    });
  });

  it("does not project a falling series", () => {
    // Slope −0.01 / 7 = −0.001428571….
    expect(forecast(series([0, 0.12], [7, 0.11], [14, 0.1], [21, 0.09]))).toMatchObject({
      trendPerDay: -0.001429,
      outcome: "not-within-180-days",
      projectedOn: null,
      note: "not within 180 days",
    });
  });

  it.each([
    ["no reading", [], null],
    ["two readings", series([0, 0.05], [7, 0.2]), 0.2],
  ])("needs three readings since approval (%s)", (_case, readings, latestShare) => {
    expect(forecast(readings)).toEqual({
      readings: readings.length,
      trendPerDay: null,
      latestShare,
      nextMilestone: "active-15",
      threshold: 0.15,
      outcome: "not-enough-readings",
      projectedOn: null,
      note: "not enough readings",
    });
  });

  it("fits a noisy rising series by least squares", () => {
    // x̄ 14, ȳ 0.08, Sxy 1.05, Sxx 490: slope 0.0021428…, intercept 0.05; 0.15 at day 46.67 → day 47.
    expect(forecast(series([0, 0.06], [7, 0.05], [14, 0.09], [21, 0.08], [28, 0.12]))).toMatchObject({
      readings: 5,
      trendPerDay: 0.002143,
      latestShare: 0.12,
      outcome: "projected",
      projectedOn: "2026-02-17",
    });
  });

  it("fits only the latest N readings, counting days from the first of them", () => {
    // Days 7–28 as x 0–21: x̄ 10.5, ȳ 0.085, Sxy 0.7, Sxx 245: slope 0.0028571…, intercept 0.055;
    // 0.15 at x 33.25 → x 34, 34 days after 8 January.
    const noisy = series([0, 0.06], [7, 0.05], [14, 0.09], [21, 0.08], [28, 0.12]);
    expect(forecast(noisy, { readingsToFit: 4 })).toMatchObject({
      readings: 4,
      trendPerDay: 0.002857,
      outcome: "projected",
      projectedOn: "2026-02-11",
    });
  });

  it.each([
    ["above it, even while falling", series([0, 0.2], [7, 0.18], [14, 0.16])],
    ["exactly at it", series([0, 0.09], [7, 0.12], [14, 0.15])],
  ])("projects the latest reading's date when that reading is %s", (_case, readings) => {
    expect(forecast(readings)).toMatchObject({
      nextMilestone: "active-15",
      outcome: "projected",
      projectedOn: "2026-01-15",
      note: null,
    });
  });

  it("never projects a day before the latest reading", () => {
    // x̄ 10.5, ȳ 0.11, Sxy 1.47, Sxx 245: slope 0.006, intercept 0.047; the line meets 0.15 at
    // day 17.2, before the latest reading (day 21, 0.14 read), so that reading's date.
    expect(forecast(series([0, 0.05], [7, 0.05], [14, 0.2], [21, 0.14]))).toMatchObject({
      trendPerDay: 0.006,
      outcome: "projected",
      projectedOn: "2026-01-22",
    });
  });

  it.each([
    // Slope 0.0005 from 0.05 at day 0; today is day 21, so day 201 (21 July) is the last projected.
    [0.15, "projected", "2026-07-20"],
    [0.1505, "projected", "2026-07-21"],
    [0.151, "not-within-180-days", null],
  ] as const)("projects a crossing at most 180 days after today (threshold %s)", (threshold, outcome, on) => {
    const slow = series([0, 0.05], [7, 0.0535], [14, 0.057], [21, 0.0605]);
    expect(forecast(slow, { unreached: [{ key: "active-15", threshold }] })).toMatchObject({
      trendPerDay: 0.0005,
      outcome,
      projectedOn: on,
    });
  });

  it("says when nothing is left to earn", () => {
    expect(forecast(series([0, 0.05], [7, 0.06], [14, 0.08]), { unreached: [] })).toEqual({
      readings: 3,
      trendPerDay: 0.002143,
      latestShare: 0.08,
      nextMilestone: null,
      threshold: null,
      outcome: "all-reached",
      projectedOn: null,
      note: null,
    });
  });

  it("aims at the lowest unreached threshold", () => {
    const readings = series([0, 0.2], [7, 0.25], [14, 0.3]);
    // Slope 0.1 / 14 = 0.0071428…, intercept 0.2: 0.4 at day 28.
    expect(forecast(readings, { unreached: [active40] })).toMatchObject({
      nextMilestone: "active-40",
      threshold: 0.4,
      projectedOn: "2026-01-29",
    });
  });
});

describe("projectedEarning", () => {
  const baseline = (paidSeats: number, activeUsers: number, highWaterMark = paidSeats) => ({
    approvedAt: "2026-01-01T09:00:00.000Z",
    workloads: { teams: { paidSeats, activeUsers, highWaterMark } },
  });
  const earning = (over: Partial<Parameters<typeof projectedEarning>[0]>) =>
    projectedEarning({
      program: fy20,
      workload: "teams",
      baseline: baseline(400, 20),
      recorded: [],
      next: active15,
      projectedOn: "2026-02-21",
      paidSeats: 400,
      ...over,
    });

  it.each([
    ["enterprise (400 seats)", 400, 4000],
    ["SMB (200 seats)", 200, 1000],
  ])(
    "pays the milestone program's amount for the band, on the 16th of the next month: %s",
    (_c, seats, amount) => {
      expect(earning({ paidSeats: seats, baseline: baseline(seats, 10) })).toEqual({
        milestoneKey: "active-15",
        units: 1,
        amount,
        currency: "USD",
        payableOn: "2026-03-16",
      });
    },
  );

  it("pays the next milestone, not one already recorded", () => {
    expect(earning({ next: active40, recorded: [{ workload: "teams", key: "active-15" }] })).toMatchObject({
      milestoneKey: "active-40",
      amount: 8000,
    });
  });

  it("pays the high-water-mark program the seats above the prior mark at the workload's rate", () => {
    // 350 paid seats, prior mark 300: 50 units × 4 USD.
    expect(
      earning({
        program: hwm,
        baseline: baseline(300, 20),
        paidSeats: 350,
        next: { key: "hwm", threshold: 0.15 },
      }),
    ).toEqual({ milestoneKey: "hwm-350", units: 50, amount: 200, currency: "USD", payableOn: "2026-03-16" });
  });

  it.each([
    ["a tenant below every seat band", { paidSeats: 5, baseline: baseline(5, 0) }],
    ["no seats above the high-water mark", { program: hwm, next: { key: "hwm", threshold: 0.15 } }],
  ])("is nothing for %s", (_case, over) => {
    expect(earning(over)).toBeUndefined();
  });
});

describe("forecastAssociation and expectedPayments", () => {
  const approved = (over: Partial<Association> = {}): Association =>
    draftAssociation("partner-a", {
      status: "Approved",
      request: cporRequest({ workloads: ["teams", "exchange"] }),
      baseline: {
        approvedAt: "2026-01-01T09:00:00.000Z",
        workloads: {
          teams: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 },
          exchange: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 },
        },
      },
      milestoneFlags: [],
      ...over,
    });
  const reading = (workload: "teams" | "exchange", day: number, activeUsers: number): WorkloadReading => ({
    workload,
    reportRefreshDate: day0Plus(day),
    paidSeats: 400,
    activeUsers,
  });
  /** Teams rising 20 → 36 active of 400 (5% → 9%) as the rising case; Exchange flat at 10%. */
  const readings = [
    reading("teams", -3, 200), // before approval: ignored
    reading("teams", 0, 20),
    reading("exchange", 0, 40),
    reading("teams", 7, 24),
    reading("exchange", 7, 40),
    reading("teams", 14, 32),
    reading("exchange", 14, 40),
    reading("teams", 21, 36),
    reading("exchange", 21, 40),
  ];
  const input = (over: Partial<Parameters<typeof forecastAssociation>[0]> = {}) => ({
    association: approved(),
    program: fy20,
    ledger: [],
    readings,
    readingsToFit: 8,
    today,
    ...over,
  });

  it("forecasts each claimed workload from its readings since approval", () => {
    expect(forecastAssociation(input()).map((f) => [f.workload, f.outcome, f.projectedOn])).toEqual([
      ["teams", "projected", "2026-02-21"],
      ["exchange", "not-within-180-days", null],
    ]);
  });

  it("aims past recorded milestones and those met at claim time, and says when none are left", () => {
    const association = approved({
      milestoneFlags: [{ workload: "teams", key: "active-40", reason: "exceeded-at-claim", message: "…" }],
    });
    const forecasts = forecastAssociation(
      input({ association, ledger: [{ workload: "exchange", milestoneKey: "active-15" }] }),
    );
    expect(forecasts.map((f) => [f.workload, f.nextMilestone, f.outcome])).toEqual([
      ["teams", "active-15", "projected"],
      ["exchange", null, "all-reached"],
    ]);
  });

  it.each([
    ["not Approved", approved({ status: "Submitted" })],
    ["without a baseline", approved({ baseline: undefined })],
  ])("is empty for an association %s", (_case, association) => {
    expect(forecastAssociation(input({ association }))).toEqual([]);
    expect(expectedPayments(input({ association }), 90)).toEqual([]);
  });

  it("values the crossings projected within the window, with the latest paid seats", () => {
    expect(expectedPayments(input(), 90)).toEqual([
      {
        workload: "teams",
        milestoneKey: "active-15",
        projectedOn: "2026-02-21",
        amount: 4000,
        currency: "USD",
        payableOn: "2026-03-16",
      },
    ]);
    // 21 February is 30 days after today: inside a 30-day window, outside a 29-day one.
    expect(expectedPayments(input(), 30)).toHaveLength(1);
    expect(expectedPayments(input(), 29)).toEqual([]);
  });
});

describe("summariseForecast", () => {
  const item = (inDays: number, amount: number, currency: string, payableOn: string) => ({
    projectedOn: new Date(Date.UTC(2026, 0, 22 + inDays)).toISOString().slice(0, 10),
    amount,
    currency,
    payableOn,
  });

  it("sums cumulative 30/60/90-day windows and payments by payable month, per currency", () => {
    const items = [
      item(10, 100, "USD", "2026-03-16"),
      item(30, 200.25, "USD", "2026-03-16"),
      item(45, 50, "EUR", "2026-04-16"),
      item(45, 300, "USD", "2026-04-16"),
      item(90, 400, "USD", "2026-05-16"),
    ];
    expect(summariseForecast(items, today)).toEqual({
      windows: [
        { days: 30, milestones: 2, amounts: [{ currency: "USD", amount: 300.25 }] },
        {
          days: 60,
          milestones: 4,
          amounts: [
            { currency: "EUR", amount: 50 },
            { currency: "USD", amount: 600.25 },
          ],
        },
        {
          days: 90,
          milestones: 5,
          amounts: [
            { currency: "EUR", amount: 50 },
            { currency: "USD", amount: 1000.25 },
          ],
        },
      ],
      payments: [
        { month: "2026-03", currency: "USD", amount: 300.25, count: 2 },
        { month: "2026-04", currency: "EUR", amount: 50, count: 1 },
        { month: "2026-04", currency: "USD", amount: 300, count: 1 },
        { month: "2026-05", currency: "USD", amount: 400, count: 1 },
      ],
    });
  });

  it("has empty windows and no payments without items", () => {
    expect(summariseForecast([], today)).toEqual({
      windows: [
        { days: 30, milestones: 0, amounts: [] },
        { days: 60, milestones: 0, amounts: [] },
        { days: 90, milestones: 0, amounts: [] },
      ],
      payments: [],
    });
  });
});
