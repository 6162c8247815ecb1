import { randomUUID } from "node:crypto";
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from "@azure/data-tables";

/**
 * Seeds orchestration instances straight into a task hub's storage by cloning one that the engine
 * itself has run: a bench needs thousands of instances waiting in the same state, and starting each
 * through the Durable HTTP API (start message, first turn, commit, status row) costs minutes at scale.
 *
 * The template is an instance started the ordinary way and left idle (its turn committed, nothing in
 * flight for it). Every storage row of it is read: its `<hub>Instances` status row, and its whole
 * `<hub>History` partition (the committed events of its current execution and the `sentinel` row,
 * which carries a copy of the status row). Each clone is that set of rows with, wherever they occur
 * (entity keys, plain properties, and inside JSON held in a property — the sentinel's `State`, each
 * event's `Event`, the status row's copy in the sentinel, nested JSON strings such as an input):
 *
 * - the template's instance ID → the clone's (PartitionKey, OrchestrationInstance.InstanceId, …);
 * - the template's execution ID → a new random one per clone (ExecutionId columns, the sentinel's,
 *   ExecutionStarted's OrchestrationInstance.ExecutionId);
 * - the template's input, as its exact stored JSON text → the clone's input (the status row's Input,
 *   the sentinel's copy, ExecutionStarted's Input);
 * - each queue message ID the history remembers (events' MessageId, the sentinel's
 *   seenFromPrevious) → a new random one, as a start of its own would have had.
 *
 * Anything else (times, custom status, sequence numbers, task IDs) is kept as the template has it,
 * so the clone is in exactly the template's state. A clone whose rows still mention the template's
 * instance or execution ID anywhere (inside an input, say, that the clone's input does not replace)
 * is refused rather than written half-substituted.
 *
 * Writes, per clone: its history partition in one entity-group transaction with the sentinel (in the
 * last one, after the events, if there were ever more than 100 rows), then its status row, as the
 * engine commits a turn. Rows are upserted, so a clone retried after a lost answer lands the same;
 * an existing instance with a clone's ID is replaced, so callers pass fresh IDs.
 */

/** The task hub's two tables (TaskHub.instances and TaskHub.history of the local host). */
export interface HubTables {
  instances: TableClient;
  history: TableClient;
}

/** An instance ID to create and the input it was started with. */
export interface CloneTarget {
  instanceId: string;
  input: unknown;
}

type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** What one instance is in storage, read once and cloned many times. */
export interface OrchestrationTemplate {
  instanceId: string;
  executionId: string;
  /** The input as stored (the exact JSON text), or undefined for an instance started without one. */
  inputText: string | undefined;
  instanceRow: Row;
  /** The committed history rows of the current execution, in order, then the sentinel. */
  historyRows: Row[];
  /** The queue message IDs the rows remember (each clone gets new ones). */
  messageIds: string[];
}

interface Sentinel {
  executionId: string;
  committedSeq: number;
  pendingSince?: string;
  instance?: { executionId: string; runtimeStatus: string; input: string | null };
  seenFromPrevious?: string[];
}

/** The largest entity-group transaction Table storage takes. */
const maxTransactionActions = 100;

/**
 * Reads every storage row of `instanceId` and checks that it is a settled instance to clone: a
 * committed turn (no turn half-written), the status row written from that commit.
 */
export async function readTemplate(tables: HubTables, instanceId: string): Promise<OrchestrationTemplate> {
  const instanceRow = withoutSystemProperties(
    await tables.instances.getEntity<Record<string, unknown>>(instanceId, ""),
  );
  const partition: Row[] = [];
  for await (const row of tables.history.listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
  }))
    partition.push(withoutSystemProperties(row));
  const sentinelRow = partition.find((r) => r.rowKey === "sentinel");
  if (!sentinelRow) throw new Error(`template ${instanceId}: no sentinel, its first turn is not committed`);
  const sentinel = JSON.parse(String(sentinelRow["State"])) as Sentinel;
  const executionId = sentinel.executionId;
  if (sentinel.pendingSince) throw new Error(`template ${instanceId}: a turn is being written`);
  if (instanceRow["ExecutionId"] !== executionId || sentinel.instance?.executionId !== executionId)
    throw new Error(`template ${instanceId}: the status row is not the committed execution's`);
  if (instanceRow["RuntimeStatus"] !== sentinel.instance.runtimeStatus)
    throw new Error(
      `template ${instanceId}: status row ${String(instanceRow["RuntimeStatus"])}, ` +
        `committed ${sentinel.instance.runtimeStatus} (the row is not written yet)`,
    );
  const inputText = typeof instanceRow["Input"] === "string" ? instanceRow["Input"] : undefined;
  if ((sentinel.instance.input ?? undefined) !== inputText)
    throw new Error(`template ${instanceId}: the status row's input is not the committed one`);

  // Rows past the committed count or of an older execution are not history: not cloned.
  const events = partition
    .filter((r) => r.rowKey !== "sentinel" && r["ExecutionId"] === executionId)
    .map((r) => ({ seq: parseInt(r.rowKey, 16), row: r }))
    .filter((r) => r.seq < sentinel.committedSeq)
    .sort((a, b) => a.seq - b.seq);
  if (events.length !== sentinel.committedSeq || events.some((e, i) => e.seq !== i))
    throw new Error(
      `template ${instanceId}: ${events.length} of ${sentinel.committedSeq} committed history rows found`,
    );
  const messageIds = new Set(sentinel.seenFromPrevious ?? []);
  for (const { row } of events) {
    const e = JSON.parse(String(row["Event"])) as { MessageId?: string; SeenMessageIds?: string[] };
    if (e.MessageId) messageIds.add(e.MessageId);
    for (const id of e.SeenMessageIds ?? []) messageIds.add(id);
  }
  return {
    instanceId,
    executionId,
    inputText,
    instanceRow,
    historyRows: [...events.map((e) => e.row), sentinelRow],
    messageIds: [...messageIds],
  };
}

