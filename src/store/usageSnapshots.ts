import { odata } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError } from "../domain/errors";
import type { WorkloadId } from "../domain/workloads";
import { usageSnapshot, type UsageSnapshot } from "../domain/usageSnapshot";
import { entityCodec, etagOf, readEntity } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { isStatus, translateStorageError } from "./storageErrors";
import { checked, type TableStore } from "./tableStore";

/**
 * Usage readings: PartitionKey = tenant, RowKey = `reading|<workload>|<refresh date>`, plus one
 * `latest|<workload>` row per workload that only ever moves forward. A reading equal to a stored one
 * is a duplicate; one older than the latest is stale (reports arrive late and out of order).
 */
export type RecordOutcome = "stored" | "duplicate" | "stale";

const readingEntity = usageSnapshot
  .omit({ customerTenantId: true })
  .extend({ partitionKey: z.string(), rowKey: z.string() });

const latestEntity = z
  .object({ partitionKey: z.string(), rowKey: z.string(), reportRefreshDate: z.string() })
  .strict();

const readingKey = (workload: WorkloadId, date: string) => `reading|${workload}|${date}`;
const latestKey = (workload: WorkloadId) => `latest|${workload}`;

const codec = entityCodec({
  what: "usage snapshot",
  schema: readingEntity,
  toEntity: ({ customerTenantId, ...rest }: UsageSnapshot) => ({
    partitionKey: customerTenantId,
    rowKey: readingKey(rest.workload, rest.reportRefreshDate),
    ...rest,
  }),
  fromEntity: ({ partitionKey, rowKey: _r, ...rest }): UsageSnapshot => ({
    customerTenantId: partitionKey,
    ...rest,
  }),
});

export class UsageSnapshotRepository {
  constructor(private readonly store: TableStore) {}

  /** Stores a reading once; safe to call again with the same reading. */
  async record(snapshot: UsageSnapshot): Promise<RecordOutcome> {
    const value = usageSnapshot.parse(snapshot);
    const latest = await this.latestDate(value.customerTenantId, value.workload);
    if (latest !== undefined && value.reportRefreshDate < latest) return "stale";
    const table = await this.store.table("usageSnapshots");
    let outcome: RecordOutcome = "stored";
    try {
      await table.createEntity(checked(codec.toEntity(value)));
    } catch (err) {
      if (!isStatus(err, 409)) return translateStorageError(err, "usage snapshot");
      outcome = "duplicate"; // still move the pointer: a crash may have come between the two writes
    }
    await this.advanceLatest(value.customerTenantId, value.workload, value.reportRefreshDate);
    return outcome;
  }

  /** The newest reading for a tenant × workload, if any. */
  async latest(customerTenantId: string, workload: WorkloadId): Promise<UsageSnapshot | undefined> {
    const date = await this.latestDate(customerTenantId, workload);
    if (date === undefined) return undefined;
    const table = await this.store.table("usageSnapshots");
    return codec.fromRaw(await table.getEntity(customerTenantId, readingKey(workload, date)));
  }

  /** Readings for a tenant × workload in refresh-date order, optionally from a date on. */
  async series(customerTenantId: string, workload: WorkloadId, from?: string): Promise<UsageSnapshot[]> {
    const table = await this.store.table("usageSnapshots");
    const low = readingKey(workload, from ?? "");
    const high = `reading|${workload}|~`;
    return readAll(
      table,
      odata`PartitionKey eq ${customerTenantId} and RowKey ge ${low} and RowKey lt ${high}`,
      codec.fromRaw,
    );
  }

  private async latestDate(customerTenantId: string, workload: WorkloadId): Promise<string | undefined> {
    const table = await this.store.table("usageSnapshots");
    try {
      const raw = await table.getEntity<Record<string, unknown>>(customerTenantId, latestKey(workload));
      return readEntity(latestEntity, raw, "usage pointer").reportRefreshDate;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      return translateStorageError(err, "usage pointer");
    }
  }

  /** Moves the `latest` row to `date` unless it already points at a later one (ETag-guarded). */
  private async advanceLatest(customerTenantId: string, workload: WorkloadId, date: string): Promise<void> {
    const table = await this.store.table("usageSnapshots");
    const row = { partitionKey: customerTenantId, rowKey: latestKey(workload), reportRefreshDate: date };
    await retryOnConcurrency(async () => {
      try {
        const raw = await table.getEntity<Record<string, unknown>>(customerTenantId, latestKey(workload));
        if (readEntity(latestEntity, raw, "usage pointer").reportRefreshDate >= date) return;
        await table.updateEntity(row, "Replace", { etag: etagOf(raw) });
      } catch (err) {
        if (!isStatus(err, 404)) return translateStorageError(err, "usage pointer");
        try {
          await table.createEntity(row);
        } catch (inner) {
          // Someone created the pointer first: go round again and compare with theirs.
          if (isStatus(inner, 409)) throw new ConcurrencyError("usage pointer was created concurrently");
          return translateStorageError(inner, "usage pointer");
        }
      }
    });
  }
}
