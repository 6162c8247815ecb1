import { createHash } from "node:crypto";
import { odata, TableClient, type TableEntityResult, type TransactionAction } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { MessageLease } from "../messageLease";
import type { HistoryEvent } from "./events";

/**
 * The task hub's storage, laid out after DurableTask.AzureStorage: tables `<hub>Instances` (one row
 * per instance, for status queries) and `<hub>History` (PartitionKey = instance, RowKey = sequence
 * number as 16 hex digits, plus a `sentinel` row that orders writers), queues `<hub>-control-NN`
 * (orchestrator messages, instance → queue by hash) and `<hub>-workitems` (activities).
 */
export const partitionCount = 4;

export interface InstanceRow {
  instanceId: string;
  name: string;
  executionId: string;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  completedTime?: string;
  parentInstanceId?: string;
}

export type RuntimeStatus =
  "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Canceled" | "Terminated" | "Suspended";

export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set([
  "Completed",
  "Failed",
  "Terminated",
  "Canceled",
]);

/** Where an execution's history stands; guarded by its ETag so one writer applies each turn. */
export interface Sentinel {
  executionId: string;
  /** Rows [0, committedSeq) of this execution are the history. */
  committedSeq: number;
  /** The next task ID the SDK will hand out (activities, timers, sub-orchestrations). */
  nextId: number;
  /** How many leaf actions of the orchestrator's cumulative action list have been scheduled. */
  actionCount: number;
  /** Set while a turn is being written; a lock older than the turn lease may be taken over. */
  pendingSince?: string;
  /**
   * The status row as of this commit. The row in the Instances table is a projection written after
   * the commit; this copy is the truth a crash in between cannot lose.
   */
  instance?: InstanceRow;
  /** Message IDs the previous execution's last turn applied (continueAsNew): still duplicates here. */
  seenFromPrevious?: string[];
}

export interface LoadedHistory {
  sentinel: Sentinel | undefined;
  etag: string | undefined;
  events: HistoryEvent[];
}

/** A control-queue message: an event for one orchestration instance. */
export interface ControlMessage {
  id: string;
  instanceId: string;
  /** Absent for events addressed to whatever execution is current (raised events, terminate). */
  executionId?: string;
  event: Omit<HistoryEvent, "EventId" | "IsPlayed">;
}

/** A work-item message: one activity attempt. */
export interface WorkItemMessage {
  id: string;
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
  input: string | undefined;
}

/** A dispatcher of this process that takes the messages it sends (see `TaskHub.receiveLocally`). */
export interface LocalReceiver<T> {
  /** Seconds the message is sent invisible for: the lease the receiver then holds. */
  leaseSeconds: number;
  /** Takes over the message and its lease (renewing from now on): it deletes or releases it. */
  take(message: T, lease: MessageLease): void;
  /** A message sent with a delay becomes visible on `queue` after `delayMs`: it can be read then. */
  due?(queue: QueueClient, delayMs: number): void;
}

/**
 * The largest input, output, result, event payload or custom status the local host carries, in
 * characters of JSON. The Azure Storage provider offloads larger ones to blobs; this host does not,
 * and refuses them with a clear error instead (a table property holds 64 KiB, a queue message 64 KiB).
 */
export const maxPayloadChars = 16_000;

/** An entity-group transaction carries at most this many actions. */
const maxTransactionActions = 100;

/** Queue visibility is capped at 7 days; longer timers are re-queued on arrival. */
const maxQueueDelayMs = 6 * 24 * 3600 * 1000;

export class TaskHub {
  readonly instances: TableClient;
  readonly history: TableClient;
  readonly controlQueues: QueueClient[];
  readonly workItems: QueueClient;
  private localControl: LocalReceiver<ControlMessage> | undefined;
  private localWorkItems: LocalReceiver<WorkItemMessage> | undefined;
  private readonly clientRowWrites = new Map<string, Promise<void>>();

