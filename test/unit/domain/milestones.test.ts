import { describe, expect, it } from "vitest";
import { getIncentiveProgram } from "../../../src/config/incentivePrograms";
import { ValidationError } from "../../../src/domain/errors";
import type { IncentiveProgram } from "../../../src/domain/incentiveProgram";
import { evaluateMilestones } from "../../../src/domain/milestones";
import type {
  BaselineUsage,
  EvaluateMilestonesInput,
  MilestoneEvaluation,
  WorkloadUsage,
} from "../../../src/domain/milestones";
import type { WorkloadId } from "../../../src/domain/workloads";

const fy20 = getIncentiveProgram("fy20-osu-milestones");
const hwm = getIncentiveProgram("high-water-mark");

type Usages = Partial<Record<WorkloadId, WorkloadUsage>>;
type Baselines = Partial<Record<WorkloadId, BaselineUsage>>;
type Recorded = EvaluateMilestonesInput["recorded"];

const use = (paidSeats: number, activeUsers: number): WorkloadUsage => ({ paidSeats, activeUsers });
const base = (paidSeats: number, activeUsers: number, highWaterMark = paidSeats): BaselineUsage => ({
  paidSeats,
  activeUsers,
  highWaterMark,
});
const rec = (workload: WorkloadId, ...keys: string[]): Recorded => keys.map((key) => ({ workload, key }));

/** Teams with 200 paid seats, 5% active at approval: below every threshold. */
const quietTeams: Baselines = { teams: base(200, 10) };

interface Case {
  claimed?: WorkloadId[];
  baseline?: Baselines;
  reading: Usages;
  recorded?: Recorded;
  date?: string;
}

function input(program: IncentiveProgram, c: Case): EvaluateMilestonesInput {
  return {
    program,
    claimedWorkloads: c.claimed ?? ["teams"],
    baseline: { approvedAt: "2024-03-01T09:30:00Z", workloads: c.baseline ?? quietTeams },
    reading: { reportRefreshDate: c.date ?? "2024-04-03", workloads: c.reading },
    recorded: c.recorded ?? [],
  };
}

const evaluate = (program: IncentiveProgram, c: Case): MilestoneEvaluation =>
  evaluateMilestones(input(program, c));
/** `workload:key=amount` per reached milestone, in output order. */
const paid = (program: IncentiveProgram, c: Case) =>
  evaluate(program, c).reached.map((r) => `${r.workload}:${r.key}=${r.amount}`);
/** `workload:key:reason` per flag, in output order. */
const flagged = (program: IncentiveProgram, c: Case) =>
  evaluate(program, c).flags.map((f) => `${f.workload}:${f.key}:${f.reason}`);

/** Evaluates teams readings in turn, recording what each reaches as the orchestrator would: `key=amount` per reading. */
function inTurn(program: IncentiveProgram, readings: WorkloadUsage[]): string[][] {
  const recorded: { workload: WorkloadId; key: string }[] = [];
  return readings.map((teams) => {
    const reached = evaluate(program, { reading: { teams }, recorded }).reached;
    recorded.push(...reached.map((r) => ({ workload: r.workload, key: r.key })));
    return reached.map((r) => `${r.key}=${r.amount}`);
  });
}

