import { z } from "zod";
import { pcsSolutionArea } from "../associationTypes";
import { guid, isoDate, shortText } from "../schemas/primitives";
import { pcsMetricId } from "./config";

/**
 * The score's inputs the partner reports (`PUT /skilling`, `PUT /azure-revenue`) and the daily
 * snapshot the history is made of. Amounts are USD.
 */
const count = z.number().int("must be a whole number").min(0).max(100_000);

/** Certification counts per area: `{"modern-work": {"intermediate": 3, "advanced": 1}}`. */
export const skilling = z.partialRecord(
  pcsSolutionArea,
  z.object({ intermediate: count.default(0), advanced: count.default(0) }).strict(),
);
export type Skilling = z.infer<typeof skilling>;

export const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month, YYYY-MM");

export const revenueRow = z
  .object({
    customerTenantId: guid,
    month,
    amount: z.number().finite().min(0).max(1e12),
    /** The Azure service, for the deployments metric (Virtual Machines never count). */
    service: shortText(200).optional(),
  })
  .strict();
export type RevenueRow = z.infer<typeof revenueRow>;

/** At most this many rows per request. */
export const maxRevenueRows = 5000;

export const revenueRows = z
  .array(revenueRow)
  .min(1, "must hold at least one row")
  .max(maxRevenueRows, `must hold at most ${maxRevenueRows} rows`)
  .superRefine((rows, ctx) => {
    const seen = new Map<string, number>();
    rows.forEach((row, i) => {
      const key = `${row.customerTenantId.toLowerCase()}|${row.month}|${row.service ?? ""}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `repeats row ${first} (same customerTenantId, month and service)`,
        });
    });
  });

export const pcsSnapshot = z
  .object({
    area: pcsSolutionArea,
    day: isoDate,
    programYear: z.string(),
    total: z.number(),
    qualifiedToday: z.boolean(),
    metrics: z.array(z.object({ metric: pcsMetricId, points: z.number(), max: z.number() }).strict()),
  })
  .strict();
export type PcsSnapshot = z.infer<typeof pcsSnapshot>;
