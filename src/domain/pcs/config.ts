import { z } from "zod";
import { associationKind, pcsSolutionArea } from "../associationTypes";
import { isoDate } from "../schemas/primitives";
import { seatBandIds, workloadId } from "../workloads";

/**
 * The Partner Capability Score rules of one program year, as data (src/config/pcs/*.json). Each
 * solution area has metrics; each metric earns up to `max` points from one or more parts, and a
 * part's progress is a fraction of its `fullAt` (customers, certifications, active users, dollars):
 * metric points = min(max, max × Σ part fractions). Security adds its Microsoft 365 and Azure parts
 * this way; Modern Work's net customer adds give SMB and enterprise customers their own `fullAt`.
 * Every figure carries its `source`, and `confirmed: false` where Microsoft's pages did not confirm it.
 */

const sourced = { source: z.string().min(1), confirmed: z.boolean() };

/** A seat band of workloads.ts, or any size. */
const band = z.enum([...seatBandIds, "any"]);
export type PcsBand = z.infer<typeof band>;

/** Per band: how many customers (or deployments) give the part's full points, and which kinds count. */
const bandRule = z.object({ fullAt: z.number().positive(), kinds: z.array(associationKind).min(1) }).strict();

const m365Customers = z
  .object({
    kind: z.literal("m365-customers"),
    /** What a unit is, for `next` ("customers above 300 paid seats"), per band. */
    unit: z.partialRecord(band, z.string().min(1)),
    bands: z.partialRecord(band, bandRule),
  })
  .strict();

const azureCustomers = z
  .object({
    kind: z.literal("azure-customers"),
    unit: z.string().min(1),
    fullAt: z.number().positive(),
    kinds: z.array(associationKind).min(1),
    /** `month`: revenue of last month vs the same month a year earlier; or 12-month averages. */
    measure: z.enum(["month", "trailing-12-month-average"]),
    minRevenue: z.number().positive(),
  })
  .strict();

const certifications = z
  .object({
    kind: z.literal("certifications"),
    level: z.enum(["intermediate", "advanced"]),
    fullAt: z.number().positive(),
  })
  .strict();

const m365UsageGrowth = z
  .object({
    kind: z.literal("m365-usage-growth"),
    /** Net growth in active users (summed over the area's workloads and customers) for full points. */
    fullAt: z.number().positive(),
    kinds: z.array(associationKind).min(1),
  })
  .strict();

const azureUsageGrowth = z
  .object({
    kind: z.literal("azure-usage-growth"),
    /** Growth in monthly Azure consumed revenue (last month vs a year earlier, USD) for full points. */
    fullAt: z.number().positive(),
    kinds: z.array(associationKind).min(1),
  })
  .strict();

const m365Deployments = z
  .object({
    kind: z.literal("m365-deployments"),
    fullAt: z.number().positive(),
    kinds: z.array(associationKind).min(1),
    minPaidSeats: z.number().int().nonnegative(),
    minActiveShare: z.number().min(0).max(1),
  })
  .strict();

const azureDeployments = z
  .object({
    kind: z.literal("azure-deployments"),
    /** Distinct Azure services with revenue last month (rows naming a `service`), net of a year earlier. */
    fullAt: z.number().positive(),
    kinds: z.array(associationKind).min(1),
    /** Services that never count (Virtual Machines), matched case-insensitively as substrings. */
    excludedServices: z.array(z.string().min(1)),
  })
  .strict();

/** A metric this service has no input for (Partner Center alone measures it): always 0 here, said so. */
const notMeasured = z.object({ kind: z.literal("not-measured"), reason: z.string().min(1) }).strict();

export const pcsPart = z.discriminatedUnion("kind", [
  m365Customers,
  azureCustomers,
  certifications,
  m365UsageGrowth,
  azureUsageGrowth,
  m365Deployments,
  azureDeployments,
  notMeasured,
]);
export type PcsPart = z.infer<typeof pcsPart>;

export const pcsMetricIds = [
  "net-customer-adds",
  "intermediate-certifications",
  "advanced-certifications",
  "usage-growth",
  "deployments",
] as const;
export const pcsMetricId = z.enum(pcsMetricIds);
export type PcsMetricId = z.infer<typeof pcsMetricId>;

export const pcsMetric = z
  .object({ id: pcsMetricId, max: z.number().positive(), parts: z.array(pcsPart).min(1), ...sourced })
  .strict();
export type PcsMetric = z.infer<typeof pcsMetric>;

export const pcsArea = z
  .object({
    id: pcsSolutionArea,
    name: z.string().min(1),
    /** The Microsoft 365 workloads whose seats and usage count (empty for the Azure areas). */
    workloads: z.array(workloadId),
    metrics: z.array(pcsMetric).min(1),
  })
  .strict()
  .superRefine((area, ctx) => {
    const total = area.metrics.reduce((sum, m) => sum + m.max, 0);
    if (Math.abs(total - 100) > 1e-9)
      ctx.addIssue({ code: "custom", path: ["metrics"], message: `maxima add to ${total}, not 100` });
  });
export type PcsArea = z.infer<typeof pcsArea>;

export const pcsConfig = z
  .object({
    programYear: z.string().regex(/^FY\d{2}$/),
    effectiveFrom: isoDate,
    /** Net customer adds count associations that began in the last `windowMonths` months. */
    windowMonths: z.number().int().positive(),
    qualification: z
      .object({
        minTotal: z.number().positive(),
        /** Qualified on a day of the current month or the previous `keepMonths` months = still qualified. */
        keepMonths: z.number().int().nonnegative(),
        ...sourced,
      })
      .strict(),
    areas: z.array(pcsArea).min(1),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = config.areas.map((a) => a.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({ code: "custom", path: ["areas", i, "id"], message: `${id} is defined twice` });
    });
  });
export type PcsConfig = z.infer<typeof pcsConfig>;
