import { odata } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError } from "../domain/errors";
import { workloadId, type WorkloadId } from "../domain/workloads";
import { usageSnapshot, type UsageSnapshot } from "../domain/usageSnapshot";
import { entityCodec, etagOf, readEntity } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

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
    const inserted = await insertOnce(table, codec.toEntity(value), "usage snapshot");
    // Advance the pointer even for a duplicate: a crash may have come between the two writes.
    await this.advanceLatest(value.customerTenantId, value.workload, value.reportRefreshDate);
    return inserted ? "stored" : "duplicate";
  }

  /** The newest reading for a tenant × workload, if any. */
  async latest(customerTenantId: string, workload: WorkloadId): Promise<UsageSnapshot | undefined> {
    const date = await this.latestDate(customerTenantId, workload);
    if (date === undefined) return undefined;
    const table = await this.store.table("usageSnapshots");
    return codec.fromRaw(await table.getEntity(customerTenantId, readingKey(workload, date)));
  }

  /**
   * The newest reading of every workload of a tenant, in workload-ID order: one range query over
   * the tenant's `latest|…` rows, then one point read per workload they name.
   */
  async latestByTenant(customerTenantId: string): Promise<UsageSnapshot[]> {
    const table = await this.store.table("usageSnapshots");
    const pointers = await readAll(
      table,
      odata`PartitionKey eq ${customerTenantId} and RowKey ge ${"latest|"} and RowKey lt ${"latest|~"}`,
      (raw) => readEntity(latestEntity, raw, "usage pointer"),
    );
    return Promise.all(
      pointers.map(async (p) => {
        const workload = workloadId.parse(p.rowKey.slice("latest|".length));
        return codec.fromRaw(
          await table.getEntity(customerTenantId, readingKey(workload, p.reportRefreshDate)),
        );
      }),
    );
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
    const raw = await readOptional(table, customerTenantId, latestKey(workload), "usage pointer");
    return raw && readEntity(latestEntity, raw, "usage pointer").reportRefreshDate;
  }

  /** Moves the `latest` row to `date` unless it already points at a later one (ETag-guarded). */
  private async advanceLatest(customerTenantId: string, workload: WorkloadId, date: string): Promise<void> {
    const table = await this.store.table("usageSnapshots");
    const row = { partitionKey: customerTenantId, rowKey: latestKey(workload), reportRefreshDate: date };
    await retryOnConcurrency(async () => {
      const raw = await readOptional(table, customerTenantId, latestKey(workload), "usage pointer");
      if (!raw) {
        // Someone else may create it first: then go round again and compare with theirs.
        if (!(await insertOnce(table, row, "usage pointer")))
          throw new ConcurrencyError("usage pointer was created concurrently");
        return;
      }
      if (readEntity(latestEntity, raw, "usage pointer").reportRefreshDate >= date) return;
      await replaceIfMatch(table, row, etagOf(raw), "usage pointer");
    });
  }
}