  constructor(
    connectionString: string,
    readonly hubName: string,
  ) {
    const options = { allowInsecureConnection: /DefaultEndpointsProtocol=http;/i.test(connectionString) };
    this.instances = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, options);
    this.history = TableClient.fromConnectionString(connectionString, `${hubName}History`, options);
    const queuePrefix = hubName.toLowerCase();
    this.controlQueues = Array.from(
      { length: partitionCount },
      (_, i) => new QueueClient(connectionString, `${queuePrefix}-control-${String(i).padStart(2, "0")}`),
    );
    this.workItems = new QueueClient(connectionString, `${queuePrefix}-workitems`);
  }

  async ensure(): Promise<void> {
    await Promise.all([
      createTable(this.instances),
      createTable(this.history),
      ...[...this.controlQueues, this.workItems].map((q) => q.createIfNotExists()),
    ]);
  }

  controlQueueFor(instanceId: string): QueueClient {
    const hash = createHash("sha256").update(instanceId).digest().readUInt32BE(0);
    return this.controlQueues[hash % partitionCount] as QueueClient;
  }

  /**
   * Sends a control message. One due at once goes to this process's own receiver when one is
   * registered (see `receiveLocally`): it is sent invisible for the receiver's lease and handed over
   * with its pop receipt, so no poll stands between the send and its processing; a process that dies
   * first leaves it to reappear when that lease runs out.
   */
  async sendControl(message: ControlMessage, delayMs = 0): Promise<void> {
    const queue = this.controlQueueFor(message.instanceId);
    const local = delayMs <= 0 ? this.localControl : undefined;
    const delaySeconds = Math.ceil(Math.min(Math.max(delayMs, 0), maxQueueDelayMs) / 1000);
    const sent = await queue.sendMessage(JSON.stringify(message), {
      visibilityTimeout: local ? local.leaseSeconds : delaySeconds,
    });
    if (local)
      local.take(message, new MessageLease(queue, sent.messageId, sent.popReceipt, local.leaseSeconds));
    else if (delaySeconds > 0) this.localControl?.due?.(queue, delaySeconds * 1000);
  }

  /**
   * Hands a control message to this process's receiver without sending it: its delivery rests on
   * `lease`, which holds a message already stored (the work item the message reports on) that
   * comes back if this process dies before the message is applied, and is deleted once it is.
   * False when there is no receiver (the message must then be sent).
   */
  handOverControl(message: ControlMessage, lease: MessageLease): boolean {
    if (!this.localControl) return false;
    this.localControl.take(message, lease);
    return true;
  }

  /** Sends a work item; like `sendControl`, handed to this process's own receiver when there is one. */
  async sendWorkItem(item: WorkItemMessage): Promise<void> {
    const local = this.localWorkItems;
    const sent = await this.workItems.sendMessage(
      JSON.stringify(item),
      local ? { visibilityTimeout: local.leaseSeconds } : {},
    );
    local?.take(item, new MessageLease(this.workItems, sent.messageId, sent.popReceipt, local.leaseSeconds));
  }

  /**
   * Registers (or, with undefined, removes) the receiver of the control messages or work items this
   * process sends. A receiver must take over every message it is handed: nobody else sees it until
   * its lease runs out.
   */
  receiveLocally(kind: "control", receiver: LocalReceiver<ControlMessage> | undefined): void;
  receiveLocally(kind: "workItems", receiver: LocalReceiver<WorkItemMessage> | undefined): void;
  receiveLocally(
    kind: "control" | "workItems",
    receiver: LocalReceiver<ControlMessage> | LocalReceiver<WorkItemMessage> | undefined,
  ): void {
    if (kind === "control") this.localControl = receiver as LocalReceiver<ControlMessage> | undefined;
    else this.localWorkItems = receiver as LocalReceiver<WorkItemMessage> | undefined;
  }

  async getInstance(instanceId: string): Promise<InstanceRow | undefined> {
    try {
      return fromInstanceEntity(await this.instances.getEntity<Record<string, unknown>>(instanceId, ""));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Writes an instance's status row; answers its ETag. */
  async putInstance(row: InstanceRow): Promise<string> {
    return (await this.instances.upsertEntity(toInstanceEntity(row), "Replace")).etag ?? "";
  }

  /**
   * Runs a client's steps that end in writing an instance's status row (a start: its message, then
   * a Pending row); this process's commit row writes for the instance (`putCommittedRow`) wait
   * until they are done. A start applied in this process at once would otherwise have its first
   * commit's row overwritten by the Pending one written after it.
   */
  async clientRowWrite<T>(instanceId: string, steps: () => Promise<T>): Promise<T> {
    const done = steps();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.clientRowWrites.set(instanceId, settled);
    try {
      return await done;
    } finally {
      if (this.clientRowWrites.get(instanceId) === settled) this.clientRowWrites.delete(instanceId);
    }
  }

  /**
   * Writes the row of a committed turn, after any client row write of this process under way;
   * answers its ETag. With `etag`, only over the row that still has it: undefined when another
   * writer (a client's start, a repair, another host's commit) changed or deleted the row since.
   */
  async putCommittedRow(row: InstanceRow, etag?: string): Promise<string | undefined> {
    await this.clientRowWrites.get(row.instanceId);
    if (etag === undefined) return this.putInstance(row);
    try {
      return (await this.instances.updateEntity(toInstanceEntity(row), "Replace", { etag })).etag ?? "";
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async queryInstances(
    filter: { createdFrom?: string; createdTo?: string; statuses?: string[]; prefix?: string },
    top: number,
    continuationToken?: string,
  ): Promise<{ rows: InstanceRow[]; continuationToken?: string }> {
    const clauses: string[] = [];
    if (filter.createdFrom) clauses.push(odata`CreatedTime ge ${filter.createdFrom}`);
    if (filter.createdTo) clauses.push(odata`CreatedTime le ${filter.createdTo}`);
    if (filter.statuses?.length)
      clauses.push(`(${filter.statuses.map((s) => odata`RuntimeStatus eq ${s}`).join(" or ")})`);
    if (filter.prefix)
      clauses.push(odata`PartitionKey ge ${filter.prefix} and PartitionKey lt ${`${filter.prefix}\uffff`}`);
    const pages = this.instances
      .listEntities<Record<string, unknown>>({
        queryOptions: clauses.length ? { filter: clauses.join(" and ") } : {},
      })
      .byPage({ maxPageSize: top, continuationToken });
    const page = await pages.next();
    if (page.done) return { rows: [] };
    return { rows: page.value.map(fromInstanceEntity), continuationToken: page.value.continuationToken };
  }

  /**
   * The sentinel by point read (indexed, unlike any query): undefined for an instance that has never
   * committed a turn, whose history is then known to be empty without reading it.
   */
  async readSentinel(instanceId: string): Promise<{ sentinel: Sentinel; etag: string } | undefined> {
    try {
      const row = await this.history.getEntity<Record<string, unknown>>(instanceId, "sentinel");
      return { sentinel: JSON.parse(String(row["State"])) as Sentinel, etag: row.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** The committed history (a partition query, which the emulator answers by scanning the table). */
  async loadHistory(instanceId: string): Promise<LoadedHistory> {
    const rows: TableEntityResult<Record<string, unknown>>[] = [];
    for await (const row of this.history.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
    }))
      rows.push(row);
    const sentinelRow = rows.find((r) => r.rowKey === "sentinel");
    if (!sentinelRow) return { sentinel: undefined, etag: undefined, events: [] };
    const sentinel = JSON.parse(String(sentinelRow["State"])) as Sentinel;
    const events = rows
      .filter((r) => r.rowKey !== "sentinel" && r["ExecutionId"] === sentinel.executionId)
      .map((r) => ({
        seq: parseInt(r.rowKey ?? "", 16),
        event: JSON.parse(String(r["Event"])) as HistoryEvent,
      }))
      .filter((r) => r.seq < sentinel.committedSeq)
      .sort((a, b) => a.seq - b.seq)
      .map((r) => r.event);
    return { sentinel, etag: sentinelRow.etag, events };
  }

  /**
   * Locks the next turn of an instance: creates the sentinel (first turn) or updates it if it still
   * has `etag`. A ConcurrencyError-like 409/412 means another writer got there first.
   */
  async lockTurn(instanceId: string, current: LoadedHistory, pending: Sentinel): Promise<string> {
    const entity = { partitionKey: instanceId, rowKey: "sentinel", State: JSON.stringify(pending) };
    if (!current.etag) return (await this.history.createEntity(entity)).etag ?? "";
    return (await this.history.updateEntity(entity, "Replace", { etag: current.etag })).etag ?? "";
  }

  /**
   * Writes rows [fromSeq, fromSeq + events.length) of the execution and commits the sentinel if it
   * still has `lockEtag`, in one entity-group transaction (the rows of a turn longer than one
   * transaction go first in transactions of their own: rows past `committedSeq` are not history
   * yet). Answers the committed sentinel's ETag; a 412 means another writer took the instance over
   * and nothing of this turn is history.
   */
  async commitTurn(
    instanceId: string,
    lockEtag: string,
    sentinel: Sentinel,
    fromSeq: number,
    events: HistoryEvent[],
  ): Promise<string> {
    const actions: TransactionAction[] = events.map((e, i) => [
      "upsert",
      {
        partitionKey: instanceId,
        rowKey: seqKey(fromSeq + i),
        ExecutionId: sentinel.executionId,
        EventType: e.EventType,
        Event: JSON.stringify(e),
      },
      "Replace",
    ]);
    const entity = { partitionKey: instanceId, rowKey: "sentinel", State: JSON.stringify(sentinel) };
    actions.push(["update", entity, "Replace", { etag: lockEtag }]);
    const last = actions.length - ((actions.length - 1) % maxTransactionActions) - 1;
    for (let i = 0; i < last; i += maxTransactionActions)
      await this.history.submitTransaction(actions.slice(i, i + maxTransactionActions));
    const committed = await this.history.submitTransaction(actions.slice(last));
    return committed.subResponses.at(-1)?.etag ?? "";
  }

  /** Deletes the instance's history and status row. */
  async purge(instanceId: string): Promise<void> {
    const keys: string[] = [];
    for await (const row of this.history.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ["RowKey"] },
    }))
      if (row.rowKey) keys.push(row.rowKey);
    for (let i = 0; i < keys.length; i += maxTransactionActions)
      await this.history.submitTransaction(
        keys
          .slice(i, i + maxTransactionActions)
          .map((rowKey) => ["delete", { partitionKey: instanceId, rowKey }]),
      );
    try {
      await this.instances.deleteEntity(instanceId, "");
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  /** How many history rows an instance has in storage (all executions): for bounded-history checks. */
  async storedHistoryRows(instanceId: string): Promise<number> {
    let count = 0;
    for await (const _ of this.history.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ["RowKey"] },
    }))
      count++;
    return count;
  }
}

