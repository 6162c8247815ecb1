import { z } from "zod";
import { workloadId, type WorkloadId } from "../domain/workloads";
import bundledTable from "./skuWorkloads.json";

/**
 * Which workloads a paid seat of each Microsoft 365 SKU counts for: configuration (a versioned JSON
 * file, `skuWorkloads.json`), read by the Graph usage adapter to turn `GET /subscribedSkus` into paid
 * seats per workload. Parsed once at module load, so a bad file fails at start-up.
 */

/** A `skuPartNumber` as Graph spells it: letters, digits and `_ . - ( ) /`. */
const skuPartNumber = z.string().regex(/^[A-Za-z0-9_.\-()/]{1,64}$/, "must be a SKU part number");

const skuEntry = z
  .object({
    name: z.string().trim().min(1).max(200),
    workloads: z
      .array(workloadId)
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, "must not list a workload twice"),
  })
  .strict();

export const skuWorkloadTableSchema = z
  .object({
    version: z.number().int().positive(),
    notes: z.string().min(1),
    skus: z.record(skuPartNumber, skuEntry).refine((skus) => {
      const upper = Object.keys(skus).map((part) => part.toUpperCase());
      return new Set(upper).size === upper.length;
    }, "must not list a SKU part number twice (part numbers are case-insensitive)"),
  })
  .strict();

export interface SkuWorkloadTable {
  version: number;
  notes: string;
  /** Upper-cased part number → the workloads one seat of it counts for. */
  skus: ReadonlyMap<string, { name: string; workloads: readonly WorkloadId[] }>;
}

/** Validates a table (throws a ZodError naming the offending path) and indexes it by part number. */
export function parseSkuWorkloadTable(json: unknown): SkuWorkloadTable {
  const table = skuWorkloadTableSchema.parse(json);
  const skus = new Map(
    Object.entries(table.skus).map(
      ([part, entry]) =>
        [
          part.toUpperCase(),
          Object.freeze({ name: entry.name, workloads: Object.freeze(entry.workloads) }),
        ] as const,
    ),
  );
  return Object.freeze({ version: table.version, notes: table.notes, skus });
}

/** The bundled table. */
export const skuWorkloads: SkuWorkloadTable = load(bundledTable);

/** The workloads a seat of this SKU counts for; none for a SKU the table does not list. */
export function workloadsForSku(part: string, table: SkuWorkloadTable = skuWorkloads): readonly WorkloadId[] {
  return table.skus.get(part.toUpperCase())?.workloads ?? [];
}

/** The fields of a Graph `subscribedSku` that paid seats are computed from. */
export interface SubscribedSkuSeats {
  skuPartNumber: string;
  capabilityStatus: string;
  prepaidUnits: { enabled: number };
}

/**
 * Paid seats per workload: the sum of `prepaidUnits.enabled` over the tenant's SKUs whose
 * `capabilityStatus` is `Enabled` (Warning, Suspended, Deleted and LockedOut ones are not paid for
 * now), each counted for every workload the table lists for it. Unknown SKUs are ignored; workloads
 * no SKU pays for are absent.
 */
export function paidSeatsByWorkload(
  skus: readonly SubscribedSkuSeats[],
  table: SkuWorkloadTable = skuWorkloads,
): Partial<Record<WorkloadId, number>> {
  const seats: Partial<Record<WorkloadId, number>> = {};
  for (const sku of skus) {
    if (sku.capabilityStatus !== "Enabled") continue;
    for (const workload of workloadsForSku(sku.skuPartNumber, table))
      seats[workload] = (seats[workload] ?? 0) + sku.prepaidUnits.enabled;
  }
  return seats;
}

function load(json: unknown): SkuWorkloadTable {
  try {
    return parseSkuWorkloadTable(json);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`bundled skuWorkloads.json is invalid: ${reason}`, { cause: err });
  }
}
