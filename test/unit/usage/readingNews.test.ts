import { describe, expect, it } from "vitest";
import { newsOf } from "../../../src/app/milestones";
import type { Association } from "../../../src/domain/association";
import type { UsageReading } from "../../../src/domain/lifecycle";
import { projectRecorded, type RecordedMilestone } from "../../../src/domain/milestoneRules";
import { cporRequest, draftAssociation } from "../../support/builders";

/**
 * Whether the poller raises a reading (`newsOf`): only what recordMilestones would change, judged by
 * the same evaluation, against the association's projection of its ledger.
 */
const approvedAt = "2026-11-10T09:00:00.000Z";

function approved(
  programId: "fy20-osu-milestones" | "high-water-mark",
  overrides: Partial<Association> = {},
): Association {
  return draftAssociation("partner-a", {
    status: "Approved",
    request: cporRequest({ workloads: ["teams"] }),
    units: ["workload:teams"],
    incentiveProgramId: programId,
    incentiveProgramVersion: 1,
    baseline: { approvedAt, workloads: { teams: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 } } },
    milestoneFlags: [],
    recordedMilestones: [],
    ...overrides,
  });
}

const teams = (paidSeats: number, activeUsers: number, date = "2026-11-12"): UsageReading => ({
  reportRefreshDate: date,
  workloads: { teams: { paidSeats, activeUsers } },
});

const news = (a: Association, reading: UsageReading, recorded: RecordedMilestone[] = []) =>
  newsOf(a, reading, recorded, "fy20-osu-milestones");

describe("newsOf: milestone program", () => {
  it.each([
    ["below every threshold", teams(400, 40), [], undefined],
    ["a milestone not recorded", teams(400, 80), [], "milestone"],
    ["a milestone recorded", teams(400, 80), [{ workload: "teams", key: "active-15" }], undefined],
    ["the next milestone", teams(400, 170), [{ workload: "teams", key: "active-15" }], "milestone"],
    ["a reading refreshed before approval", teams(400, 170, "2026-11-09"), [], undefined],
    [
      "a workload the association does not claim",
      { reportRefreshDate: "2026-11-12", workloads: { exchange: { paidSeats: 400, activeUsers: 200 } } },
      [],
      undefined,
    ],
  ] as const)("%s", (_what, reading, recorded, expected) => {
    expect(news(approved("fy20-osu-milestones"), reading, [...recorded])).toBe(expected);
  });

  it("a flag not stored is news; the same flag stored is not", () => {
    const few = teams(8, 4); // 50 % active, but 8 seats fit no seat band
    expect(news(approved("fy20-osu-milestones"), few)).toBe("flag");
    const flagged = approved("fy20-osu-milestones", {
      milestoneFlags: [
        { workload: "teams", key: "active-15", reason: "below-seat-band", message: "too few" },
        { workload: "teams", key: "active-40", reason: "below-seat-band", message: "too few" },
      ],
    });
    expect(news(flagged, few)).toBeUndefined();
  });

  it("nothing left to earn is news, whatever the reading", () => {
    const all: RecordedMilestone[] = [
      { workload: "teams", key: "active-15" },
      { workload: "teams", key: "active-40" },
    ];
    expect(news(approved("fy20-osu-milestones"), teams(400, 10), all)).toBe("nothing-left");
  });

  it("an association without a baseline cannot be judged here: its lifecycle hears of it", () => {
    expect(news(approved("fy20-osu-milestones", { baseline: undefined }), teams(400, 10))).toBe(
      "no-baseline",
    );
  });
});

describe("newsOf: high-water-mark program", () => {
  const hwm = approved("high-water-mark");
  it.each([
    ["seats at the mark", teams(400, 100), [], undefined],
    ["seats above the mark, usage qualifying", teams(450, 100), [], "milestone"],
    [
      "seats above the mark, paid already",
      teams(450, 100),
      [{ workload: "teams", key: "hwm-450" }],
      undefined,
    ],
    ["seats above the last paid mark", teams(500, 100), [{ workload: "teams", key: "hwm-450" }], "milestone"],
  ] as const)("%s", (_what, reading, recorded, expected) => {
    expect(news(hwm, reading, [...recorded])).toBe(expected);
  });
});

describe("projectRecorded", () => {
  it("keeps each milestone once, by workload then key, and only the highest high-water mark", () => {
    expect(
      projectRecorded([
        { workload: "teams", key: "hwm-450" },
        { workload: "exchange", key: "active-15" },
        { workload: "teams", key: "hwm-500" },
        { workload: "exchange", key: "active-15" },
        { workload: "exchange", key: "hwm-90" },
        { workload: "teams", key: "active-15" },
      ]),
    ).toEqual([
      { workload: "exchange", key: "active-15" },
      { workload: "exchange", key: "hwm-90" },
      { workload: "teams", key: "active-15" },
      { workload: "teams", key: "hwm-500" },
    ]);
  });

  it("judges a reading as the whole ledger would", () => {
    const ledger: RecordedMilestone[] = [
      { workload: "teams", key: "hwm-420" },
      { workload: "teams", key: "hwm-450" },
    ];
    const hwm = approved("high-water-mark");
    for (const seats of [440, 450, 460])
      expect(news(hwm, teams(seats, 100), projectRecorded(ledger))).toBe(
        news(hwm, teams(seats, 100), ledger),
      );
  });
});