describe("evaluateMilestones, FY20 milestone program", () => {
  it.each<[string, Case, string[]]>([
    ["0 paid seats", { reading: { teams: use(0, 0) } }, []],
    ["0 paid seats with active users", { reading: { teams: use(0, 50) } }, []],
    ["usage below 15%", { reading: { teams: use(200, 29) } }, []],
    ["teams at exactly 15% (smb)", { reading: { teams: use(200, 30) } }, ["teams:active-15=1000"]],
    [
      "teams at 40% once 15% is recorded",
      { reading: { teams: use(200, 80) }, recorded: rec("teams", "active-15") },
      ["teams:active-40=2000"],
    ],
    [
      "teams jumping past both, ascending",
      { reading: { teams: use(200, 90) } },
      ["teams:active-15=1000", "teams:active-40=2000"],
    ],
    [
      "teams enterprise band",
      { baseline: { teams: base(500, 0) }, reading: { teams: use(500, 250) } },
      ["teams:active-15=4000", "teams:active-40=8000"],
    ],
    [
      "exchange at 15% (no 40% exists)",
      { claimed: ["exchange"], baseline: {}, reading: { exchange: use(400, 380) } },
      ["exchange:active-15=2000"],
    ],
    [
      "intune in the security band",
      { claimed: ["intune"], baseline: {}, reading: { intune: use(30, 15) } },
      ["intune:active-15=1500", "intune:active-40=3000"],
    ],
    [
      "both milestones already recorded",
      { reading: { teams: use(200, 150) }, recorded: rec("teams", "active-15", "active-40") },
      [],
    ],
    [
      "a key recorded for another workload",
      { reading: { teams: use(200, 40) }, recorded: rec("exchange", "active-15") },
      ["teams:active-15=1000"],
    ],
    [
      "active users above paid seats",
      { reading: { teams: use(200, 260) } },
      ["teams:active-15=1000", "teams:active-40=2000"],
    ],
  ])("%s", (_case, c, expected) => {
    expect(paid(fy20, c)).toEqual(expected);
  });

  it.each<[string, WorkloadUsage[], string[][]]>([
    [
      "crossing 15% then 40% on teams, each paid once",
      [use(200, 20), use(200, 35), use(200, 60), use(200, 85), use(200, 120)],
      [[], ["active-15=1000"], [], ["active-40=2000"], []],
    ],
    [
      "usage dropping then rising again pays once",
      [use(200, 40), use(200, 10), use(200, 40), use(200, 5), use(200, 100)],
      [["active-15=1000"], [], [], [], ["active-40=2000"]],
    ],
  ])("successive readings: %s", (_case, readings, expected) => {
    expect(inTurn(fy20, readings)).toEqual(expected);
  });

  it.each<[string, Case, string[], string[]]>([
    [
      "15% already met at claim: flag it, 40% still pays",
      { baseline: { teams: base(200, 50) }, reading: { teams: use(200, 90) } },
      ["teams:active-40=2000"],
      ["teams:active-15:exceeded-at-claim"],
    ],
    [
      "40% already met at claim: both flagged, nothing pays",
      { baseline: { teams: base(200, 80) }, reading: { teams: use(200, 150) } },
      [],
      ["teams:active-15:exceeded-at-claim", "teams:active-40:exceeded-at-claim"],
    ],
    [
      "flagged even while usage is below the threshold",
      { baseline: { teams: base(200, 50) }, reading: { teams: use(200, 20) } },
      [],
      ["teams:active-15:exceeded-at-claim"],
    ],
    [
      "teams too small for any band",
      { baseline: {}, reading: { teams: use(8, 4) } },
      [],
      ["teams:active-15:below-seat-band", "teams:active-40:below-seat-band"],
    ],
    [
      "intune under the 25-seat security band",
      { claimed: ["intune"], baseline: {}, reading: { intune: use(20, 4) } },
      [],
      ["intune:active-15:below-seat-band"],
    ],
    [
      "too small but below the threshold: nothing to say",
      { baseline: {}, reading: { teams: use(8, 1) } },
      [],
      [],
    ],
  ])("%s", (_case, c, expectedPaid, expectedFlags) => {
    expect(paid(fy20, c)).toEqual(expectedPaid);
    expect(flagged(fy20, c)).toEqual(expectedFlags);
  });

  it("applies the older rule ignoring tenants under minimumPaidSeats", () => {
    const program = { ...fy20, minimumPaidSeats: 150 };
    const c: Case = { reading: { teams: use(149, 40) } };
    expect(paid(program, c)).toEqual([]);
    expect(flagged(program, c)).toEqual(["teams:active-15:below-seat-band"]);
    expect(evaluate(program, c).flags[0]?.message).toMatch(/under 150 paid seats/);
    expect(paid(program, { reading: { teams: use(150, 40) } })).toEqual(["teams:active-15=1000"]);
  });

  it("describes a reached milestone in full", () => {
    expect(evaluate(fy20, { reading: { teams: use(200, 35) } }).reached).toEqual([
      {
        workload: "teams",
        key: "active-15",
        kind: "milestone",
        activeShare: 0.175,
        paidSeats: 200,
        activeUsers: 35,
        seatBand: "smb",
        units: 1,
        amount: 1000,
        currency: "USD",
        reportRefreshDate: "2024-04-03",
        payableOn: "2024-05-16",
      },
    ]);
  });
});

