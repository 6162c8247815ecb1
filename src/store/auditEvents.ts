import { odata, type TableClient } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError } from "../domain/errors";
import { auditEvent, type AuditEvent } from "../domain/auditEvent";
import { entityCodec, etagOf, jsonColumn, readEntity } from "./entityCodec";
import { entityLimits } from "./entityLimits";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * The audit trail: PartitionKey = association, RowKey = `<ISO time>|<eventId>`, so one partition
 * read returns the timeline in order and re-appending the same event finds it already there.
 *
 * Beside the event rows, each partition holds one index row (RowKey `timeline`, after every ISO
 * time) listing the same events in the same order, so reading a timeline or finding an event is one
 * point read, not a query (a query's cost grows with the table on some stores, Azurite among them).
 * The index row is written first and is what readers trust; the event row follows it, and an
 * append retried after a crash in between writes the missing row. It carries no `partnerId` or
 * `eventId` column, so the event-row queries never return it. Once the list outgrows one property
 * (64 KiB), the index row says `overflow` and the partition is read by query, as before it
 * existed; a partition written before it existed has none and is read by query too, until its next
 * append builds it.
 */
const entity = auditEvent.omit({ associationId: true, data: true }).extend({
  partitionKey: z.string(),
  rowKey: z.string(),
  dataJson: jsonColumn(z.record(z.string(), z.unknown())).optional(),
});

const rowKeyOf = (e: Pick<AuditEvent, "at" | "eventId">) => `${new Date(e.at).toISOString()}|${e.eventId}`;

/** Table Storage's order: RowKeys compared code unit by code unit, not by locale. */
const byRowKey = (x: AuditEvent, y: AuditEvent) => {
  const [a, b] = [rowKeyOf(x), rowKeyOf(y)];
  return a < b ? -1 : a > b ? 1 : 0;
};

const codec = entityCodec({
  what: "audit event",
  schema: entity,
  // The API reads the same rows over and over (GET, lists, timelines); see entityCodec.
  reuse: 10_000,
  toEntity: ({ associationId, data, ...rest }: AuditEvent) => ({
    partitionKey: associationId,
    rowKey: rowKeyOf(rest),
    ...rest,
    ...(data ? { dataJson: JSON.stringify(data) } : {}),
  }),
  fromEntity: ({ partitionKey, rowKey: _r, dataJson, ...rest }): AuditEvent => ({
    associationId: partitionKey,
    ...rest,
    ...(dataJson ? { data: dataJson } : {}),
  }),
});

const indexRowKey = "timeline";

const indexEntity = z
  .object({
    partitionKey: z.string(),
    rowKey: z.literal(indexRowKey),
    /** The association's events in RowKey order; absent once `overflow`. */
    eventsJson: jsonColumn(z.array(auditEvent)).optional(),
    overflow: z.boolean().optional(),
  })
  .strict();

/** What the index row says: every event, or that the event rows must be queried. */
type Index = { etag: string } & ({ events: AuditEvent[] } | { overflow: true });

/** The events' JSON fits one string property (UTF-16: two bytes a character). */
const fitsOneProperty = (json: string) => json.length * 2 <= entityLimits.propertyBytes;

export class AuditEventRepository {
  constructor(private readonly store: TableStore) {}

  /** Appends one event; returns false when this event (its ID, whatever its time) was already recorded. */
  async append(event: AuditEvent): Promise<boolean> {
    const parsed = auditEvent.parse(event);
    const table = await this.store.table("auditEvents");
    return retryOnConcurrency(async () => {
      const index = await this.readIndex(table, parsed.associationId);
      if (index && "overflow" in index) return this.appendRow(table, parsed);
      const events = index ? index.events : await this.queryRows(table, parsed.associationId);
      const recorded = events.find((e) => e.eventId === parsed.eventId);
      if (recorded) {
        // Its index entry may have been written by an attempt that crashed before the row.
        if (index) await insertOnce(table, codec.toEntity(recorded), "audit event");
        return false;
      }
      const next = [...events, parsed].sort(byRowKey);
      const json = JSON.stringify(next);
      if (fitsOneProperty(json))
        await this.writeIndex(table, parsed.associationId, { eventsJson: json }, index);
      else await this.overflow(table, parsed.associationId, events, index);
      return insertOnce(table, codec.toEntity(parsed), "audit event");
    });
  }

  /** The association's event with this ID, if it was recorded. */
  async find(associationId: string, eventId: string): Promise<AuditEvent | undefined> {
    const table = await this.store.table("auditEvents");
    const index = await this.readIndex(table, associationId);
    if (index && "events" in index) return index.events.find((e) => e.eventId === eventId);
    return this.findRow(table, associationId, eventId);
  }

  /** The association's timeline, oldest first; only the owning partner's events are returned. */
  async timeline(partnerId: string, associationId: string): Promise<AuditEvent[]> {
    const table = await this.store.table("auditEvents");
    const index = await this.readIndex(table, associationId);
    if (index && "events" in index) return index.events.filter((e) => e.partnerId === partnerId);
    return readAll(
      table,
      odata`PartitionKey eq ${associationId} and partnerId eq ${partnerId}`,
      codec.fromRaw,
    );
  }

  /**
   * Rewrites every recorded event of the association through `change` (personal-data erasure),
   * rows and timeline index alike; answers how many events changed. IDs and times must not change.
   */
  async rewrite(associationId: string, change: (event: AuditEvent) => AuditEvent): Promise<number> {
    const table = await this.store.table("auditEvents");
    let changed = 0;
    const rows = table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${associationId} and RowKey lt ${indexRowKey}` },
    });
    for await (const raw of rows) {
      const event = codec.fromRaw(raw);
      const next = auditEvent.parse(change(event));
      if (JSON.stringify(next) === JSON.stringify(event)) continue;
      await replaceIfMatch(table, codec.toEntity(next), etagOf(raw), "audit event");
      changed++;
    }
    await retryOnConcurrency(async () => {
      const index = await this.readIndex(table, associationId);
      if (!index || !("events" in index)) return;
      const events = index.events.map((e) => auditEvent.parse(change(e)));
      const json = JSON.stringify(events);
      if (json === JSON.stringify(index.events)) return;
      if (fitsOneProperty(json)) await this.writeIndex(table, associationId, { eventsJson: json }, index);
      else await this.writeIndex(table, associationId, { overflow: true }, index);
    });
    return changed;
  }

  private async readIndex(table: TableClient, associationId: string): Promise<Index | undefined> {
    const raw = await readOptional(table, associationId, indexRowKey, "audit timeline");
    if (!raw) return undefined;
    const { eventsJson } = readEntity(indexEntity, raw, "audit timeline");
    const etag = etagOf(raw);
    return eventsJson ? { etag, events: eventsJson } : { etag, overflow: true };
  }

  /** Creates the index row, or replaces the one read at `current`; a lost race is a ConcurrencyError. */
  private async writeIndex(
    table: TableClient,
    associationId: string,
    columns: { eventsJson: string } | { overflow: true },
    current: Index | undefined,
  ): Promise<void> {
    const row = { partitionKey: associationId, rowKey: indexRowKey, ...columns };
    if (current) await replaceIfMatch(table, row, current.etag, "audit timeline");
    else if (!(await insertOnce(table, row, "audit timeline")))
      throw new ConcurrencyError(`the timeline of ${associationId} was started concurrently`);
  }

  /**
   * The index outgrew its property: every listed event gets its row first (one may be missing after
   * a crash), then the index hands over to the rows for good.
   */
  private async overflow(
    table: TableClient,
    associationId: string,
    events: readonly AuditEvent[],
    current: Index | undefined,
  ): Promise<void> {
    for (const e of events) await insertOnce(table, codec.toEntity(e), "audit event");
    await this.writeIndex(table, associationId, { overflow: true }, current);
  }

  /** The append of a partition read by query: the event ID alone decides (a retry may carry another time). */
  private async appendRow(table: TableClient, event: AuditEvent): Promise<boolean> {
    if (await this.findRow(table, event.associationId, event.eventId)) return false;
    return insertOnce(table, codec.toEntity(event), "audit event");
  }

  private async findRow(
    table: TableClient,
    associationId: string,
    eventId: string,
  ): Promise<AuditEvent | undefined> {
    const found = await readAll(
      table,
      odata`PartitionKey eq ${associationId} and eventId eq ${eventId}`,
      codec.fromRaw,
    );
    return found[0];
  }

  /** Every event row of the partition, in RowKey order: the ISO times sort before the index row. */
  private queryRows(table: TableClient, associationId: string): Promise<AuditEvent[]> {
    return readAll(
      table,
      odata`PartitionKey eq ${associationId} and RowKey lt ${indexRowKey}`,
      codec.fromRaw,
    );
  }
}
