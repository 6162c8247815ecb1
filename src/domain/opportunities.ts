import { z } from "zod";
import type { Association, CspDetails } from "./association";
import { associationTypes, earnsIncentives } from "./associationTypes";
import type { IncentiveProgram } from "./incentiveProgram";
import type { LifecycleDurations } from "./lifecycle";
import { claimedWorkloadsOf, programThresholds } from "./milestoneRules";
import { evaluateMilestones, percent, seatSizeCheck, type WorkloadUsage } from "./milestones";
import { claimDeadlineOf, claimNextActionOf } from "./partnerCenter";
import { holdsUnit, machineOf } from "./statusMachine";
import { workloadCatalog, workloadId, workloadIds, type WorkloadId } from "./workloads";

/**
 * The missed-rebate finder, as pure rules: from what the partner has (its associations of every
 * type, the latest usage reading per tenant × workload, its CSP customers' subscriptions) and the
 * program in force, every place money is being left on the table:
 * - `unclaimed`: a customer the partner works with (CSP Active, PAL Active or Drifted, DPOR Active,
 *   TPOR Active, or usage readings it can see of a tenant it has any association with), a Modern
 *   Work & Security workload with known paid seats (the latest reading, else its CSP subscriptions)
 *   and no live claim of the partner on it;
 * - `claimed-by-another-partner`: the same, but another partner holds the workload in the claims
 *   index (who is never said);
 * - `deadline`: the partner's claims in Draft or PartnerActionRequired whose deadline is within
 *   `opportunityDeadlineWindowMs`, one item per claimed workload, valued at what they would lose;
 * - `seats-unknown`: a customer it works with whose seats nothing tells yet, once, `workload: null`.
 * Each is valued by `claimValueOf` under the program in force; sorted by value, highest first.
 */

/** Draft and PartnerActionRequired claims are listed when their deadline is at most this far off. */
export const opportunityDeadlineWindowMs = 7 * 86_400_000;

export const opportunityKinds = [
  "unclaimed",
  "claimed-by-another-partner",
  "deadline",
  "seats-unknown",
] as const;

/** One item of `GET /opportunities`. */
export const opportunity = z
  .object({
    customerTenantId: z.string(),
    /** null for a customer whose seats are unknown (and a claim on a subscription, not a workload). */
    workload: workloadId.nullable(),
    reason: z.string(),
    /** What it is worth (or what is at risk) under the program in force, rounded to cents. */
    value: z.number().nonnegative(),
    currency: z.string(),
    action: z.string(),
    kind: z.enum(opportunityKinds),
    /** The claim the item is about (`deadline` items only). */
    associationId: z.string().optional(),
  })
  .strict();
export type Opportunity = z.infer<typeof opportunity>;

/** One tenant × workload's paid seats and active users (the latest reading). */
export interface TenantWorkloadUsage extends WorkloadUsage {
  customerTenantId: string;
  workload: WorkloadId;
}

export interface OpportunityInputs {
  /** Every association of the partner, any type and status. */
  associations: readonly Association[];
  /** The latest reading per tenant × workload of the partner's tenants. */
  readings: readonly TenantWorkloadUsage[];
  /** Paid seats per workload of a CSP customer's subscriptions (the SKU table's reading of them). */
  cspSeatsOf: (subscriptions: CspDetails["subscriptions"]) => Partial<Record<WorkloadId, number>>;
  /** Workloads another partner holds in the claims index, by tenant. */
  heldByOthers: readonly { customerTenantId: string; workload: WorkloadId }[];
  /** The program in force for new claims. */
  program: IncentiveProgram;
  durations: LifecycleDurations;
  /** ISO date-time. */
  now: string;
}