describe("evaluateMilestones, high-water-mark program (baseline: 200 seats, mark 200, 5% active)", () => {
  it.each<[string, Case, string[]]>([
    ["0 paid seats", { baseline: {}, reading: { teams: use(0, 0) } }, []],
    ["no growth above the mark", { reading: { teams: use(200, 150) } }, []],
    ["growth but under 15% active", { reading: { teams: use(220, 32) } }, []],
    ["growth at exactly 15% active", { reading: { teams: use(220, 33) } }, ["teams:hwm-220=80"]],
    [
      "growth above 40% active (only the claim-time share bars)",
      { reading: { teams: use(250, 110) }, recorded: rec("teams", "hwm-220") },
      ["teams:hwm-250=120"],
    ],
    [
      "exchange at 15% (enterprise)",
      { claimed: ["exchange"], baseline: { exchange: base(300, 30) }, reading: { exchange: use(400, 60) } },
      ["exchange:hwm-400=200"],
    ],
    [
      "prior mark above the seats at approval",
      { baseline: { teams: base(200, 10, 300) }, reading: { teams: use(320, 60) } },
      ["teams:hwm-320=80"],
    ],
    [
      "seats at approval above a stale mark",
      { baseline: { teams: base(200, 10, 150) }, reading: { teams: use(210, 60) } },
      ["teams:hwm-210=40"],
    ],
    [
      "the same mark already recorded",
      { reading: { teams: use(250, 60) }, recorded: rec("teams", "hwm-250") },
      [],
    ],
    [
      "a recorded mark for another workload",
      { reading: { teams: use(250, 60) }, recorded: rec("exchange", "hwm-900") },
      ["teams:hwm-250=200"],
    ],
    [
      "a 15% share at claim (under 40%) still earns",
      { baseline: { teams: base(200, 60) }, reading: { teams: use(210, 60) } },
      ["teams:hwm-210=40"],
    ],
  ])("%s", (_case, c, expected) => {
    expect(paid(hwm, c)).toEqual(expected);
  });

  it.each<[string, WorkloadUsage[], string[][]]>([
    [
      "crossing 15% then 40% on teams pays the growth each time",
      [use(210, 20), use(220, 40), use(230, 100), use(230, 120), use(260, 120)],
      [[], ["hwm-220=80"], ["hwm-230=40"], [], ["hwm-260=120"]],
    ],
    [
      "seats dropping then rising pay only the growth above the previous peak",
      [use(250, 60), use(230, 100), use(250, 100), use(265, 100)],
      [["hwm-250=200"], [], [], ["hwm-265=60"]],
    ],
    [
      "usage dropping under 15% then rising pays the seats added meanwhile, once",
      [use(220, 40), use(240, 20), use(240, 40), use(240, 40)],
      [["hwm-220=80"], [], ["hwm-240=80"], []],
    ],
  ])("successive readings: %s", (_case, readings, expected) => {
    expect(inTurn(hwm, readings)).toEqual(expected);
  });

  it.each<[string, Case, string[], string[]]>([
    [
      "above 40% at claim: flagged, growth earns nothing",
      { baseline: { teams: base(200, 90) }, reading: { teams: use(300, 150) } },
      [],
      ["teams:hwm:exceeded-at-claim"],
    ],
    [
      "exactly 40% at claim is at the threshold",
      { baseline: { teams: base(200, 80) }, reading: { teams: use(300, 150) } },
      [],
      ["teams:hwm:exceeded-at-claim"],
    ],
    [
      "only the workload above 40% at claim is barred",
      {
        claimed: ["teams", "exchange"],
        baseline: { teams: base(200, 90), exchange: base(100, 10) },
        reading: { teams: use(300, 150), exchange: use(120, 30) },
      },
      ["exchange:hwm-120=40"],
      ["teams:hwm:exceeded-at-claim"],
    ],
    [
      "teams too small for any band",
      { baseline: {}, reading: { teams: use(8, 4) } },
      [],
      ["teams:hwm:below-seat-band"],
    ],
    [
      "intune under the 25-seat security band",
      { claimed: ["intune"], baseline: {}, reading: { intune: use(20, 4) } },
      [],
      ["intune:hwm:below-seat-band"],
    ],
  ])("%s", (_case, c, expectedPaid, expectedFlags) => {
    expect(paid(hwm, c)).toEqual(expectedPaid);
    expect(flagged(hwm, c)).toEqual(expectedFlags);
  });

  it("pays a tenant outside every band, with no band, when the program does not require one", () => {
    const program = { ...hwm, requireSeatBand: false };
    expect(evaluate(program, { baseline: {}, reading: { teams: use(8, 4) } }).reached).toEqual([
      expect.objectContaining({ key: "hwm-8", units: 8, amount: 32, seatBand: null }),
    ]);
  });

  it("rounds amounts to cents", () => {
    const program = { ...hwm, ratePerUnit: { teams: 1.1 } }; // 13 × 1.1 is 14.300000000000001 in floating point
    expect(paid(program, { baseline: {}, reading: { teams: use(13, 13) } })).toEqual(["teams:hwm-13=14.3"]);
  });

  it("describes a reached high-water mark in full", () => {
    expect(evaluate(hwm, { reading: { teams: use(240, 60) } }).reached).toEqual([
      {
        workload: "teams",
        key: "hwm-240",
        kind: "high-water-mark",
        activeShare: 0.25,
        paidSeats: 240,
        activeUsers: 60,
        seatBand: "smb",
        units: 40,
        amount: 160,
        currency: "USD",
        reportRefreshDate: "2024-04-03",
        payableOn: "2024-05-16",
      },
    ]);
  });
});

