import { odata } from "@azure/data-tables";
import { z } from "zod";
import { incentiveLedgerEntry, type IncentiveLedgerEntry } from "../domain/incentiveLedgerEntry";
import type { WorkloadId } from "../domain/workloads";
import { entityCodec } from "./entityCodec";
import { maxPageSize, readPage, type Page, type PageRequest } from "./paging";
import { insertOnce } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * The incentive ledger: PartitionKey = partner, RowKey = `<association>|<workload>|<milestone>`.
 * The row key is the exactly-once guard: a replayed or retried activity finds its row and pays nothing more.
 * Every query stays in the partner's partition: by association it is a row-key range, by month or
 * workload a filter on that partition's rows (one partner's ledger is a few rows per association).
 */
const entity = incentiveLedgerEntry
  .omit({ partnerId: true })
  .extend({ partitionKey: z.string(), rowKey: z.string(), payableMonth: z.string() });

const codec = entityCodec({
  what: "incentive ledger entry",
  schema: entity,
  toEntity: ({ partnerId, ...rest }: IncentiveLedgerEntry) => ({
    partitionKey: partnerId,
    rowKey: `${rest.associationId}|${rest.workload}|${rest.milestoneKey}`,
    payableMonth: rest.payableOn.slice(0, 7),
    ...rest,
  }),
  fromEntity: ({ partitionKey, rowKey: _r, payableMonth: _m, ...rest }): IncentiveLedgerEntry => ({
    partnerId: partitionKey,
    ...rest,
  }),
});

export interface LedgerFilter {
  /** `YYYY-MM`: entries payable in that month. */
  payableMonth?: string;
  /** `YYYY-MM`: entries earned (recorded) in that month, UTC. */
  earnedMonth?: string;
  workload?: WorkloadId;
  associationId?: string;
}

export class IncentiveLedgerRepository {
  constructor(private readonly store: TableStore) {}

  /** Records a milestone once; false when it was already recorded (nothing is written then). */
  async recordOnce(entry: IncentiveLedgerEntry): Promise<boolean> {
    const table = await this.store.table("incentives");
    return insertOnce(table, codec.toEntity(incentiveLedgerEntry.parse(entry)), "incentive ledger entry");
  }

  async list(
    partnerId: string,
    filter: LedgerFilter = {},
    page: PageRequest = {},
  ): Promise<Page<IncentiveLedgerEntry>> {
    const table = await this.store.table("incentives");
    const clauses = [odata`PartitionKey eq ${partnerId}`];
    if (filter.associationId) {
      // Row keys start with the association: a key range, not a scan.
      clauses.push(
        odata`RowKey ge ${`${filter.associationId}|`} and RowKey lt ${`${filter.associationId}|~`}`,
      );
    }
    if (filter.payableMonth) clauses.push(odata`payableMonth eq ${filter.payableMonth}`);
    // `earnedAt` is an ISO 8601 UTC timestamp, so its month is a prefix: a string range, which every
    // row has (no column to backfill). Like the other filters, it narrows a scan of one partition.
    if (filter.earnedMonth)
      clauses.push(
        odata`earnedAt ge ${`${filter.earnedMonth}-`} and earnedAt lt ${`${filter.earnedMonth}-~`}`,
      );
    if (filter.workload) clauses.push(odata`workload eq ${filter.workload}`);
    return readPage(table, clauses.join(" and "), page, codec.fromRaw);
  }

  /** Every entry of the partner matching `filter`, all pages: for summaries over the whole ledger. */
  async listAll(partnerId: string, filter: LedgerFilter = {}): Promise<IncentiveLedgerEntry[]> {
    const entries: IncentiveLedgerEntry[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.list(partnerId, filter, {
        pageSize: maxPageSize,
        ...(continuationToken ? { continuationToken } : {}),
      });
      entries.push(...page.items);
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return entries;
  }
}