/** The partner's opportunities, ranked (see the rules above). Deterministic: the same inputs, the same list. */
export function findOpportunities(inputs: OpportunityInputs): Opportunity[] {
  const seats = seatsByTenant(inputs);
  const items = [
    ...[...customersWorkedWith(inputs)].flatMap(([tenant, relations]) =>
      customerOpportunities(inputs, tenant, relations.join(", "), seats.get(tenant)),
    ),
    ...deadlineOpportunities(inputs, seats),
  ];
  return items.sort(byValueThenTenantThenWorkload);
}

/** Known usage per workload of one tenant: its readings, else its CSP seats with no one counted active. */
type TenantSeats = Map<WorkloadId, WorkloadUsage>;

/** The relationship labels, in the order reasons list them. */
const relationLabels = [
  "CSP customer (Direct Bill)",
  "CSP customer (Indirect Reseller)",
  "PAL link",
  "PAL link (drifted)",
  "DPOR",
  "TPOR",
  "usage readings",
] as const;
type RelationLabel = (typeof relationLabels)[number];

/** What an association says about working with its customer, when it says anything. */
function relationOf(a: Association): RelationLabel | undefined {
  switch (a.kind) {
    case "csp-direct-bill":
      return a.status === "Active" ? "CSP customer (Direct Bill)" : undefined;
    case "csp-indirect-reseller":
      return a.status === "Active" ? "CSP customer (Indirect Reseller)" : undefined;
    case "pal":
      return a.status === "Active" ? "PAL link" : a.status === "Drifted" ? "PAL link (drifted)" : undefined;
    case "dpor":
      return a.status === "Active" ? "DPOR" : undefined;
    case "tpor":
      return a.status === "Active" ? "TPOR" : undefined;
    default:
      return undefined;
  }
}

/**
 * The customers the partner demonstrably works with, each with how (in `relationLabels` order):
 * a live relationship of a recognised type, or usage readings of a tenant it has any association with.
 */
export function customersWorkedWith(
  inputs: Pick<OpportunityInputs, "associations" | "readings">,
): Map<string, RelationLabel[]> {
  const found = new Map<string, Set<RelationLabel>>();
  const add = (tenant: string, label: RelationLabel) =>
    found.set(tenant, (found.get(tenant) ?? new Set()).add(label));
  const tenants = new Set(inputs.associations.map((a) => a.customerTenantId));
  for (const a of inputs.associations) {
    const label = relationOf(a);
    if (label) add(a.customerTenantId, label);
  }
  for (const r of inputs.readings)
    if (tenants.has(r.customerTenantId)) add(r.customerTenantId, "usage readings");
  return new Map([...found].map(([tenant, labels]) => [tenant, relationLabels.filter((l) => labels.has(l))]));
}

/** Per tenant, the usage each workload is known at: a reading wins over CSP subscriptions. */
function seatsByTenant(inputs: OpportunityInputs): Map<string, TenantSeats> {
  const byTenant = new Map<string, TenantSeats>();
  const of = (tenant: string): TenantSeats => {
    const seats = byTenant.get(tenant) ?? new Map<WorkloadId, WorkloadUsage>();
    byTenant.set(tenant, seats);
    return seats;
  };
  for (const a of inputs.associations) {
    if (machineOf(a.kind) !== "csp" || a.status !== "Active" || !a.csp) continue;
    const seats = of(a.customerTenantId);
    for (const [workload, paidSeats] of Object.entries(inputs.cspSeatsOf(a.csp.subscriptions))) {
      const w = workload as WorkloadId;
      // The claims index allows one CSP relationship per partner and customer; were there two, both count.
      seats.set(w, { paidSeats: (seats.get(w)?.paidSeats ?? 0) + (paidSeats ?? 0), activeUsers: 0 });
    }
  }
  for (const r of inputs.readings)
    of(r.customerTenantId).set(r.workload, { paidSeats: r.paidSeats, activeUsers: r.activeUsers });
  return byTenant;
}

