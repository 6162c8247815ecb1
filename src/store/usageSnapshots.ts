import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError } from "../domain/errors";
import { isoDate } from "../domain/schemas/primitives";
import { workloadId, type WorkloadId } from "../domain/workloads";
import { usageSnapshot, type UsageSnapshot } from "../domain/usageSnapshot";
import { entityCodec, etagOf, jsonColumn, readEntity } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { isStatus, translateStorageError } from "./storageErrors";
import { readOptional } from "./tableOps";
import { checked, type TableStore } from "./tableStore";

/**
 * Usage readings: PartitionKey = tenant, RowKey = `reading|<workload>|<refresh date>`, plus one
 * `latest|<workload>` row per workload that only ever moves forward. A reading equal to a stored one
 * is a duplicate; one older than the latest is stale (reports arrive late and out of order).
 * A `measurability|<workload>` row says the workload cannot be measured in the tenant (reason, and
 * since when); it is removed when the workload is measured again.
 *
 * Writes go through the tenant's `summary` row, which holds what those `latest|` and
 * `measurability|` rows say: one point read tells a writer where the tenant stands, and everything a
 * reading changes (its rows, the pointers, measurability and the summary) is one entity-group
 * transaction, conditional on the summary's ETag, so racing writers serialise and the rows never
 * disagree with the summary. The readers below read the rows themselves, as before. A tenant whose
 * rows predate the summary is read once by a range query, and gets its summary with the next write.
 */
export type RecordOutcome = "stored" | "duplicate" | "stale";

/** One read of a tenant: what each workload measured, and which could not be measured and why. */
export interface TenantReading {
  customerTenantId: string;
  reportRefreshDate: string;
  fetchedAt: string;
  workloads: Partial<Record<WorkloadId, { paidSeats: number; activeUsers: number }>>;
  notMeasurable: Partial<Record<WorkloadId, string>>;
}

const readingEntity = usageSnapshot
  .omit({ customerTenantId: true })
  .extend({ partitionKey: z.string(), rowKey: z.string() });

const latestEntity = z
  .object({ partitionKey: z.string(), rowKey: z.string(), reportRefreshDate: z.string() })
  .strict();

const measurability = z.object({ reason: z.string().min(1), since: z.iso.datetime() }).strict();
type Measurability = z.infer<typeof measurability>;

const measurabilityEntity = measurability.extend({ partitionKey: z.string(), rowKey: z.string() }).strict();

const summaryEntity = z
  .object({
    partitionKey: z.string(),
    rowKey: z.string(),
    latestJson: jsonColumn(z.partialRecord(workloadId, isoDate)),
    notMeasurableJson: jsonColumn(z.partialRecord(workloadId, measurability)),
  })
  .strict();

/** Where a tenant stands: each workload's latest refresh date and what is not measurable. */
interface TenantState {
  latest: Partial<Record<WorkloadId, string>>;
  notMeasurable: Partial<Record<WorkloadId, Measurability>>;
  /** The summary row's ETag; absent when the tenant has none yet. */
  etag?: string;
}

/** A workload that cannot be measured in a tenant, why, and since when. */
export interface NotMeasurable {
  workload: WorkloadId;
  reason: string;
  since: string;
}

const readingKey = (workload: WorkloadId, date: string) => `reading|${workload}|${date}`;
const measurabilityKey = (workload: WorkloadId) => `measurability|${workload}`;
const latestKey = (workload: WorkloadId) => `latest|${workload}`;
const summaryKey = "summary";

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

/** Object.entries over a partial record keyed by workload. */
const entriesOf = <V>(record: Partial<Record<WorkloadId, V>>) =>
  Object.entries(record).flatMap(([w, v]) => (v === undefined ? [] : [[w as WorkloadId, v] as const]));

export class UsageSnapshotRepository {
  constructor(private readonly store: TableStore) {}

  /** Stores a reading once; safe to call again with the same reading. */
  async record(snapshot: UsageSnapshot): Promise<RecordOutcome> {
    const { customerTenantId, workload, reportRefreshDate, fetchedAt, paidSeats, activeUsers } =
      usageSnapshot.parse(snapshot);
    const outcomes = await this.recordTenant({
      customerTenantId,
      reportRefreshDate,
      fetchedAt,
      workloads: { [workload]: { paidSeats, activeUsers } },
      notMeasurable: {},
    });
    return outcomes[workload] ?? "stale";
  }