/** The rows of one clone (pure): its status row and its history partition, sentinel last. */
export function cloneRows(
  template: OrchestrationTemplate,
  target: CloneTarget,
): { instanceRow: Row; historyRows: Row[]; executionId: string } {
  if (target.instanceId === template.instanceId)
    throw new Error(`clone ${target.instanceId}: the template's own instance ID`);
  const executionId = randomUUID();
  const swap = new Map<string, string>([
    [template.instanceId, target.instanceId],
    [template.executionId, executionId],
  ]);
  if (template.inputText !== undefined)
    swap.set(template.inputText, target.input === undefined ? "null" : JSON.stringify(target.input));
  for (const id of template.messageIds) swap.set(id, randomUUID());
  const instanceRow = substitute(template.instanceRow, swap) as Row;
  const historyRows = template.historyRows.map((r) => substitute(r, swap) as Row);
  const text = JSON.stringify([instanceRow, historyRows]);
  for (const [what, id] of [
    ["instance", template.instanceId],
    ["execution", template.executionId],
  ] as const)
    if (text.includes(id))
      throw new Error(
        `clone ${target.instanceId}: the template's ${what} ID ${id} is still in its rows ` +
          "(somewhere the substitution does not reach: inside the input?)",
      );
  return { instanceRow, historyRows, executionId };
}

export interface CloneOptions {
  /** Clones written at once (each: one history transaction, then one status row). */
  concurrency?: number;
  /** Called before each clone: may throw to stop (a deadline). */
  beforeEach?: () => void;
  /** Called after each clone is written, with how many are done. */
  onProgress?: (done: number) => void;
}

/** Writes a clone of `template` for each target; answers how many and the storage requests spent. */
export async function cloneOrchestrations(
  tables: HubTables,
  template: OrchestrationTemplate,
  targets: readonly CloneTarget[],
  options: CloneOptions = {},
): Promise<{ cloned: number; requests: number }> {
  let next = 0;
  let done = 0;
  let requests = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++] as CloneTarget;
      options.beforeEach?.();
      const rows = cloneRows(template, target);
      const spent = await writeClone(tables, rows.instanceRow, rows.historyRows);
      requests += spent;
      done++;
      options.onProgress?.(done);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 96, targets.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cloned: done, requests };
}

/** History first (the sentinel in the last transaction), then the status row: as a commit writes them. */
async function writeClone(tables: HubTables, instanceRow: Row, historyRows: Row[]): Promise<number> {
  const actions: TransactionAction[] = historyRows.map((row) => ["upsert", row, "Replace"]);
  const last = actions.length - ((actions.length - 1) % maxTransactionActions) - 1;
  let requests = 0;
  for (let i = 0; i < actions.length; i += maxTransactionActions) {
    const chunk = actions.slice(i, i === last ? undefined : i + maxTransactionActions);
    await retried(() => tables.history.submitTransaction(chunk));
    requests++;
    if (i === last) break;
  }
  await retried(() => tables.instances.upsertEntity(instanceRow, "Replace"));
  return requests + 1;
}

/** A few tries for what a busy emulator may drop (a reset connection, a 5xx); both writes are idempotent. */
async function retried<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const transient = status === undefined || status >= 500;
      if (!transient || attempt >= 4) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

/**
 * `value` with every string `swap` names replaced, in objects and arrays and inside strings that
 * hold JSON (re-serialized only where something inside changed, so other text stays byte for byte).
 */
function substitute(value: unknown, swap: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    const whole = swap.get(value);
    if (whole !== undefined) return whole;
    const first = value.trimStart()[0];
    if (first !== "{" && first !== "[") return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return value;
    }
    const replaced = substitute(parsed, swap);
    return JSON.stringify(replaced) === JSON.stringify(parsed) ? value : JSON.stringify(replaced);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, swap));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, swap)]));
  return value;
}

/** An entity as read, without what the service sets (ETag, Timestamp), ready to be written again. */
function withoutSystemProperties(entity: TableEntityResult<Record<string, unknown>>): Row {
  const { etag: _etag, timestamp: _timestamp, ...rest } = entity;
  for (const key of Object.keys(rest)) if (key.startsWith("odata.")) delete rest[key];
  return rest as Row;
}