/** The workloads of the tenant the partner's own live claims hold (Draft and PartnerActionRequired included). */
function ownHeldWorkloads(associations: readonly Association[], tenant: string): Set<WorkloadId> {
  return new Set(
    associations
      .filter((a) => a.customerTenantId === tenant && machineOf(a.kind) === "claim" && holdsUnit(a.status))
      .flatMap(claimedWorkloadsOf),
  );
}

function customerOpportunities(
  inputs: OpportunityInputs,
  tenant: string,
  relations: string,
  seats: TenantSeats | undefined,
): Opportunity[] {
  const { program } = inputs;
  if (!seats || seats.size === 0)
    return [
      {
        customerTenantId: tenant,
        workload: null,
        reason: `${relations}; seats unknown: import its CSP subscriptions (POST /api/v1/csp/imports) or poll its usage`,
        value: 0,
        currency: program.currency,
        action:
          "Import its CSP subscriptions (POST /api/v1/csp/imports) to learn its seats; its usage is polled only once a claim on it is under review",
        kind: "seats-unknown",
      },
    ];
  const own = ownHeldWorkloads(inputs.associations, tenant);
  const held = new Set(
    inputs.heldByOthers.filter((h) => h.customerTenantId === tenant).map((h) => h.workload),
  );
  return workloadIds.flatMap((workload): Opportunity[] => {
    const usage = seats.get(workload);
    if (!usage || usage.paidSeats <= 0 || own.has(workload)) return [];
    const { value, notes } = claimValueOf(program, workload, usage, inputs.now);
    const other = held.has(workload);
    const why = other ? `${workload} is claimed by another partner` : `no claim on ${workload}`;
    return [
      {
        customerTenantId: tenant,
        workload,
        reason: [`${relations}; ${why}`, ...notes].join("; "),
        value,
        currency: program.currency,
        action: other
          ? "Agree with the customer: one partner holds a workload at a time and Microsoft arbitrates a second claim by the most recent PoE, so a new PoE replaces the other partner's claim only if Microsoft accepts it (this service refuses a second claim, 409, while the other one holds the workload)"
          : `File a CPOR claim for ${workload} with a signed PoE: POST /api/v1/associations`,
        kind: other ? "claimed-by-another-partner" : "unclaimed",
      },
    ];
  });
}

/** The partner's Draft and PartnerActionRequired claims due within the window, one item per workload. */
function deadlineOpportunities(inputs: OpportunityInputs, seats: Map<string, TenantSeats>): Opportunity[] {
  const now = Date.parse(inputs.now);
  return inputs.associations.flatMap((a): Opportunity[] => {
    if (machineOf(a.kind) !== "claim" || (a.status !== "Draft" && a.status !== "PartnerActionRequired"))
      return [];
    const deadline = claimDeadlineOf(a, inputs.durations);
    if (!deadline || Date.parse(deadline.at) - now > opportunityDeadlineWindowMs) return [];
    const due = dueText(a, deadline.at, now);
    const action = claimNextActionOf(a, deadline);
    const workloads = claimedWorkloadsOf(a);
    const item = (workload: WorkloadId | null, value: number, notes: readonly string[]): Opportunity => ({
      customerTenantId: a.customerTenantId,
      workload,
      reason: [due, ...notes].join("; "),
      value,
      currency: inputs.program.currency,
      action,
      kind: "deadline",
      associationId: a.id,
    });
    if (workloads.length === 0)
      return [item(null, 0, ["a subscription claim: its value is not estimated here"])];
    return workloads.map((workload) => {
      if (!earnsIncentives(a.kind))
        return item(workload, 0, [`a ${associationTypes[a.kind].name} earns no incentive`]);
      const usage = seats.get(a.customerTenantId)?.get(workload);
      if (!usage) return item(workload, 0, [`seats of ${workload} unknown: its value cannot be estimated`]);
      const { value, notes } = claimValueOf(inputs.program, workload, usage, inputs.now);
      return item(workload, value, notes);
    });
  });
}

