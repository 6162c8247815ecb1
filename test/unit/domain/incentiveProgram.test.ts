import { describe, expect, it } from "vitest";
import {
  defaultIncentiveProgramId,
  getIncentiveProgram,
  incentivePrograms,
} from "../../../src/config/incentivePrograms";
import fy20Json from "../../../src/config/programs/fy20-osu-milestones.v1.json";
import hwmJson from "../../../src/config/programs/high-water-mark.v1.json";
import { NotFoundError, ValidationError } from "../../../src/domain/errors";
import { parseIncentiveProgram } from "../../../src/domain/incentiveProgram";
import type { IncentiveProgram, MilestoneProgram } from "../../../src/domain/incentiveProgram";
import { workloadCatalog, workloadIds } from "../../../src/domain/workloads";

const selectWorkloads = ["teams", "intune", "m365-apps", "information-protection"];

function milestoneProgram(): MilestoneProgram {
  const program = getIncentiveProgram("fy20-osu-milestones");
  if (program.kind !== "milestone") throw new Error("fy20-osu-milestones is not a milestone program");
  return program;
}

/** A copy of `json` with the dotted `path` set to `value` (removed when `value` is undefined). */
function patched(json: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(json) as Record<string, unknown>;
  const keys = path.split(".");
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] ?? "";
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** The issues `parseIncentiveProgram` throws for `json`, or fails the test when it parses. */
function issuesOf(json: unknown): { path: string; message: string }[] {
  try {
    parseIncentiveProgram(json);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return [...(err as ValidationError).issues];
  }
  throw new Error("expected a ValidationError");
}

describe("bundled incentive programs", () => {
  it.each([
    ["fy20-osu-milestones", "milestone"],
    ["high-water-mark", "high-water-mark"],
  ])("%s parses as a %s program", (id, kind) => {
    const program = getIncentiveProgram(id);
    expect(program).toMatchObject({ id, kind, version: 1, currency: "USD", payoutDayOfNextMonth: 16 });
    expect(program.notes).toMatch(/not publish/);
  });

  it.each([
    ["fy20-osu-milestones", fy20Json],
    ["high-water-mark", hwmJson],
  ])("%s in the registry is its JSON file parsed", (id, json) => {
    expect(getIncentiveProgram(id)).toEqual(parseIncentiveProgram(json));
  });

  it("lists every bundled program once, the default among them, frozen", () => {
    expect(incentivePrograms.map((p) => `${p.id} v${p.version}`)).toEqual([
      "fy20-osu-milestones v1",
      "high-water-mark v1",
    ]);
    expect(getIncentiveProgram(defaultIncentiveProgramId).id).toBe("fy20-osu-milestones");
    expect(Object.isFrozen(milestoneProgram().payments.teams)).toBe(true);
  });

  it.each(workloadIds.map((id) => [id]))(
    "FY20 pays active-15 for %s in every band it can fall in, active-40 only for the select four",
    (workload) => {
      const payments = milestoneProgram().payments[workload];
      const bands = workloadCatalog[workload].seatBands;
      expect(Object.keys(payments?.["active-15"] ?? {}).sort()).toEqual([...bands].sort());
      const active40 = payments?.["active-40"];
      if (selectWorkloads.includes(workload))
        expect(Object.keys(active40 ?? {}).sort()).toEqual([...bands].sort());
      else expect(active40).toBeUndefined();
    },
  );

  it.each(selectWorkloads.map((id) => [id]))(
    "FY20 pays more for active-40 than active-15 on %s, in every band",
    (workload) => {
      const payments = milestoneProgram().payments[workload as keyof MilestoneProgram["payments"]];
      for (const [band, amount] of Object.entries(payments?.["active-15"] ?? {})) {
        expect(payments?.["active-40"]?.[band as "smb"]).toBeGreaterThan(amount);
      }
    },
  );

  it.each(workloadIds.filter((id) => workloadCatalog[id].seatBands.includes("enterprise")).map((id) => [id]))(
    "FY20 pays the enterprise band more than SMB on %s",
    (workload) => {
      const active15 = milestoneProgram().payments[workload]?.["active-15"];
      expect(active15?.enterprise).toBeGreaterThan(active15?.smb ?? Infinity);
    },
  );

  it("the high-water-mark program rates every catalog workload and uses the 15% / 40% shares", () => {
    const program = getIncentiveProgram("high-water-mark");
    if (program.kind !== "high-water-mark") throw new Error("not a high-water-mark program");
    expect(Object.keys(program.ratePerUnit).sort()).toEqual([...workloadIds].sort());
    expect(program).toMatchObject({ qualifyingActiveShare: 0.15, ineligibleAtClaimAboveShare: 0.4 });
  });
});

