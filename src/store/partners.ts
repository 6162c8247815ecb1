import { z } from "zod";
import { NotFoundError } from "../domain/errors";
import { partner, type Partner } from "../domain/partner";
import { entityCodec, etagOf, jsonColumn } from "./entityCodec";
import { readPage, type Page, type PageRequest } from "./paging";
import { retryOnConcurrency, type RetryOptions } from "./retry";
import { translateStorageError } from "./storageErrors";
import { readOptional, replaceIfMatch } from "./tableOps";
import { checked, type TableStore } from "./tableStore";

/** Partners: one small partition (`partner`), RowKey = partner ID. */
const partitionKey = "partner";

const entity = partner.omit({ partnerLocationIds: true }).extend({
  partitionKey: z.literal(partitionKey),
  rowKey: z.string(),
  partnerLocationIdsJson: jsonColumn(z.array(z.string())),
});

const codec = entityCodec({
  what: "partner",
  schema: entity,
  toEntity: ({ partnerLocationIds, ...rest }: Partner) => ({
    partitionKey,
    rowKey: rest.id,
    ...rest,
    partnerLocationIdsJson: JSON.stringify(partnerLocationIds),
  }),
  fromEntity: ({ partitionKey: _p, rowKey: _r, partnerLocationIdsJson, ...rest }): Partner => ({
    ...rest,
    partnerLocationIds: partnerLocationIdsJson,
  }),
});

export class PartnerRepository {
  constructor(private readonly store: TableStore) {}

  /** Inserts or replaces the partner (administrative: onboarding, the demo seed). */
  async put(value: Partner): Promise<void> {
    const table = await this.store.table("partners");
    try {
      await table.upsertEntity(checked(codec.toEntity(partner.parse(value))), "Replace");
    } catch (err) {
      translateStorageError(err, `partner ${value.id}`);
    }
  }

  async get(id: string): Promise<Partner> {
    const table = await this.store.table("partners");
    const raw = await readOptional(table, partitionKey, id, `partner ${id}`);
    if (!raw) throw new NotFoundError(`partner ${id} was not found`);
    return codec.fromRaw(raw);
  }

  /**
   * Changes one partner by read-modify-write guarded by its ETag, retried on a lost race, so a
   * change to one field (the webhook) never undoes a concurrent change to another. `change` may run
   * more than once; returning `current` itself writes nothing. Returns the partner as stored.
   */
  async update(id: string, change: (current: Partner) => Partner, options?: RetryOptions): Promise<Partner> {
    const what = `partner ${id}`;
    return retryOnConcurrency(async () => {
      const table = await this.store.table("partners");
      const raw = await readOptional(table, partitionKey, id, what);
      if (!raw) throw new NotFoundError(`partner ${id} was not found`);
      const current = codec.fromRaw(raw);
      const next = change(current);
      if (next === current) return current;
      if (next.id !== id) throw new Error(`${what}: an update must not change the partner ID`);
      await replaceIfMatch(table, codec.toEntity(partner.parse(next)), etagOf(raw), what);
      return next;
    }, options);
  }

  async list(page: PageRequest = {}): Promise<Page<Partner>> {
    const table = await this.store.table("partners");
    return readPage(table, `PartitionKey eq '${partitionKey}'`, page, codec.fromRaw);
  }

  /** Every partner's ID, all pages (the daily jobs run for each). */
  async allIds(): Promise<string[]> {
    const ids: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.list({ pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) });
      ids.push(...page.items.map((p) => p.id));
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return ids;
  }
}
