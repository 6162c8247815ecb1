import { z } from "zod";
import { ValidationError } from "./errors";
import type { FieldIssue } from "./errors";
import { isoDate, longText, shortText } from "./schemas/primitives";
import { milestoneId, seatBandIds, workloadCatalog, workloadId } from "./workloads";
import type { MilestoneId, SeatBandId, WorkloadId } from "./workloads";

/**
 * Incentive programs are versioned JSON files (src/config/programs/<id>.v<version>.json): Microsoft
 * changes the rules and amounts every fiscal year and does not publish the amounts, so no number in
 * them may live in code. Two models exist (domain.md, "Incentives and milestones"):
 * - `milestone`: the seed's FY20 Online Services Usage model, a one-time payment per workload
 *   milestone (active users ÷ paid seats reaching the catalog's 15% / 40%), by seat band;
 * - `high-water-mark`: the current model, paying per compensable seat (paid seats above the prior
 *   high-water mark) while usage qualifies.
 * Which milestones exist and which seat bands a workload can fall in come from the workload catalog;
 * a program only says what they pay, and `parseIncentiveProgram` rejects payments the catalog cannot produce.
 */

/** A program ID: kebab-case, stable across versions (the version is a separate field). */
const programId = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be kebab-case (a-z, 0-9, single hyphens)")
  .max(64);

/** ISO 4217 code; amounts are in the currency's major unit (e.g. dollars, not cents). */
const currency = z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 currency code (3 capital letters)");

const amount = z.number().nonnegative("must not be negative");

/** A share of paid seats, as a fraction: 0.15 is 15%. */
const share = z.number().gt(0, "must be above 0").lte(1, "must be at most 1 (a fraction, 0.15 = 15%)");

/** Fields every program version carries, whatever its model. */
const programFields = {
  id: programId,
  version: z.number().int("must be a whole number").min(1, "must be at least 1"),
  name: shortText(),
  currency,
  effectiveFrom: isoDate,
  effectiveTo: isoDate.optional(),
  /** Where the numbers come from (they are configuration, not published figures). */
  notes: longText(),
  /** The older rule that ignores small tenants (domain.md mentions 150 paid seats); 0 = no such rule. */
  minimumPaidSeats: z.number().int("must be a whole number").nonnegative("must not be negative").default(0),
  /** "Monthly earnings are available by the 16th of the next month"; ≤ 28 so every month has the day. */
  payoutDayOfNextMonth: z.number().int("must be a whole number").min(1).max(28).default(16),
};

/** Amount per seat band; which bands are required depends on the workload (checked below). */
const bandAmounts = z.partialRecord(z.enum(seatBandIds), amount);

/** Workload → milestone → seat band → one-time amount. A workload left out is not paid by the program. */
const milestonePayments = z
  .partialRecord(workloadId, z.partialRecord(milestoneId, bandAmounts))
  .superRefine((payments, ctx) => {
    for (const issue of milestonePaymentIssues(payments)) ctx.addIssue({ code: "custom", ...issue });
  });

export const milestoneProgram = z
  .object({
    kind: z.literal("milestone"),
    ...programFields,
    payments: milestonePayments,
  })
  .strict()
  .superRefine(checkEffectiveDates);

export const highWaterMarkProgram = z
  .object({
    kind: z.literal("high-water-mark"),
    ...programFields,
    /** Amount per compensable seat (paid seats above the prior high-water mark), per workload. */
    ratePerUnit: z.partialRecord(workloadId, amount).refine((rates) => Object.keys(rates).length > 0, {
      message: "must give a rate for at least one workload",
    }),
    /** A reading pays only when active users ÷ paid seats is at least this share. */
    qualifyingActiveShare: share,
    /** A workload whose share at approval is at or above this earns nothing ("already above 40%"). */
    ineligibleAtClaimAboveShare: share,
    /** Whether a tenant must fall in one of the workload's seat bands to earn (domain.md's bands). */
    requireSeatBand: z.boolean().default(true),
  })
  .strict()
  .superRefine(checkEffectiveDates);

export const incentiveProgram = z.discriminatedUnion("kind", [milestoneProgram, highWaterMarkProgram]);

/** A parsed program, defaults applied. */
export type IncentiveProgram = z.infer<typeof incentiveProgram>;
export type MilestoneProgram = z.infer<typeof milestoneProgram>;
export type HighWaterMarkProgram = z.infer<typeof highWaterMarkProgram>;
/** A program as written in its JSON file (defaults may be left out). */
export type IncentiveProgramFile = z.input<typeof incentiveProgram>;
export type IncentiveProgramKind = IncentiveProgram["kind"];

/**
 * Parses a program file. Throws ValidationError listing every issue at once, each with a dotted path
 * (`payments.exchange.active-40`, `ratePerUnit.teams`); an unknown key is named as its own path.
 */
export function parseIncentiveProgram(json: unknown): IncentiveProgram {
  const result = incentiveProgram.safeParse(json);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.flatMap(toFieldIssues), { cause: result.error });
}

/** Payments the catalog cannot produce, and bands a paid milestone forgets (0 says "pays nothing"). */
function milestonePaymentIssues(
  payments: Partial<Record<WorkloadId, Partial<Record<MilestoneId, Partial<Record<SeatBandId, number>>>>>>,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const paid = Object.entries(payments) as [WorkloadId, Partial<Record<MilestoneId, object>>][];
  if (paid.length === 0) issues.push({ path: [], message: "must pay at least one workload" });
  for (const [workload, milestones] of paid) {
    const entry = workloadCatalog[workload];
    const defined = entry.milestones.map((m) => m.id);
    for (const [milestone, bands] of Object.entries(milestones) as [MilestoneId, object][]) {
      if (!defined.includes(milestone)) {
        issues.push({
          path: [workload, milestone],
          message: `${entry.name} has no ${milestone} milestone (it defines ${defined.join(", ")})`,
        });
        continue;
      }
      const given = Object.keys(bands) as SeatBandId[];
      for (const band of given.filter((b) => !entry.seatBands.includes(b))) {
        issues.push({
          path: [workload, milestone, band],
          message: `${entry.name} tenants never fall in the ${band} band (only ${entry.seatBands.join(", ")})`,
        });
      }
      const missing = entry.seatBands.filter((b) => !given.includes(b));
      if (missing.length > 0) {
        issues.push({
          path: [workload, milestone],
          message: `must give an amount for seat band ${missing.join(", ")} (0 to pay nothing)`,
        });
      }
    }
  }
  return issues;
}

function checkEffectiveDates(
  program: { effectiveFrom: string; effectiveTo?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (program.effectiveTo !== undefined && program.effectiveTo < program.effectiveFrom) {
    ctx.addIssue({ code: "custom", path: ["effectiveTo"], message: "must not be before effectiveFrom" });
  }
}

/** One FieldIssue per offending field; zod reports unknown keys once per object, we name each key. */
function toFieldIssues(issue: z.core.$ZodIssue): FieldIssue[] {
  const base = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...base, key].join("."), message: "is not a recognised key" }));
  }
  return [{ path: base.join("."), message: issue.message }];
}