describe("parseIncentiveProgram", () => {
  it.each([
    ["payoutDayOfNextMonth", 16],
    ["minimumPaidSeats", 0],
  ])("defaults %s to %s", (field, value) => {
    const program = parseIncentiveProgram(patched(fy20Json, field, undefined));
    expect(program[field as keyof IncentiveProgram]).toBe(value);
  });

  it.each([
    [
      "a milestone the workload does not define",
      fy20Json,
      "payments.exchange.active-40",
      { smb: 1, enterprise: 2 },
    ],
    ["a seat band the workload cannot fall in", fy20Json, "payments.intune.active-15.smb", 100],
    ["a band the workload can fall in left out", fy20Json, "payments.teams.active-15", { smb: 1 }],
    ["a negative amount", fy20Json, "payments.teams.active-15.smb", -5],
    ["an unknown milestone", fy20Json, "payments.teams.active-99", { smb: 1, enterprise: 2 }],
    ["an unknown workload", fy20Json, "payments.exchnage", { "active-15": { smb: 1, enterprise: 2 } }],
    ["an unknown seat band", fy20Json, "payments.teams.active-15.huge", 1],
    ["an unknown top-level key", fy20Json, "bonus", 1],
    ["a lower-case currency", fy20Json, "currency", "usd"],
    ["version 0", fy20Json, "version", 0],
    ["a non-date effectiveFrom", fy20Json, "effectiveFrom", "2019-13-01"],
    ["effectiveTo before effectiveFrom", fy20Json, "effectiveTo", "2019-06-30"],
    ["a payout day not in every month", fy20Json, "payoutDayOfNextMonth", 31],
    ["a negative rate", hwmJson, "ratePerUnit.teams", -1],
    ["a rate for an unknown workload", hwmJson, "ratePerUnit.bogus", 1],
    ["a share given as a percentage", hwmJson, "qualifyingActiveShare", 15],
    ["a milestone-only field in a high-water-mark program", hwmJson, "payments", {}],
    ["an unknown kind", hwmJson, "kind", "tiered"],
  ])("rejects %s, naming the path", (_case, json, path, value) => {
    expect(issuesOf(patched(json, path, value)).map((i) => i.path)).toContain(path);
  });

  it("reports every issue at once", () => {
    const json = patched(
      patched(fy20Json, "payments.exchange.active-40", { smb: 1, enterprise: 1 }),
      "version",
      0,
    );
    expect(issuesOf(json).map((i) => i.path)).toEqual(
      expect.arrayContaining(["version", "payments.exchange.active-40"]),
    );
  });

  it("says which milestones the workload defines", () => {
    const [issue] = issuesOf(patched(fy20Json, "payments.exchange.active-40", { smb: 1, enterprise: 1 }));
    expect(issue?.message).toMatch(/Exchange Online has no active-40 milestone/);
  });
});

describe("getIncentiveProgram", () => {
  it.each([
    ["an unknown id", "fy21-bonus", undefined, /"fy21-bonus" not found/],
    ["an unknown version", "fy20-osu-milestones", 7, /"fy20-osu-milestones" version 7 not found/],
  ])("throws NotFoundError for %s, listing the known programs", (_case, id, version, message) => {
    const lookUp = () => getIncentiveProgram(id, version);
    expect(lookUp).toThrow(NotFoundError);
    expect(lookUp).toThrow(message);
    expect(lookUp).toThrow(/fy20-osu-milestones v1, high-water-mark v1/);
  });

  it("returns the asked version", () => {
    expect(getIncentiveProgram("high-water-mark", 1).version).toBe(1);
  });
});
