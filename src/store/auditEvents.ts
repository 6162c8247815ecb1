import { odata } from "@azure/data-tables";
import { z } from "zod";
import { auditEvent, type AuditEvent } from "../domain/auditEvent";
import { entityCodec, jsonColumn } from "./entityCodec";
import { readAll } from "./paging";
import { insertOnce } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * The audit trail: PartitionKey = association, RowKey = `<ISO time>|<eventId>`, so one partition
 * read returns the timeline in order and re-appending the same event finds it already there.
 */
const entity = auditEvent.omit({ associationId: true, data: true }).extend({
  partitionKey: z.string(),
  rowKey: z.string(),
  dataJson: jsonColumn(z.record(z.string(), z.unknown())).optional(),
});

const codec = entityCodec({
  what: "audit event",
  schema: entity,
  toEntity: ({ associationId, data, ...rest }: AuditEvent) => ({
    partitionKey: associationId,
    rowKey: `${new Date(rest.at).toISOString()}|${rest.eventId}`,
    ...rest,
    ...(data ? { dataJson: JSON.stringify(data) } : {}),
  }),
  fromEntity: ({ partitionKey, rowKey: _r, dataJson, ...rest }): AuditEvent => ({
    associationId: partitionKey,
    ...rest,
    ...(dataJson ? { data: dataJson } : {}),
  }),
});

export class AuditEventRepository {
  constructor(private readonly store: TableStore) {}

  /** Appends one event; returns false when this exact event (time and ID) was already recorded. */
  async append(event: AuditEvent): Promise<boolean> {
    // A retry may carry another time for the same event: the event ID alone decides (one partition read).
    if (await this.find(event.associationId, event.eventId)) return false;
    const table = await this.store.table("auditEvents");
    return insertOnce(table, codec.toEntity(auditEvent.parse(event)), "audit event");
  }

  /** The association's event with this ID, if it was recorded (a query within its partition). */
  async find(associationId: string, eventId: string): Promise<AuditEvent | undefined> {
    const table = await this.store.table("auditEvents");
    const found = await readAll(
      table,
      odata`PartitionKey eq ${associationId} and eventId eq ${eventId}`,
      codec.fromRaw,
    );
    return found[0];
  }

  /** The association's timeline, oldest first; only the owning partner's events are returned. */
  async timeline(partnerId: string, associationId: string): Promise<AuditEvent[]> {
    const table = await this.store.table("auditEvents");
    return readAll(
      table,
      odata`PartitionKey eq ${associationId} and partnerId eq ${partnerId}`,
      codec.fromRaw,
    );
  }
}
