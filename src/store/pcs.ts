import { odata, type TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { pcsSolutionArea, type PcsSolutionArea } from "../domain/associationTypes";
import type { PcsRevenue } from "../domain/pcs/inputs";
import { pcsSnapshot, skilling, type PcsSnapshot, type Skilling } from "../domain/pcs/records";
import { readEntity } from "./entityCodec";
import { readAll } from "./paging";
import { advancePointer, readOptional } from "./tableOps";
import { translateStorageError } from "./storageErrors";
import { checked, type TableStore } from "./tableStore";

/**
 * The score's inputs and history, per partner (PartitionKey = partner ID, so another partner's rows
 * are never read):
 * - `pcsInputs`: `skilling` (certification counts per area, replaced as a whole) and
 *   `revenue|<tenant>|<month>|<service>` (Azure consumed revenue, upserted per row; `-` = no service);
 * - `pcsSnapshots`: `snapshot|<area>|<day>` (the day's score, rewritten while the day lasts) and
 *   `qualified|<area>` (the last day the area qualified; it only moves forward).
 */
const skillingRow = z.object({
  partitionKey: z.string(),
  rowKey: z.literal("skilling"),
  countsJson: z.string(),
});
const revenueRow = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  customerTenantId: z.string(),
  month: z.string(),
  amount: z.number(),
  service: z.string().optional(),
});
const snapshotRow = z.object({ partitionKey: z.string(), rowKey: z.string(), snapshotJson: z.string() });
const qualifiedRow = z.object({ partitionKey: z.string(), rowKey: z.string(), day: z.string() });

/** Rows per entity-group transaction (Table Storage's limit). */
const perBatch = 100;

const revenueKey = (r: PcsRevenue) =>
  `revenue|${r.customerTenantId.toLowerCase()}|${r.month}|${r.service ? encodeURIComponent(r.service) : "-"}`;

export class PcsRepository {
  constructor(private readonly store: TableStore) {}

  async skilling(partnerId: string): Promise<Skilling> {
    const table = await this.store.table("pcsInputs");
    const raw = await readOptional(table, partnerId, "skilling", "skilling");
    if (!raw) return {};
    return skilling.parse(JSON.parse(readEntity(skillingRow, raw, "skilling").countsJson));
  }

  /** Replaces the partner's certification counts. */
  async putSkilling(partnerId: string, counts: Skilling): Promise<void> {
    const table = await this.store.table("pcsInputs");
    try {
      await table.upsertEntity(
        checked({ partitionKey: partnerId, rowKey: "skilling", countsJson: JSON.stringify(counts) }),
        "Replace",
      );
    } catch (err) {
      translateStorageError(err, "skilling");
    }
  }

  /** Upserts revenue rows (one per customer, month and service), 100 to a transaction. */
  async putRevenue(partnerId: string, rows: readonly PcsRevenue[]): Promise<void> {
    const table = await this.store.table("pcsInputs");
    for (let start = 0; start < rows.length; start += perBatch) {
      const actions: TransactionAction[] = rows.slice(start, start + perBatch).map((r) => [
        "upsert",
        checked({
          partitionKey: partnerId,
          rowKey: revenueKey(r),
          customerTenantId: r.customerTenantId.toLowerCase(),
          month: r.month,
          amount: r.amount,
          ...(r.service ? { service: r.service } : {}),
        }),
        "Replace",
      ]);
      try {
        await table.submitTransaction(actions);
      } catch (err) {
        translateStorageError(err, "Azure revenue");
      }
    }
  }

  async revenue(partnerId: string): Promise<PcsRevenue[]> {
    const table = await this.store.table("pcsInputs");
    return readAll(
      table,
      odata`PartitionKey eq ${partnerId} and RowKey ge ${"revenue|"} and RowKey lt ${"revenue|~"}`,
      (raw) => {
        const { customerTenantId, month, amount, service } = readEntity(revenueRow, raw, "Azure revenue");
        return { customerTenantId, month, amount, ...(service ? { service } : {}) };
      },
    );
  }

  /** Stores the day's score of an area; the same day again replaces it. */
  async putSnapshot(partnerId: string, snapshot: PcsSnapshot): Promise<void> {
    const table = await this.store.table("pcsSnapshots");
    try {
      await table.upsertEntity(
        checked({
          partitionKey: partnerId,
          rowKey: `snapshot|${snapshot.area}|${snapshot.day}`,
          snapshotJson: JSON.stringify(snapshot),
        }),
        "Replace",
      );
    } catch (err) {
      translateStorageError(err, "score snapshot");
    }
    if (snapshot.qualifiedToday) await this.advanceQualified(partnerId, snapshot.area, snapshot.day);
  }

  /** Snapshots of an area (or all) from `from` to `to` (inclusive days), by area then day. */
  async snapshots(
    partnerId: string,
    filter: { area?: PcsSolutionArea; from: string; to: string },
  ): Promise<PcsSnapshot[]> {
    const table = await this.store.table("pcsSnapshots");
    const prefix = filter.area ? `snapshot|${filter.area}|` : "snapshot|";
    const rows = await readAll(
      table,
      odata`PartitionKey eq ${partnerId} and RowKey ge ${prefix} and RowKey lt ${`${prefix}~`}`,
      (raw) => pcsSnapshot.parse(JSON.parse(readEntity(snapshotRow, raw, "score snapshot").snapshotJson)),
    );
    return rows.filter((s) => s.day >= filter.from && s.day <= filter.to);
  }

  /** Per area, the last day it qualified, from the snapshots. */
  async lastQualifiedOn(partnerId: string): Promise<Partial<Record<PcsSolutionArea, string>>> {
    const table = await this.store.table("pcsSnapshots");
    const rows = await readAll(
      table,
      odata`PartitionKey eq ${partnerId} and RowKey ge ${"qualified|"} and RowKey lt ${"qualified|~"}`,
      (raw) => readEntity(qualifiedRow, raw, "qualification day"),
    );
    return Object.fromEntries(
      rows.map((r) => [pcsSolutionArea.parse(r.rowKey.slice("qualified|".length)), r.day]),
    );
  }

  private async advanceQualified(partnerId: string, area: PcsSolutionArea, day: string): Promise<void> {
    const table = await this.store.table("pcsSnapshots");
    await advancePointer(
      table,
      { partitionKey: partnerId, rowKey: `qualified|${area}` },
      "day",
      day,
      "qualification day",
    );
  }
}