/** "PoE due in 3 days (2026-12-09)", "reviewers asked for changes (missing-poe); respond by 2026-12-09". */
function dueText(a: Association, at: string, now: number): string {
  const date = at.slice(0, 10);
  if (a.status === "PartnerActionRequired") {
    const reasons = a.review?.reasons.length ? ` (${a.review.reasons.join(", ")})` : "";
    return `reviewers asked for changes${reasons}; respond by ${date}`;
  }
  const what = associationTypes[a.kind].poeRequired ? "PoE" : "submission";
  const ms = Date.parse(at) - now;
  if (ms <= 0) return `${what} overdue since ${date}`;
  const days = Math.ceil(ms / 86_400_000);
  return `${what} due in ${days} ${days === 1 ? "day" : "days"} (${date})`;
}

export interface ClaimValue {
  /** In the program's currency, rounded to cents. */
  value: number;
  /** Why it is worth less than it could be (thresholds already met, too few seats, the model). */
  notes: string[];
}

/**
 * What a claim on `workload` filed now would earn under `program` at today's paid seats: the
 * milestone evaluator's own answer for a claim approved today at today's usage whose active users
 * then reach every paid seat. So the same rules decide as for a real claim: a threshold the current
 * active share already meets earns nothing (usage at claim time never counts), a tenant below the
 * program's minimum or every seat band earns nothing, and the high-water-mark model pays only seats
 * added after approval (none at today's seats).
 */
export function claimValueOf(
  program: IncentiveProgram,
  workload: WorkloadId,
  usage: WorkloadUsage,
  now: string,
): ClaimValue {
  const thresholds = programThresholds(program, [workload]);
  if (thresholds.length === 0)
    return { value: 0, notes: [`the program in force pays nothing for ${workloadCatalog[workload].name}`] };
  const today = now.slice(0, 10);
  const { reached, flags } = evaluateMilestones({
    program,
    claimedWorkloads: [workload],
    baseline: { approvedAt: today, workloads: { [workload]: { ...usage, highWaterMark: usage.paidSeats } } },
    reading: {
      reportRefreshDate: today,
      workloads: { [workload]: { paidSeats: usage.paidSeats, activeUsers: usage.paidSeats } },
    },
    recorded: [],
  });
  const notes: string[] = [];
  // The share at which a threshold stops paying at claim time: the milestone's own, or the model's cap.
  const exceeded = thresholds
    .filter((t) => flags.some((f) => f.key === t.key && f.reason === "exceeded-at-claim"))
    .map((t) => (program.kind === "high-water-mark" ? program.ineligibleAtClaimAboveShare : t.threshold));
  if (exceeded.length > 0)
    notes.push(
      `already above ${exceeded.map(percent).join(" and ")} active: usage at claim time earns nothing`,
    );
  const size = seatSizeCheck(
    program,
    workload,
    usage.paidSeats,
    program.kind === "milestone" || program.requireSeatBand,
  );
  if (!size.eligible) notes.push(size.reason);
  if (program.kind === "high-water-mark" && exceeded.length === 0 && size.eligible)
    notes.push(
      `the high-water-mark model pays ${program.ratePerUnit[workload] ?? 0} ${program.currency} per paid seat added after approval, none for today's ${usage.paidSeats}`,
    );
  const value = Math.round(reached.reduce((sum, m) => sum + m.amount, 0) * 100) / 100;
  return { value, notes };
}

/** Value, highest first; then tenant; then workload (a customer-wide item last); then kind. */
function byValueThenTenantThenWorkload(a: Opportunity, b: Opportunity): number {
  return (
    b.value - a.value ||
    compare(a.customerTenantId, b.customerTenantId) ||
    compare(a.workload ?? "~", b.workload ?? "~") ||
    compare(a.kind, b.kind) ||
    compare(a.associationId ?? "", b.associationId ?? "")
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