describe.each([
  ["FY20 milestones", fy20, use(200, 100)],
  ["high-water mark", hwm, use(250, 100)],
])("evaluateMilestones, either program (%s)", (_name, program, paying) => {
  it.each([
    ["mid-month", "2024-04-03", "2024-05-16"],
    ["on the last day of a month", "2024-03-31", "2024-04-16"],
    ["in December, into January", "2024-12-31", "2025-01-16"],
  ])("pays a reading refreshed %s on the 16th of the next month", (_case, date, payableOn) => {
    const reached = evaluate(program, { reading: { teams: paying }, date }).reached;
    expect(reached.length).toBeGreaterThan(0);
    expect(new Set(reached.map((r) => r.payableOn))).toEqual(new Set([payableOn]));
  });

  it("uses the program's payout day", () => {
    const reached = evaluate({ ...program, payoutDayOfNextMonth: 3 }, { reading: { teams: paying } }).reached;
    expect(reached[0]?.payableOn).toBe("2024-05-03");
  });

  it.each<[string, Case]>([
    [
      "unclaimed workloads in the reading",
      { claimed: ["exchange"], baseline: {}, reading: { teams: paying } },
    ],
    ["a claimed workload missing from the reading", { reading: { exchange: use(400, 400) } }],
    ["a reading refreshed before the approval date", { reading: { teams: paying }, date: "2024-02-29" }],
    ["no claimed workloads", { claimed: [], reading: { teams: paying } }],
  ])("ignores %s", (_case, c) => {
    expect(evaluate(program, c)).toEqual({ reached: [], flags: [] });
  });

  it("counts a reading refreshed on the approval date", () => {
    expect(evaluate(program, { reading: { teams: paying }, date: "2024-03-01" }).reached).not.toEqual([]);
  });

  it("follows the claimed workload order, each workload once, each evaluated on its own", () => {
    const shared = {
      baseline: { intune: base(30, 15), exchange: base(400, 10), teams: base(200, 10) },
      reading: { intune: use(30, 15), exchange: use(500, 450), teams: paying },
    };
    const alone = (w: WorkloadId) => evaluate(program, { ...shared, claimed: [w] });
    const together = evaluate(program, { ...shared, claimed: ["intune", "exchange", "teams", "exchange"] });
    const parts = (["intune", "exchange", "teams"] as const).map(alone);
    expect(together).toEqual({
      reached: parts.flatMap((p) => p.reached),
      flags: parts.flatMap((p) => p.flags),
    });
    expect(together.reached.map((r) => r.workload)[0]).toBe("exchange");
    expect(together.flags.map((f) => f.workload)).toContain("intune");
  });

  it("gives the same answer for the same input, and leaves the input alone", () => {
    const c: Case = {
      claimed: ["exchange", "teams", "intune"],
      baseline: { teams: base(200, 90), exchange: base(300, 10), intune: base(0, 0) },
      reading: { teams: use(260, 200), exchange: use(400, 120), intune: use(10, 10) },
      recorded: rec("exchange", "active-40"),
    };
    const first = input(program, c);
    const snapshot = structuredClone(first);
    const once = evaluateMilestones(first);
    expect(evaluateMilestones(first)).toEqual(once);
    expect(evaluateMilestones(structuredClone(snapshot))).toEqual(once);
    expect(once.flags.length).toBeGreaterThan(0);
    expect(first).toEqual(snapshot);
  });

  it.each<[string, Case, string]>([
    ["negative paid seats", { reading: { teams: use(-1, 0) } }, "reading.workloads.teams.paidSeats"],
    ["negative active users", { reading: { teams: use(10, -3) } }, "reading.workloads.teams.activeUsers"],
    [
      "infinite active users",
      { reading: { teams: use(10, Infinity) } },
      "reading.workloads.teams.activeUsers",
    ],
    ["NaN active users", { reading: { teams: use(10, NaN) } }, "reading.workloads.teams.activeUsers"],
    ["fractional paid seats", { reading: { teams: use(10.5, 1) } }, "reading.workloads.teams.paidSeats"],
    [
      "a negative baseline mark",
      { baseline: { teams: base(10, 1, -1) }, reading: {} },
      "baseline.workloads.teams.highWaterMark",
    ],
    ["a refresh date that is not a date", { reading: {}, date: "2024-02-30" }, "reading.reportRefreshDate"],
    [
      "an unknown claimed workload",
      { claimed: ["teams", "skype" as WorkloadId], reading: {} },
      "claimedWorkloads.1",
    ],
  ])("rejects %s, naming the field", (_case, c, path) => {
    const run = () => evaluate(program, c);
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(path);
  });
});
