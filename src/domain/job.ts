import { z } from "zod";

/**
 * A bulk operation the partner started and watches: a PAL bulk link, a CSP import, a CSV import.
 * The job row says what it is and whether it is finished; each item's outcome is its own row, written
 * once by whoever handled the item, so counting needs no shared counter (and no write contention).
 * `done` counts the successes and `failed` the failures; once finished `done + failed = total`.
 */
export const jobKinds = ["pal-bulk-link", "csp-import", "import"] as const;
export const jobKind = z.enum(jobKinds);
export type JobKind = z.infer<typeof jobKind>;

export const jobStatuses = ["Running", "Completed", "Failed"] as const;
export const jobStatus = z.enum(jobStatuses);
export type JobStatus = z.infer<typeof jobStatus>;

export const job = z
  .object({
    id: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    kind: jobKind,
    status: jobStatus,
    /** Items to handle; a CSP import learns it once the customer list is read (0 until then). */
    total: z.number().int().nonnegative(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().optional(),
    /** Why a Failed job stopped (never a secret). */
    error: z.string().max(2000).optional(),
  })
  .strict();
export type Job = z.infer<typeof job>;

export const jobOutcomes = [
  "created",
  "updated",
  "linked",
  "unchanged",
  "ended",
  "failed",
  "invalid",
] as const;
export const jobOutcome = z.enum(jobOutcomes);
export type JobOutcome = z.infer<typeof jobOutcome>;

/** One item's outcome. `key` names the item (a tenant ID, `line 7`); errors name the field where one is at fault. */
export const jobResult = z
  .object({
    index: z.number().int().nonnegative(),
    key: z.string().max(200),
    outcome: jobOutcome,
    /** PAL bulk links and CSP imports: the customer tenant the item is about. */
    customerTenantId: z.string().max(64).optional(),
    associationId: z.string().max(64).optional(),
    /** CSV imports: the line of the file (the header is line 1). */
    line: z.number().int().positive().optional(),
    error: z.string().max(2000).optional(),
    /** The offending fields of an invalid row or request. */
    errors: z
      .array(z.object({ path: z.string().max(200), message: z.string().max(1000) }).strict())
      .max(50)
      .optional(),
    /** Anything else the partner should know (a PAL link that replaced another partner's ID). */
    note: z.string().max(1000).optional(),
  })
  .strict();
export type JobResult = z.infer<typeof jobResult>;

/** Whether an outcome counts as a success (`done`) or a failure (`failed`). */
export function isFailure(outcome: JobOutcome): boolean {
  return outcome === "failed" || outcome === "invalid";
}

/** The job as the API shows it: counts derived from the results. */
export function jobView(value: Job, results: readonly JobResult[]) {
  const failed = results.filter((r) => isFailure(r.outcome)).length;
  return {
    id: value.id,
    kind: value.kind,
    status: value.status,
    total: value.total,
    done: results.length - failed,
    failed,
    createdAt: value.createdAt,
    ...(value.finishedAt ? { finishedAt: value.finishedAt } : {}),
    ...(value.error ? { error: value.error } : {}),
    results: [...results].sort((a, b) => a.index - b.index).map(({ index: _i, ...rest }) => rest),
  };
}