export function seqKey(seq: number): string {
  return seq.toString(16).toUpperCase().padStart(16, "0");
}

export function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "statusCode" in err
    ? (err as { statusCode?: number }).statusCode
    : undefined;
}

async function createTable(table: TableClient): Promise<void> {
  try {
    await table.createTable();
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

function toInstanceEntity(row: InstanceRow) {
  return {
    partitionKey: row.instanceId,
    rowKey: "",
    Name: row.name,
    ExecutionId: row.executionId,
    Input: row.input ?? undefined,
    Output: row.output ?? undefined,
    CustomStatus: row.customStatus ?? undefined,
    RuntimeStatus: row.runtimeStatus,
    CreatedTime: row.createdTime,
    LastUpdatedTime: row.lastUpdatedTime,
    CompletedTime: row.completedTime,
    ParentInstanceId: row.parentInstanceId,
  };
}

function fromInstanceEntity(e: Record<string, unknown>): InstanceRow {
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    instanceId: String(e["partitionKey"]),
    name: String(e["Name"]),
    executionId: String(e["ExecutionId"]),
    input: text(e["Input"]),
    output: text(e["Output"]),
    customStatus: text(e["CustomStatus"]),
    runtimeStatus: String(e["RuntimeStatus"]) as RuntimeStatus,
    createdTime: String(e["CreatedTime"]),
    lastUpdatedTime: String(e["LastUpdatedTime"]),
    ...(typeof e["CompletedTime"] === "string" ? { completedTime: e["CompletedTime"] } : {}),
    ...(typeof e["ParentInstanceId"] === "string" ? { parentInstanceId: e["ParentInstanceId"] } : {}),
  };
}
