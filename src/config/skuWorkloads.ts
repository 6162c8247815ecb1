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

/** The fields of a CSP subscription (as a Partner Center import keeps it) that paid seats come from. */
export interface CspSubscriptionSeats {
  offerName?: string | undefined;
  quantity?: number | undefined;
  status?: string | undefined;
}

/**
 * The workloads a seat of a Partner Center offer counts for: the table's SKU whose name or part
 * number is the offer's name (case-insensitive, trimmed); none for an offer the table does not know.
 * Partner Center names offers, not part numbers, so the table's names are what matches in practice.
 */
export function workloadsForOffer(
  offerName: string,
  table: SkuWorkloadTable = skuWorkloads,
): readonly WorkloadId[] {
  const wanted = offerName.trim().toUpperCase();
  const byPart = table.skus.get(wanted);
  if (byPart) return byPart.workloads;
  for (const entry of table.skus.values()) if (entry.name.toUpperCase() === wanted) return entry.workloads;
  return [];
}

/**
 * Paid seats per workload from a customer's CSP subscriptions: the sum of `quantity` over the
 * subscriptions that are active (Partner Center's `active`; one without a status, as a partner may
 * record it, counts as active) and whose offer the table knows, each counted for every workload the
 * table lists for it. A subscription without a quantity says nothing about seats and is skipped;
 * workloads no known offer pays for are absent, so an empty answer means "seats unknown".
 */
export function cspSeatsByWorkload(
  subscriptions: readonly CspSubscriptionSeats[],
  table: SkuWorkloadTable = skuWorkloads,
): Partial<Record<WorkloadId, number>> {
  const seats: Partial<Record<WorkloadId, number>> = {};
  for (const s of subscriptions) {
    if (s.quantity === undefined || s.offerName === undefined) continue;
    if (s.status !== undefined && s.status.toLowerCase() !== "active") continue;
    for (const workload of workloadsForOffer(s.offerName, table))
      seats[workload] = (seats[workload] ?? 0) + s.quantity;
  }
  return seats;
}
