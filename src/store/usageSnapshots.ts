import { odata } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError } from "../domain/errors";
import { workloadId, type WorkloadId } from "../domain/workloads";
import { usageSnapshot, type UsageSnapshot } from "../domain/usageSnapshot";
import { entityCodec, etagOf, readEntity } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { advancePointer, deleteIfMatch, insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * Usage readings: PartitionKey = tenant, RowKey = `reading|<workload>|<refresh date>`, plus one
 * `latest|<workload>` row per workload that only ever moves forward. A reading equal to a stored one
 * is a duplicate; one older than the latest is stale (reports arrive late and out of order).
 * A `measurability|<workload>` row says the workload cannot be measured in the tenant (reason, and
 * since when); it is removed when the workload is measured again.
 */
export type RecordOutcome = "stored" | "duplicate" | "stale";

const readingEntity = usageSnapshot
  .omit({ customerTenantId: true })
  .extend({ partitionKey: z.string(), rowKey: z.string() });

const latestEntity = z
  .object({ partitionKey: z.string(), rowKey: z.string(), reportRefreshDate: z.string() })
  .strict();

const measurabilityEntity = z
  .object({
    partitionKey: z.string(),
    rowKey: z.string(),
    reason: z.string().min(1),
    since: z.iso.datetime(),
  })
  .strict();

/** A workload that cannot be measured in a tenant, why, and since when. */
export interface NotMeasurable {
  workload: WorkloadId;
  reason: string;
  since: string;
}

const readingKey = (workload: WorkloadId, date: string) => `reading|${workload}|${date}`;
const measurabilityKey = (workload: WorkloadId) => `measurability|${workload}`;
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

  /** Every reading of a tenant (all workloads), by workload then refresh date: one query. */
  async tenantReadings(customerTenantId: string): Promise<UsageSnapshot[]> {
    const table = await this.store.table("usageSnapshots");
    return readAll(
      table,
      odata`PartitionKey eq ${customerTenantId} and RowKey ge ${"reading|"} and RowKey lt ${"reading|~"}`,
      codec.fromRaw,
    );
  }

  /**
   * Records that the workload cannot be measured, from `at` on. Idempotent: the same reason again
   * changes nothing; another reason replaces the text and keeps `since` (still not measurable).
   */
  async recordNotMeasurable(
    customerTenantId: string,
    workload: WorkloadId,
    reason: string,
    at: string,
  ): Promise<void> {
    const table = await this.store.table("usageSnapshots");
    const key = measurabilityKey(workload);
    await retryOnConcurrency(async () => {
      const raw = await readOptional(table, customerTenantId, key, "measurability");
      if (!raw) {
        const row = { partitionKey: customerTenantId, rowKey: key, reason, since: at };
        if (!(await insertOnce(table, row, "measurability")))
          throw new ConcurrencyError("measurability was recorded concurrently");
        return;
      }
      const stored = readEntity(measurabilityEntity, raw, "measurability");
      if (stored.reason === reason) return;
      await replaceIfMatch(table, { ...stored, reason }, etagOf(raw), "measurability");
    });
  }

  /** The workload is measured again: forgets that it was not. Safe when there is nothing to forget. */
  async clearNotMeasurable(customerTenantId: string, workload: WorkloadId): Promise<void> {
    const table = await this.store.table("usageSnapshots");
    const raw = await readOptional(table, customerTenantId, measurabilityKey(workload), "measurability");
    if (raw)
      await deleteIfMatch(table, customerTenantId, measurabilityKey(workload), etagOf(raw), "measurability");
  }

  /** The tenant's workloads that cannot be measured now, in workload-ID order. */
  async notMeasurable(customerTenantId: string): Promise<NotMeasurable[]> {
    const table = await this.store.table("usageSnapshots");
    return readAll(
      table,
      odata`PartitionKey eq ${customerTenantId} and RowKey ge ${"measurability|"} and RowKey lt ${"measurability|~"}`,
      (raw) => {
        const row = readEntity(measurabilityEntity, raw, "measurability");
        const workload = workloadId.parse(row.rowKey.slice("measurability|".length));
        return { workload, reason: row.reason, since: row.since };
      },
    );
  }

  private async latestDate(customerTenantId: string, workload: WorkloadId): Promise<string | undefined> {
    const table = await this.store.table("usageSnapshots");
    const raw = await readOptional(table, customerTenantId, latestKey(workload), "usage pointer");
    return raw && readEntity(latestEntity, raw, "usage pointer").reportRefreshDate;
  }

  /** Moves the `latest` row to `date` unless it already points at a later one. */
  private async advanceLatest(customerTenantId: string, workload: WorkloadId, date: string): Promise<void> {
    const table = await this.store.table("usageSnapshots");
    const key = { partitionKey: customerTenantId, rowKey: latestKey(workload) };
    await advancePointer(table, key, "reportRefreshDate", date, "usage pointer");
  }
}