  /**
   * Records one read of a tenant, safe to repeat: each measured workload's reading (stored, or a
   * duplicate of the stored one, or stale: older than the latest), measurability brought in line
   * (a new or changed reason recorded, keeping `since`; a workload measured again forgotten), all in
   * one transaction, and none when nothing changed. Answers each measured workload's outcome.
   */
  async recordTenant(reading: TenantReading): Promise<Partial<Record<WorkloadId, RecordOutcome>>> {
    const tenant = reading.customerTenantId;
    const rows = entriesOf(reading.workloads).map(([workload, counts]) =>
      usageSnapshot.parse({
        customerTenantId: tenant,
        workload,
        ...counts,
        reportRefreshDate: reading.reportRefreshDate,
        fetchedAt: reading.fetchedAt,
      }),
    );
    const table = await this.store.table("usageSnapshots");
    return retryOnConcurrency(async () => {
      const state = await this.stateOf(table, tenant);
      const next: TenantState = { latest: { ...state.latest }, notMeasurable: { ...state.notMeasurable } };
      const actions: TransactionAction[] = [];
      const outcomes: Partial<Record<WorkloadId, RecordOutcome>> = {};
      for (const row of rows) {
        const latest = state.latest[row.workload];
        outcomes[row.workload] =
          latest === undefined || row.reportRefreshDate > latest
            ? "stored"
            : row.reportRefreshDate === latest
              ? "duplicate"
              : "stale";
        if (outcomes[row.workload] !== "stored") continue;
        next.latest[row.workload] = row.reportRefreshDate;
        const pointer = { partitionKey: tenant, rowKey: latestKey(row.workload) };
        actions.push(["upsert", checked(codec.toEntity(row)), "Replace"]);
        actions.push(["upsert", { ...pointer, reportRefreshDate: row.reportRefreshDate }, "Replace"]);
      }
      for (const [workload, reason] of entriesOf(reading.notMeasurable)) {
        const before = state.notMeasurable[workload];
        // A workload the reading measured is measurable, whatever else it says.
        if (before?.reason === reason || reading.workloads[workload]) continue;
        const now = { reason, since: before?.since ?? reading.fetchedAt };
        next.notMeasurable[workload] = now;
        actions.push([
          "upsert",
          { partitionKey: tenant, rowKey: measurabilityKey(workload), ...now },
          "Replace",
        ]);
      }
      for (const { workload } of rows) {
        if (!state.notMeasurable[workload]) continue;
        delete next.notMeasurable[workload];
        actions.push(["delete", { partitionKey: tenant, rowKey: measurabilityKey(workload) }]);
      }
      if (actions.length > 0) await this.commit(table, tenant, next, state.etag, actions);
      return outcomes;
    });
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
    await this.recordTenant({
      customerTenantId,
      reportRefreshDate: at.slice(0, 10),
      fetchedAt: at,
      workloads: {},
      notMeasurable: { [workload]: reason },
    });
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

  /** The tenant's summary (one point read), or for a tenant without one its rows (one range query). */
  private async stateOf(table: TableClient, customerTenantId: string): Promise<TenantState> {
    const raw = await readOptional(table, customerTenantId, summaryKey, "usage summary");
    if (raw) {
      const summary = readEntity(summaryEntity, raw, "usage summary");
      return { latest: summary.latestJson, notMeasurable: summary.notMeasurableJson, etag: etagOf(raw) };
    }
    const state: TenantState = { latest: {}, notMeasurable: {} };
    // `latest|` sorts before `measurability|`: both kinds of row in one range.
    const low = "latest|";
    const high = "measurability|~";
    const rows = await readAll(
      table,
      odata`PartitionKey eq ${customerTenantId} and RowKey ge ${low} and RowKey lt ${high}`,
      (row) => row,
    );
    for (const row of rows) {
      const [kind = "", name = ""] = String(row["rowKey"]).split("|");
      const workload = workloadId.parse(name);
      if (kind === "latest")
        state.latest[workload] = readEntity(latestEntity, row, "usage pointer").reportRefreshDate;
      else if (kind === "measurability") {
        const { reason, since } = readEntity(measurabilityEntity, row, "measurability");
        state.notMeasurable[workload] = { reason, since };
      }
    }
    return state;
  }

  /**
   * One entity-group transaction: the rows and the summary, created or replaced if it still has
   * `etag`. A summary created or changed meanwhile is a ConcurrencyError (read again and redo).
   */
  private async commit(
    table: TableClient,
    customerTenantId: string,
    state: TenantState,
    etag: string | undefined,
    actions: TransactionAction[],
  ): Promise<void> {
    const summary = checked({
      partitionKey: customerTenantId,
      rowKey: summaryKey,
      latestJson: JSON.stringify(state.latest),
      notMeasurableJson: JSON.stringify(state.notMeasurable),
    });
    const all: TransactionAction[] = [
      ...actions,
      etag ? ["update", summary, "Replace", { etag }] : ["create", summary],
    ];
    // At most 2 rows per measured workload and 1 per unmeasured one, plus the summary: the 18
    // catalog workloads stay far below a transaction's 100 operations.
    try {
      await table.submitTransaction(all);
    } catch (err) {
      if (isStatus(err, 409) || isStatus(err, 412))
        throw new ConcurrencyError("the tenant's usage was recorded concurrently", { cause: err });
      translateStorageError(err, "usage snapshots");
    }
  }
}
