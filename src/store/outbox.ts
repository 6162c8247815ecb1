import { odata } from "@azure/data-tables";
import { z } from "zod";
import { NotFoundError } from "../domain/errors";
import { outboxMessage, type OutboxKey, type OutboxMessage } from "../domain/outboxMessage";
import { entityCodec, etagOf, type Versioned } from "./entityCodec";
import { readPage, type Page, type PageRequest } from "./paging";
import { insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * The email outbox: PartitionKey = partner (the partner's list is one partition), RowKey =
 * `<association>|<kind>`, with `|<sequence>` for a kind sent more than once (reminders).
 */
const entity = outboxMessage
  .omit({ partnerId: true })
  .extend({ partitionKey: z.string(), rowKey: z.string() });

const rowKeyOf = ({ associationId, kind, sequence }: Omit<OutboxKey, "partnerId">) =>
  `${associationId}|${kind}${sequence === undefined ? "" : `|${String(sequence).padStart(2, "0")}`}`;

const codec = entityCodec({
  what: "outbox message",
  schema: entity,
  toEntity: ({ partnerId, ...rest }: OutboxMessage) => ({
    partitionKey: partnerId,
    rowKey: rowKeyOf(rest),
    ...rest,
  }),
  fromEntity: ({ partitionKey, rowKey: _r, ...rest }): OutboxMessage => ({
    partnerId: partitionKey,
    ...rest,
  }),
});

export class OutboxRepository {
  constructor(private readonly store: TableStore) {}

  /**
   * Stores the message unless one of its kind exists for the association: true = this caller
   * inserted it and should send it; false = it was already there (sent, or being sent, by a previous run).
   */
  async insertOnce(message: OutboxMessage): Promise<boolean> {
    const table = await this.store.table("outbox");
    return insertOnce(table, codec.toEntity(outboxMessage.parse(message)), "outbox message");
  }

  async get(
    partnerId: string,
    associationId: string,
    kind: OutboxMessage["kind"],
    sequence?: number,
  ): Promise<Versioned<OutboxMessage>> {
    const table = await this.store.table("outbox");
    const raw = await readOptional(
      table,
      partnerId,
      rowKeyOf({ associationId, kind, sequence }),
      "outbox message",
    );
    if (!raw)
      throw new NotFoundError(
        `${kind}${sequence === undefined ? "" : ` ${sequence}`} email for association ${associationId} was not found`,
      );
    return { value: codec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Records the send outcome (ETag-guarded). */
  async markSent(message: Versioned<OutboxMessage>, outcome: { at: string; providerMessageId?: string }) {
    return this.replace(
      { ...message.value, status: "sent", sentAt: outcome.at, ...pick(outcome) },
      message.etag,
    );
  }

  async markFailed(message: Versioned<OutboxMessage>, error: string) {
    return this.replace(
      { ...message.value, status: "failed", lastError: error.slice(0, 2000) },
      message.etag,
    );
  }

  /** The partner's messages, optionally those of one association. */
  async list(
    partnerId: string,
    filter: { associationId?: string } = {},
    page: PageRequest = {},
  ): Promise<Page<OutboxMessage>> {
    const table = await this.store.table("outbox");
    const clauses = [odata`PartitionKey eq ${partnerId}`];
    if (filter.associationId)
      clauses.push(
        odata`RowKey ge ${`${filter.associationId}|`} and RowKey lt ${`${filter.associationId}|~`}`,
      );
    return readPage(table, clauses.join(" and "), page, codec.fromRaw);
  }

  /**
   * Rewrites every message of the association through `change` (personal-data erasure); answers
   * how many changed. The key fields (association, kind, sequence) must not change.
   */
  async rewrite(
    partnerId: string,
    associationId: string,
    change: (message: OutboxMessage) => OutboxMessage,
  ): Promise<number> {
    const table = await this.store.table("outbox");
    const filter = odata`PartitionKey eq ${partnerId} and RowKey ge ${`${associationId}|`} and RowKey lt ${`${associationId}|~`}`;
    let changed = 0;
    for await (const raw of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const message = codec.fromRaw(raw);
      const next = change(message);
      if (JSON.stringify(next) === JSON.stringify(message)) continue;
      await this.replace(next, etagOf(raw));
      changed++;
    }
    return changed;
  }

  private async replace(value: OutboxMessage, etag: string): Promise<string> {
    const table = await this.store.table("outbox");
    return replaceIfMatch(table, codec.toEntity(outboxMessage.parse(value)), etag, "outbox message");
  }
}

function pick(outcome: { providerMessageId?: string }) {
  return outcome.providerMessageId ? { providerMessageId: outcome.providerMessageId } : {};
}
