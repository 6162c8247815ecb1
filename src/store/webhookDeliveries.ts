import { odata, type TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { webhookDelivery, type WebhookDelivery, type WebhookDeliveryState } from "../domain/webhookDelivery";
import { entityCodec, etagOf, type Versioned } from "./entityCodec";
import { readPage, type Page, type PageRequest } from "./paging";
import { retryOnConcurrency } from "./retry";
import { readOptional, replaceIfMatch } from "./tableOps";
import { checked, type TableStore } from "./tableStore";
import { isStatus, translateStorageError } from "./storageErrors";

/**
 * Webhook deliveries, PartitionKey = partner. Each delivery is two rows of that partition, written
 * together in one entity-group transaction:
 * - `t|<newest-first time>|<id>`: the delivery itself, so the partner's list is one key range,
 *   newest first, and "since a time" is a bound on it;
 * - `e|<id>`: a pointer from the event's ID to that row, and the guard that makes a delivery begin
 *   once per event however often the event is enqueued.
 */
const what = "webhook delivery";

/** Table Storage keeps no nulls: an absent `lastStatus` or `nextAttemptAt` reads back as null. */
const entity = webhookDelivery.omit({ partnerId: true }).extend({
  partitionKey: z.string(),
  rowKey: z.string(),
  lastStatus: webhookDelivery.shape.lastStatus.default(null),
  nextAttemptAt: webhookDelivery.shape.nextAttemptAt.default(null),
});

const pointer = z.object({ partitionKey: z.string(), rowKey: z.string(), row: z.string() });

/** Milliseconds before 2286-11-20, 13 digits: the later the time, the smaller the key. */
function newestFirst(at: string): string {
  return String(9_999_999_999_999 - Date.parse(at)).padStart(13, "0");
}

const dataKeyOf = (d: Pick<WebhookDelivery, "createdAt" | "id">) => `t|${newestFirst(d.createdAt)}|${d.id}`;
const pointerKeyOf = (id: string) => `e|${id}`;

const codec = entityCodec({
  what,
  schema: entity,
  toEntity: ({ partnerId, ...rest }: WebhookDelivery) => ({
    partitionKey: partnerId,
    rowKey: dataKeyOf(rest),
    ...rest,
  }),
  fromEntity: ({ partitionKey, rowKey: _r, ...rest }): WebhookDelivery => ({
    partnerId: partitionKey,
    ...rest,
  }),
});

export interface DeliveryFilter {
  state?: WebhookDeliveryState | undefined;
  /** Only deliveries created at or after this time. */
  since?: string | undefined;
}

export class WebhookDeliveryRepository {
  constructor(private readonly store: TableStore) {}

  /**
   * Stores a new delivery, or answers the one that already exists for its event (begun by an
   * earlier copy of the same message): the caller tells which by the answer's `dispatch`.
   */
  async begin(delivery: WebhookDelivery): Promise<Versioned<WebhookDelivery>> {
    const table = await this.store.table("webhookDeliveries");
    const row = checked(codec.toEntity(webhookDelivery.parse(delivery)));
    const link = { partitionKey: delivery.partnerId, rowKey: pointerKeyOf(delivery.id), row: row.rowKey };
    const actions: TransactionAction[] = [
      ["create", link],
      ["create", row],
    ];
    try {
      await table.submitTransaction(actions);
    } catch (err) {
      if (!isStatus(err, 409)) return translateStorageError(err, what);
    }
    const stored = await this.get(delivery.partnerId, delivery.id);
    if (!stored) throw new Error(`${what} ${delivery.id} was begun but cannot be read back`);
    return stored;
  }

  /** The partner's delivery of event `id`, or undefined (none, or another partner's). */
  async get(partnerId: string, id: string): Promise<Versioned<WebhookDelivery> | undefined> {
    const table = await this.store.table("webhookDeliveries");
    const link = await readOptional(table, partnerId, pointerKeyOf(id), what);
    if (!link) return undefined;
    const raw = await readOptional(table, partnerId, pointer.parse(link).row, what);
    return raw && { value: codec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Replaces the delivery if unchanged since `etag` (ConcurrencyError otherwise); the new ETag. */
  async replace(delivery: WebhookDelivery, etag: string): Promise<string> {
    const table = await this.store.table("webhookDeliveries");
    return replaceIfMatch(table, codec.toEntity(webhookDelivery.parse(delivery)), etag, what);
  }

  /** One page of the partner's deliveries, newest first. */
  async list(
    partnerId: string,
    filter: DeliveryFilter = {},
    page: PageRequest = {},
  ): Promise<Page<WebhookDelivery>> {
    const table = await this.store.table("webhookDeliveries");
    return readPage(table, filterOf(partnerId, filter), page, codec.fromRaw);
  }

  /** Every delivery the filter matches, page by page (bulk redelivery). */
  async *all(partnerId: string, filter: DeliveryFilter = {}): AsyncGenerator<Versioned<WebhookDelivery>> {
    const table = await this.store.table("webhookDeliveries");
    const rows = table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: filterOf(partnerId, filter) },
    });
    for await (const raw of rows) yield { value: codec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Rewrites the payload of every delivery of one association (personal-data erasure); how many changed. */
  async rewritePayloads(
    partnerId: string,
    associationId: string,
    change: (payload: string) => string,
  ): Promise<number> {
    const table = await this.store.table("webhookDeliveries");
    const filter = `${filterOf(partnerId, {})} and ${odata`associationId eq ${associationId}`}`;
    let changed = 0;
    for await (const raw of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const delivery = codec.fromRaw(raw);
      const payload = change(delivery.payload);
      if (payload === delivery.payload) continue;
      await retryOnConcurrency(async () => {
        const current = await this.get(partnerId, delivery.id);
        if (current)
          await this.replace({ ...current.value, payload: change(current.value.payload) }, current.etag);
      });
      changed++;
    }
    return changed;
  }

  /**
   * Deletes, in every partition, the deliveries created before `cutoff` that are no longer
   * pending (history retention); answers how many. A pending delivery is kept whatever its age.
   */
  async purgeBefore(cutoff: string): Promise<number> {
    const table = await this.store.table("webhookDeliveries");
    const filter = odata`RowKey gt ${`t|${newestFirst(cutoff)}|~`} and RowKey lt ${"t|~"} and state ne ${"pending"}`;
    let purged = 0;
    for await (const raw of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const delivery = codec.fromRaw(raw);
      await deleteQuietly(() => table.deleteEntity(delivery.partnerId, pointerKeyOf(delivery.id)));
      await deleteQuietly(() =>
        table.deleteEntity(delivery.partnerId, dataKeyOf(delivery), { etag: etagOf(raw) }),
      );
      purged++;
    }
    return purged;
  }
}

function filterOf(partnerId: string, filter: DeliveryFilter): string {
  const upper = filter.since ? `t|${newestFirst(filter.since)}|~` : "t|~";
  const clauses = [odata`PartitionKey eq ${partnerId} and RowKey gt ${"t|"} and RowKey lt ${upper}`];
  if (filter.state) clauses.push(odata`state eq ${filter.state}`);
  return clauses.join(" and ");
}

/** A row already gone (or changed: a redelivery since) is left as it is. */
async function deleteQuietly(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (err) {
    if (!isStatus(err, 404) && !isStatus(err, 412)) translateStorageError(err, what);
  }
}
