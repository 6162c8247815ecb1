import type { QueueClient } from "@azure/storage-queue";
import { jittered } from "../pollBackoff";
import { maxIdleMs, Sleeper } from "./sleeper";
import { decodeTypedData, type Invoker, type Logger } from "../invoker";
import { isLeaseLost, MessageLease } from "../messageLease";
import { HistoryCache } from "./historyCache";
import type { FunctionRegistry } from "../registry";
import { stateFromFailure, type OrchestratorState } from "./actions";
import { EventType, completedId, event, type HistoryEvent } from "./events";
import {
  consumesTaskIds,
  notifyParentOfFailure,
  planTurn,
  scheduledBy,
  type TimerSettings,
  type TurnPlan,
} from "./orchestrationTurn";
import {
  statusOf,
  terminalStatuses,
  type ControlMessage,
  type InstanceRow,
  type LoadedHistory,
  type TaskHub,
} from "./taskHub";

/**
 * Reads the control queues, and takes the control messages this process sends itself; runs
 * orchestration turns. One turn per instance at a time in this process: messages for an instance
 * wait in its inbox while a turn runs and go into the next one together. Across processes the
 * sentinel's ETag decides which writer applies a turn, and the loser puts its messages back.
 */
interface Received {
  message: ControlMessage;
  messageId: string;
  /** Held from receipt until the message is deleted or put back; its pop receipt is the newest. */
  lease: MessageLease;
  /** How often this process has already put it aside for a moment (see `defer`). */
  deferrals?: number;
  /** How often the queue has handed it out: a message that can never be applied is dropped at last. */
  dequeueCount: number;
}

export interface DispatcherOptions {
  hub: TaskHub;
  registry: FunctionRegistry;
  invoker: Invoker;
  log: Logger;
  timers: TimerSettings;
  /** How long a received control message stays invisible to others (seconds). */
  leaseSeconds?: number;
  /** How many history events the in-process history cache holds at most (see HistoryCache). */
  cachedEvents?: number;
  /** How long a status row that only moves its time on may wait to be written (see `settle`). */
  statusRowQuietMs?: number;
}

/** A message handed out this often without ever being applicable (a purged instance, say) is dropped. */
const maxDequeueCount = 200;

/** First in-process retry of a message that cannot be applied yet; doubles each time. */
const deferMs = 25;

/**
 * How long after a status row write a row that only moves its time on waits before it is written
 * (see `settle`), by default: a run of quick turns writes its row about once per window, not per turn.
 */
const defaultQuietRowMs = 200;

/** The status row this process last wrote for an instance (with its ETag), and a newer one waiting. */
interface WrittenRow {
  row: InstanceRow;
  etag: string | undefined;
  waiting?: InstanceRow;
  timer: NodeJS.Timeout | undefined;
}

/** Messages of one instance not yet in a turn, and the loop that runs its turns. */
interface Inbox {
  waiting: Received[];
  drained: Promise<void>;
}

export class OrchestrationDispatcher {
  private readonly inboxes = new Map<string, Inbox>();
  /** Per instance: the status row write and message deletes after its last commit, under way. */
  private readonly settling = new Map<string, Promise<void>>();
  /** Per instance: the status row this process last wrote in the last `statusRowQuietMs`, and one waiting. */
  private readonly rows = new Map<string, WrittenRow>();
  private readonly cache: HistoryCache;
  /**
   * Messages this process holds, in a turn or waiting for an in-process retry (see `defer`), by
   * message ID. Their leases are renewed, so the queue hands them out again only if a renewal came
   * too late; then the new pop receipt is adopted and the message is not run twice.
   */
  private readonly held = new Map<string, MessageLease>();
  /** IDs of held messages whose in-process retry is scheduled: their leases outlive the turn. */
  private readonly retrying = new Set<string>();
  private stopping = false;
  private loops: Promise<void>[] = [];
  /** Each control queue poller's idle wait, by queue name. */
  private readonly idle = new Map<string, Sleeper>();

  constructor(private readonly options: DispatcherOptions) {
    this.cache = new HistoryCache(options.cachedEvents);
  }

  start(): void {
    this.loops = this.options.hub.controlQueues.map((queue) => this.poll(queue));
    this.options.hub.receiveLocally("control", {
      leaseSeconds: this.leaseSeconds,
      take: (message, lease) => this.take(message, lease),
      due: (queue, delayMs) => setTimeout(() => this.idle.get(queue.name)?.wake(), delayMs).unref(),
    });
  }

  async stop(): Promise<void> {
    this.options.hub.receiveLocally("control", undefined);
    this.stopping = true;
    for (const sleeper of this.idle.values()) sleeper.wake();
    await Promise.all(this.loops);
    await Promise.all([...this.inboxes.values()].map((inbox) => inbox.drained));
    // Rows waiting for their quiet window to end are written now.
    for (const [instanceId, state] of [...this.rows]) {
      clearTimeout(state.timer);
      this.endQuietWindow(instanceId, state);
    }
    await Promise.all(this.settling.values());
    // Whatever is still held (a retry not yet due) goes back to the queue when its lease runs out.
    await Promise.all([...this.held.values()].map((lease) => lease.end()));
    this.held.clear();
  }

  private async poll(queue: QueueClient): Promise<void> {
    const idle = new Sleeper();
    this.idle.set(queue.name, idle);
    let idleMs = 10;
    while (!this.stopping) {
      let received: Received[] = [];
      try {
        const batch = await queue.receiveMessages({
          numberOfMessages: 32,
          visibilityTimeout: this.leaseSeconds,
        });
        received = batch.receivedMessageItems.flatMap((m) => {
          const held = this.held.get(m.messageId);
          if (held && !held.ended) {
            held.adopt(m.popReceipt); // ours still: its lease lapsed before a renewal
            return [];
          }
          const message = parseControlMessage(m.messageText);
          if (message) {
            const lease = new MessageLease(queue, m.messageId, m.popReceipt, this.leaseSeconds);
            this.held.set(m.messageId, lease);
            return [{ message, messageId: m.messageId, lease, dequeueCount: m.dequeueCount }];
          }
          this.options.log.error(`durable: dropping unreadable control message ${m.messageId}`);
          void queue.deleteMessage(m.messageId, m.popReceipt).catch(() => undefined);
          return [];
        });
      } catch (err) {
        if (!this.stopping)
          this.options.log.error(
            `durable: control queue ${queue.name} unreadable: ${(err as Error).message}`,
          );
      }
      if (received.length === 0) {
        await idle.sleep(jittered(idleMs));
        idleMs = Math.min(idleMs * 2, maxIdleMs);
        continue;
      }
      idleMs = 10;
      for (const [instanceId, messages] of groupByInstance(received)) this.enqueue(instanceId, messages);
    }
  }

  private get leaseSeconds(): number {
    return this.options.leaseSeconds ?? 30;
  }

  private get quietRowMs(): number {
    return this.options.statusRowQuietMs ?? defaultQuietRowMs;
  }

  /**
   * A control message this process sent or reported (see TaskHub.handOverControl): held under its
   * lease, which the turn that applies it ends by deleting.
   */
  private take(message: ControlMessage, lease: MessageLease): void {
    if (this.stopping) {
      void lease.release(0).catch(() => undefined); // for whichever host polls next
      return;
    }
    this.held.set(lease.messageId, lease);
    this.enqueue(message.instanceId, [{ message, messageId: lease.messageId, lease, dequeueCount: 1 }]);
  }

  /** Adds messages to the instance's inbox, and starts its turns unless they are running. */
  private enqueue(instanceId: string, messages: Received[]): void {
    for (const m of messages) this.retrying.delete(m.messageId);
    const inbox = this.inboxes.get(instanceId);
    if (inbox) {
      inbox.waiting.push(...messages);
      return;
    }
    const created: Inbox = { waiting: [...messages], drained: Promise.resolve() };
    this.inboxes.set(instanceId, created);
    created.drained = this.drain(instanceId, created);
  }

  /** Runs turns until the inbox is empty; each takes every message that arrived before it. */
  private async drain(instanceId: string, inbox: Inbox): Promise<void> {
    while (inbox.waiting.length > 0) {
      const messages = inbox.waiting.splice(0);
      try {
        await this.processInstance(instanceId, messages);
      } catch (err) {
        this.cache.delete(instanceId); // what storage holds now is unknown
        this.options.log.error(`durable: ${instanceId}: ${(err as Error).stack ?? String(err)}`);
      } finally {
        this.letGo(messages);
      }
    }
    this.inboxes.delete(instanceId);
  }

  /**
   * After a chain step: messages deleted or put back are no longer held; one left unsettled (the
   * step failed) stops being renewed and reappears when its lease runs out. A message waiting for
   * its in-process retry stays held.
   */
  private letGo(messages: Received[]): void {
    for (const m of messages) {
      if (this.retrying.has(m.messageId)) continue;
      if (!m.lease.ended) void m.lease.end();
      if (this.held.get(m.messageId) === m.lease) this.held.delete(m.messageId);
    }
  }

  /**
   * Applies the messages in as many turns as the ID rules need (see consumesTaskIds). A turn built
   * on a cached history that another writer has moved on from is refused by the lock; it is built
   * again once on the history read from storage, and after a second refusal the messages go back.
   */
  private async processInstance(instanceId: string, messages: Received[]): Promise<void> {
    let pending = messages;
    while (pending.length > 0) {
      const { loaded, fresh } = await this.load(instanceId);
      const instance = await this.instanceRow(instanceId, loaded, pending, fresh);
      if (this.lockedElsewhere(loaded)) {
        this.cache.delete(instanceId);
        return this.defer(instanceId, pending);
      }
      const { apply, drop, defer } = triage(pending, loaded, instance, new Date());
      await Promise.all(drop.map((m) => deleteMessage(m)));
      await this.defer(instanceId, defer);
      if (apply.length === 0) return;
      const batch = takeTurnBatch(apply, loaded.events);
      const row = await this.applyTurn(instanceId, batch, loaded, instance);
      if (!row) {
        this.cache.delete(instanceId);
        if (!fresh) {
          pending = apply;
          continue;
        }
        await Promise.all(apply.map((m) => release(m, 200)));
        return;
      }
      pending = apply.filter((m) => !batch.includes(m));
      this.settle(instanceId, row, batch);
    }
  }

  /**
   * After a commit: writes the status row (a projection of the committed sentinel) and deletes the
   * applied messages, while the next turn may already run. Row writes of one instance go in commit
   * order. If the row write fails the cache entry goes, so the next turn reads and repairs the row;
   * a message left undeleted comes back and is dropped as applied.
   *
   * A row that differs from the one this process last wrote only in its time (still Running, the
   * same execution and custom status) is not written at once if the last write is younger than
   * `statusRowQuietMs`: it waits for the end of that window, and a newer one replaces it meanwhile. It is
   * then written only over the row this process wrote (its ETag): a row another writer wrote since
   * (a client's start, a repair, another host's commit) is newer and stays.
   */
  private settle(instanceId: string, row: InstanceRow, batch: Received[]): void {
    const deletes = batch.map((m) => deleteMessage(m));
    const written = this.rows.get(instanceId);
    if (written && quietChange(written.waiting ?? written.row, row)) {
      written.waiting = row;
      // Still a link of the chain: a later row write must wait for the writes before it.
      this.chain(instanceId, [this.previousSettle(instanceId), ...deletes]);
      return;
    }
    this.dropRowState(instanceId);
    const state: WrittenRow = { row, etag: undefined, timer: undefined };
    this.rows.set(instanceId, state);
    const write = this.previousSettle(instanceId).then(async () => {
      state.etag = await this.options.hub.putCommittedRow(row);
      state.timer = setTimeout(() => this.endQuietWindow(instanceId, state), this.quietRowMs);
      state.timer.unref();
    });
    write.catch(() => this.dropRowState(instanceId, state));
    this.chain(instanceId, [write, ...deletes]);
  }

  /**
   * The quiet window after a row write is over: the row waiting in it is written (and opens the
   * next window); with none waiting, the instance's row is no longer tracked.
   */
  private endQuietWindow(instanceId: string, state: WrittenRow): void {
    state.timer = undefined;
    if (this.rows.get(instanceId) !== state) return;
    const waiting = state.waiting;
    if (!waiting) {
      this.rows.delete(instanceId);
      return;
    }
    state.waiting = undefined;
    const write = this.previousSettle(instanceId).then(async () => {
      if (this.rows.get(instanceId) !== state) return; // an immediate write came in the meantime
      const etag = await this.options.hub.putCommittedRow(waiting, state.etag || undefined);
      if (etag === undefined) return this.dropRowState(instanceId, state); // another writer's row stands
      state.row = waiting;
      state.etag = etag;
      if (this.stopping) return this.dropRowState(instanceId, state);
      state.timer = setTimeout(() => this.endQuietWindow(instanceId, state), this.quietRowMs);
      state.timer.unref();
    });
    write.catch(() => this.dropRowState(instanceId, state));
    this.chain(instanceId, [write]);
  }

  /** Forgets the row this process wrote for the instance (only `state`, if given); cancels its window. */
  private dropRowState(instanceId: string, state?: WrittenRow): void {
    const current = this.rows.get(instanceId);
    if (!current || (state && current !== state)) return;
    clearTimeout(current.timer);
    this.rows.delete(instanceId);
  }

  private previousSettle(instanceId: string): Promise<void> {
    return this.settling.get(instanceId) ?? Promise.resolve();
  }

  /** Adds steps to the instance's settling chain; a failure drops its cache entry (the next turn repairs). */
  private chain(instanceId: string, steps: Promise<unknown>[]): void {
    const settled: Promise<void> = Promise.all(steps)
      .then(
        () => undefined,
        (err: unknown) => {
          this.cache.delete(instanceId);
          this.options.log.error(`durable: ${instanceId}: ${(err as Error).stack ?? String(err)}`);
        },
      )
      .finally(() => {
        if (this.settling.get(instanceId) === settled) this.settling.delete(instanceId);
      });
    this.settling.set(instanceId, settled);
  }

  /**
   * The instance's committed history: from the cache, else read. A missing sentinel (point read)
   * means no turn was ever committed, and the history is not queried at all. `fresh` = read now.
   */
  private async load(instanceId: string): Promise<{ loaded: LoadedHistory; fresh: boolean }> {
    const cached = this.cache.get(instanceId);
    if (cached) return { loaded: cached, fresh: false };
    const { hub } = this.options;
    const loaded = (await hub.readSentinel(instanceId))
      ? await hub.loadHistory(instanceId)
      : { sentinel: undefined, etag: undefined, events: [] };
    if (!loaded.sentinel?.pendingSince) this.cache.set(instanceId, loaded);
    return { loaded, fresh: true };
  }

  /**
   * The status row as a turn must see it. The sentinel carries the row as of its commit, and the
   * row in storage can differ from it only where a client writes it (a Pending row for a new start,
   * which only a finished or continued instance accepts) or where a crash came between a commit and
   * the row write, which only a history read from storage can show. Only then is the row read (and
   * repaired).
   */
  private async instanceRow(
    instanceId: string,
    loaded: LoadedHistory,
    pending: Received[],
    fresh: boolean,
  ): Promise<InstanceRow | undefined> {
    const committed = loaded.sentinel?.instance;
    const settled =
      committed !== undefined &&
      (committed.runtimeStatus === "Running" || committed.runtimeStatus === "Suspended") &&
      !pending.some((m) => m.message.event.EventType === EventType.ExecutionStarted);
    return !fresh && settled ? committed : this.repairedRow(instanceId, loaded);
  }

  /**
   * The status row, rewritten from the sentinel's copy when a crash came between the commit and the
   * row write (the row is a projection; the sentinel is the record). A row that is Pending for a
   * start not yet applied (`startNew` over a finished instance) is left as it is.
   */
  private async repairedRow(instanceId: string, loaded: LoadedHistory): Promise<InstanceRow | undefined> {
    const row = await this.options.hub.getInstance(instanceId);
    const committed = loaded.sentinel?.instance;
    if (!committed) return row;
    if (row?.runtimeStatus === "Pending" && row.executionId !== committed.executionId) return row;
    if (row && row.lastUpdatedTime >= committed.lastUpdatedTime) return row;
    await this.options.hub.putCommittedRow(committed);
    return committed;
  }

  /**
   * Another process is writing a turn of this instance (its lock is younger than a message lease):
   * wait for it. An older lock belongs to a writer that died mid-turn and may be taken over.
   */
  private lockedElsewhere(loaded: LoadedHistory): boolean {
    const since = loaded.sentinel?.pendingSince;
    if (!since) return false;
    return Date.now() - Date.parse(since) < this.leaseSeconds * 1000;
  }

  /**
   * A message that cannot be applied yet usually can be a moment later (the instance is between two
   * executions, or its task's scheduling turn is still being committed). Queue visibility counts in
   * whole seconds, so the first few retries stay in this process, under the message's lease; after
   * that, or for a far-off timer, the message goes back to the queue.
   */
  private async defer(instanceId: string, messages: Received[]): Promise<void> {
    const hopeless = messages.filter((m) => m.dequeueCount > maxDequeueCount);
    for (const m of hopeless)
      this.options.log.error(
        `durable: ${instanceId}: dropping a message that could not be applied in ${m.dequeueCount} tries`,
      );
    await Promise.all(hopeless.map((m) => deleteMessage(m)));
    messages = messages.filter((m) => !hopeless.includes(m));
    const soon = messages.filter((m) => (m.deferrals ?? 0) < 6 && !isFarTimer(m));
    await Promise.all(messages.filter((m) => !soon.includes(m)).map((m) => release(m, 1_000)));
    if (soon.length === 0 || this.stopping) return;
    const retry = soon.map((m) => ({ ...m, deferrals: (m.deferrals ?? 0) + 1 }));
    const delay = deferMs * 2 ** Math.max(...soon.map((m) => m.deferrals ?? 0));
    for (const m of retry) this.retrying.add(m.messageId);
    setTimeout(() => {
      if (!this.stopping) return this.enqueue(instanceId, retry);
      for (const m of retry) this.retrying.delete(m.messageId);
      this.letGo(retry);
    }, delay).unref();
  }

  /**
   * One turn, up to its commit; answers the status row it leaves, to be written, or undefined when
   * another writer applied a turn first (the messages are retried).
   */
  private async applyTurn(
    instanceId: string,
    batch: Received[],
    loaded: LoadedHistory,
    instance: InstanceRow | undefined,
  ): Promise<InstanceRow | undefined> {
    // The lock goes out before the orchestrator runs: it does not depend on what the turn decides,
    // and the orchestrator (no side effects) runs meanwhile; nothing is sent before the lock is held.
    const lock = this.lock(instanceId, loaded);
    lock.catch(() => undefined); // awaited by the commit, or by `unlock`
    try {
      const first = (batch[0] as Received).message.event;
      if (first.EventType === EventType.ExecutionTerminated)
        return await this.terminate(instanceId, batch, loaded, instance, lock);
      if (first.EventType === EventType.ExecutionSuspended || first.EventType === EventType.ExecutionResumed)
        return await this.suspendOrResume(instanceId, batch, loaded, instance, lock);
      return await this.runOrchestrator(instanceId, batch, loaded, instance, lock);
    } catch (err) {
      await this.unlock(instanceId, loaded, lock);
      throw err;
    }
  }

  /**
   * Locks the next turn of the instance (see `commit`): answers the lock's ETag, or undefined when
   * another writer got there first. Never rejects for that; other errors reject.
   */
  private async lock(instanceId: string, loaded: LoadedHistory): Promise<string | undefined> {
    // The lock records only that a turn is under way: what is committed stays as it was until commitTurn.
    const unchanged = loaded.sentinel ?? { executionId: "", committedSeq: 0, nextId: 0, actionCount: 0 };
    try {
      return await this.options.hub.lockTurn(instanceId, loaded, {
        ...unchanged,
        pendingSince: new Date().toISOString(),
      });
    } catch (err) {
      if (statusOf(err) === 409 || statusOf(err) === 412) return undefined;
      throw err;
    }
  }

  /**
   * A turn that failed before its commit (the host's fault, not the orchestrator's) takes back its
   * lock, so this process's own retry does not wait for it as for another writer's. Best effort:
   * a lock left behind lapses after a message lease.
   */
  private async unlock(instanceId: string, loaded: LoadedHistory, lock: Promise<string | undefined>) {
    const etag = await lock.catch(() => undefined);
    if (etag === undefined) return;
    const unchanged = loaded.sentinel ?? { executionId: "", committedSeq: 0, nextId: 0, actionCount: 0 };
    await this.options.hub.lockTurn(instanceId, { ...loaded, etag }, { ...unchanged }).catch(() => undefined);
  }

  private async runOrchestrator(
    instanceId: string,
    batch: Received[],
    loaded: LoadedHistory,
    instance: InstanceRow | undefined,
    lock: Promise<string | undefined>,
  ) {
    const now = new Date();
    const startedBy = batch.find((m) => m.message.event.EventType === EventType.ExecutionStarted)?.message;
    const history = startedBy ? [] : loaded.events;
    const started = (startedBy?.event ??
      history.find((e) => e.EventType === EventType.ExecutionStarted)) as HistoryEvent;
    const executionId = startedBy?.executionId ?? loaded.sentinel?.executionId ?? "";
    const seenFromPrevious = startedBy?.event.SeenMessageIds;
    const sentinel = startedBy
      ? {
          executionId,
          committedSeq: 0,
          nextId: 0,
          actionCount: 0,
          ...(seenFromPrevious ? { seenFromPrevious } : {}),
        }
      : { ...(loaded.sentinel as NonNullable<LoadedHistory["sentinel"]>) };
    const incoming = [
      event(EventType.OrchestratorStarted, { Timestamp: now.toISOString() }),
      ...batch.flatMap((m) => withCarriedEvents(toHistoryEvent(m, now))),
    ];
    const name = started.Name ?? "";
    const ctx = {
      instanceId,
      name,
      executionId,
      parent: started.ParentInstance,
      now,
      history,
      incoming,
      sentinel,
      timers: this.options.timers,
    };
    const { state, failed } = await this.invokeOrchestrator(name, ctx, started);
    const plan = planTurn(ctx, state, failed);
    if (plan.outcome.kind === "failed") {
      plan.decisions.push(
        event(EventType.ExecutionCompleted, {
          Timestamp: now.toISOString(),
          OrchestrationStatus: "Failed",
          Result: JSON.stringify(plan.outcome.error),
          FailureDetails: plan.outcome.details,
        }),
      );
      plan.controlMessages.push(...notifyParentOfFailure(ctx, plan.outcome.error, plan.outcome.details));
    }
    const appended = [
      ...incoming,
      ...plan.decisions,
      event(EventType.OrchestratorCompleted, { Timestamp: now.toISOString() }),
    ];
    const row = instanceRowAfter(instance, instanceId, name, executionId, started, plan, now);
    return this.commit(
      instanceId,
      loaded,
      sentinel.committedSeq,
      { ...plan, decisions: appended },
      row,
      lock,
    );
  }

  private async invokeOrchestrator(
    name: string,
    ctx: {
      instanceId: string;
      history: HistoryEvent[];
      incoming: HistoryEvent[];
      parent: HistoryEvent["ParentInstance"];
    },
    started: HistoryEvent,
  ): Promise<{ state: OrchestratorState; failed: boolean }> {
    const fn = this.options.registry.find(name);
    if (!fn || fn.trigger.binding.type !== "orchestrationTrigger")
      return {
        state: { isDone: false, actions: [[]], error: `orchestrator function "${name}" does not exist` },
        failed: true,
      };
    const payload = {
      history: [...ctx.history.map((e) => ({ ...e, IsPlayed: true })), ...ctx.incoming],
      input: started.Input === undefined ? undefined : (JSON.parse(started.Input) as unknown),
      instanceId: ctx.instanceId,
      isReplaying: ctx.history.length > 0,
      parentInstanceId: ctx.parent?.OrchestrationInstance.InstanceId,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: timeSpan(this.options.timers.longRunningTimerIntervalMs),
      maximumShortTimerDuration: timeSpan(this.options.timers.maximumShortTimerMs),
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    const result = await this.options.invoker.invoke(fn, {
      inputData: [{ name: fn.trigger.name, data: { string: JSON.stringify(payload) } }],
    });
    if (result.ok)
      return { state: decodeTypedData(result.response.returnValue) as OrchestratorState, failed: false };
    const state = stateFromFailure(result.error.message);
    return {
      state: state ?? { isDone: false, actions: [[]], error: result.error.message },
      failed: true,
    };
  }

  /** Terminate: no orchestrator run; the execution ends as Terminated and a parent is told. */
  private async terminate(
    instanceId: string,
    batch: Received[],
    loaded: LoadedHistory,
    instance: InstanceRow | undefined,
    lock: Promise<string | undefined>,
  ) {
    const now = new Date();
    const message = batch[0] as Received;
    const reason = message.message.event.Input ?? "null";
    const started = loaded.events.find((e) => e.EventType === EventType.ExecutionStarted);
    const appended = [
      event(EventType.OrchestratorStarted, { Timestamp: now.toISOString() }),
      toHistoryEvent(message, now),
      event(EventType.ExecutionCompleted, {
        Timestamp: now.toISOString(),
        OrchestrationStatus: "Terminated",
        Result: reason,
      }),
      event(EventType.OrchestratorCompleted, { Timestamp: now.toISOString() }),
    ];
    const sentinel = loaded.sentinel as NonNullable<LoadedHistory["sentinel"]>;
    const plan: TurnPlan = {
      decisions: appended,
      controlMessages: notifyParentOfFailure(
        { parent: started?.ParentInstance, now, instanceId, executionId: sentinel.executionId, sentinel },
        `terminated: ${reason}`,
      ),
      workItems: [],
      sentinel: { ...sentinel },
      outcome: { kind: "running", customStatus: undefined },
    };
    const row: InstanceRow = {
      ...((instance ?? sentinel.instance) as InstanceRow),
      runtimeStatus: "Terminated",
      output: reason,
      lastUpdatedTime: now.toISOString(),
      completedTime: now.toISOString(),
    };
    return this.commit(instanceId, loaded, sentinel.committedSeq, plan, row, lock);
  }

  private async suspendOrResume(
    instanceId: string,
    batch: Received[],
    loaded: LoadedHistory,
    instance: InstanceRow | undefined,
    lock: Promise<string | undefined>,
  ) {
    const now = new Date();
    const message = batch[0] as Received;
    const suspend = message.message.event.EventType === EventType.ExecutionSuspended;
    const sentinel = loaded.sentinel as NonNullable<LoadedHistory["sentinel"]>;
    const plan: TurnPlan = {
      decisions: [
        event(EventType.OrchestratorStarted, { Timestamp: now.toISOString() }),
        toHistoryEvent(message, now),
      ],
      controlMessages: [],
      workItems: [],
      sentinel: { ...sentinel },
      outcome: { kind: "running", customStatus: undefined },
    };
    const row: InstanceRow = {
      ...((instance ?? sentinel.instance) as InstanceRow),
      runtimeStatus: suspend ? "Suspended" : "Running",
      lastUpdatedTime: now.toISOString(),
    };
    return this.commit(instanceId, loaded, sentinel.committedSeq, plan, row, lock);
  }

  /**
   * Lock (sentinel ETag, taken in `applyTurn`) → send outgoing messages → commit history and
   * sentinel; the caller then writes the status row. Messages go out before the commit: a crash in
   * between repeats the turn and its messages, and receivers drop what they have already applied;
   * the reverse order could lose them. Nothing goes out unless the lock is held.
   */
  private async commit(
    instanceId: string,
    loaded: LoadedHistory,
    fromSeq: number,
    plan: TurnPlan,
    row: InstanceRow,
    lock: Promise<string | undefined>,
  ): Promise<InstanceRow | undefined> {
    const { hub } = this.options;
    const sentinel = { ...plan.sentinel, committedSeq: fromSeq + plan.decisions.length, instance: row };
    delete sentinel.pendingSince;
    const lockEtag = await lock;
    if (lockEtag === undefined) return undefined;
    await Promise.all([
      ...plan.controlMessages.map(({ message, delayMs }) => hub.sendControl(message, delayMs)),
      ...plan.workItems.map((item) => hub.sendWorkItem(item)),
    ]);
    let etag: string;
    try {
      etag = await hub.commitTurn(instanceId, lockEtag, sentinel, fromSeq, plan.decisions);
    } catch (err) {
      // Our lock lapsed and another writer took the instance over: its turn stands, ours does not.
      if (statusOf(err) === 412) return undefined;
      throw err;
    }
    const events = [...loaded.events.slice(0, fromSeq), ...plan.decisions];
    this.cache.set(instanceId, { sentinel, etag, events });
    return row;
  }
}

/** Sorts received messages into those to apply now, drop (duplicates, stale) and put back for later. */
function triage(messages: Received[], loaded: LoadedHistory, instance: InstanceRow | undefined, now: Date) {
  const apply: Received[] = [];
  const drop: Received[] = [];
  const defer: Received[] = [];
  const seen = new Set([
    ...loaded.events.map((e) => e.MessageId),
    ...(loaded.sentinel?.seenFromPrevious ?? []),
  ]);
  const completed = new Set(loaded.events.map(completedId).filter((id): id is number => id !== undefined));
  const status = instance?.runtimeStatus;
  const between = !loaded.sentinel || status === "ContinuedAsNew" || status === "Pending";
  for (const m of messages) {
    const e = m.message.event;
    const verdict = seen.has(m.message.id)
      ? "drop"
      : e.EventType === EventType.ExecutionStarted
        ? startVerdict(m, loaded, status)
        : between
          ? "defer"
          : forCurrentExecution(m, loaded, status, completed, now);
    ({ apply, drop, defer })[verdict].push(m);
  }
  return { apply, drop, defer };
}

type Verdict = "apply" | "drop" | "defer";

/** A start applies when no execution is running; a start already applied, or one racing a running execution, is dropped. */
function startVerdict(m: Received, loaded: LoadedHistory, status: string | undefined): Verdict {
  if (loaded.sentinel?.executionId === m.message.executionId) return "drop";
  const idle =
    !loaded.sentinel ||
    (status !== undefined &&
      (terminalStatuses.has(status as never) || status === "ContinuedAsNew" || status === "Pending"));
  return idle ? "apply" : "drop";
}

function forCurrentExecution(
  m: Received,
  loaded: LoadedHistory,
  status: string | undefined,
  completed: Set<number>,
  now: Date,
): Verdict {
  const e = m.message.event;
  const sentinel = loaded.sentinel as NonNullable<LoadedHistory["sentinel"]>;
  if (m.message.executionId && m.message.executionId !== sentinel.executionId) return "drop";
  if (status !== undefined && terminalStatuses.has(status as never)) return "drop";
  if (status === "Suspended") {
    if (e.EventType === EventType.ExecutionSuspended) return "drop"; // already suspended
    if (e.EventType !== EventType.ExecutionResumed && e.EventType !== EventType.ExecutionTerminated)
      return "defer";
  } else if (e.EventType === EventType.ExecutionResumed) return "drop";
  const id = completedId(e);
  if (id === undefined) return "apply";
  if (completed.has(id)) return "drop"; // applied before, or twice in this batch (a re-run activity)
  const scheduled = scheduledBy(loaded.events, id);
  if (!scheduled) return "defer"; // its scheduling turn is still being committed
  if (!completes(e, scheduled)) return "drop"; // left over from an abandoned attempt of a turn
  if (e.EventType === EventType.TimerFired && Date.parse(e.FireAt ?? "") > now.getTime()) return "defer";
  completed.add(id);
  return "apply";
}

/** Whether `e` is the kind of completion `scheduled` waits for (and, for a timer, the same timer). */
function completes(e: ControlMessage["event"], scheduled: HistoryEvent): boolean {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
      return scheduled.EventType === EventType.TaskScheduled;
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return scheduled.EventType === EventType.SubOrchestrationInstanceCreated;
    case EventType.TimerFired:
      return scheduled.EventType === EventType.TimerCreated && scheduled.FireAt === e.FireAt;
    default:
      return false;
  }
}

/**
 * The messages for the next turn: a start, a terminate or a suspend/resume goes alone, and so does
 * an event after which the SDK hands out task IDs itself; otherwise everything up to such an event.
 */
function takeTurnBatch(apply: Received[], history: HistoryEvent[]): Received[] {
  const ordered = [...apply].sort((a, b) => order(a) - order(b));
  const first = ordered[0] as Received;
  if (goesAlone(first, history)) return [first];
  const batch: Received[] = [first];
  for (const m of ordered.slice(1)) {
    if (goesAlone(m, history) || m.message.event.EventType === EventType.ExecutionStarted) break;
    batch.push(m);
  }
  return batch;
}

/** Terminate, suspend, resume, a raised event (see unconsumedEvents), and events after which the SDK numbers tasks itself. */
function goesAlone(m: Received, history: HistoryEvent[]): boolean {
  const type = m.message.event.EventType;
  return (
    type === EventType.ExecutionTerminated ||
    type === EventType.ExecutionSuspended ||
    type === EventType.ExecutionResumed ||
    type === EventType.EventRaised ||
    consumesTaskIds(m.message.event as HistoryEvent, history)
  );
}

/** Starts first, then in the order events happened. */
function order(m: Received): number {
  if (m.message.event.EventType === EventType.ExecutionStarted) return 0;
  return Date.parse(m.message.event.Timestamp ?? "") || 1;
}

function toHistoryEvent(m: Received, now: Date): HistoryEvent {
  const e = m.message.event;
  return {
    ...e,
    EventId: -1,
    IsPlayed: false,
    Timestamp: e.EventType === EventType.TimerFired ? now.toISOString() : (e.Timestamp ?? now.toISOString()),
    MessageId: m.message.id,
  };
}

/** An ExecutionStarted after continueAsNew brings the events its predecessor left; they follow it. */
function withCarriedEvents(e: HistoryEvent): HistoryEvent[] {
  const { CarriedEvents: carried, SeenMessageIds: _seen, ...rest } = e;
  return [rest, ...(carried ?? []).map((c) => ({ ...c, EventId: -1, IsPlayed: false }))];
}

function instanceRowAfter(
  instance: InstanceRow | undefined,
  instanceId: string,
  name: string,
  executionId: string,
  started: HistoryEvent,
  plan: TurnPlan,
  now: Date,
): InstanceRow {
  const outcome = plan.outcome;
  const base: InstanceRow = {
    instanceId,
    name,
    executionId,
    input: started.Input ?? null,
    output: null,
    customStatus: outcome.customStatus === undefined ? null : JSON.stringify(outcome.customStatus),
    runtimeStatus: "Running",
    createdTime: instance?.createdTime ?? now.toISOString(),
    lastUpdatedTime: now.toISOString(),
    ...(started.ParentInstance
      ? { parentInstanceId: started.ParentInstance.OrchestrationInstance.InstanceId }
      : {}),
  };
  switch (outcome.kind) {
    case "completed":
      return {
        ...base,
        runtimeStatus: "Completed",
        output: JSON.stringify(outcome.output ?? null),
        completedTime: now.toISOString(),
      };
    case "failed":
      return {
        ...base,
        runtimeStatus: "Failed",
        output: JSON.stringify(outcome.error),
        completedTime: now.toISOString(),
      };
    case "continued-as-new":
      return { ...base, runtimeStatus: "ContinuedAsNew" };
    default:
      return base;
  }
}

/** Whether `next` only moves the time of `previous` on: the same running execution and custom status. */
function quietChange(previous: InstanceRow, next: InstanceRow): boolean {
  return (
    previous.runtimeStatus === "Running" &&
    next.runtimeStatus === "Running" &&
    previous.executionId === next.executionId &&
    previous.customStatus === next.customStatus
  );
}

function groupByInstance(received: Received[]): Map<string, Received[]> {
  const groups = new Map<string, Received[]>();
  for (const r of received)
    groups.set(r.message.instanceId, [...(groups.get(r.message.instanceId) ?? []), r]);
  return groups;
}

/** Deletes with the newest pop receipt; a message no longer ours was settled by whoever has it. */
async function deleteMessage(m: Received): Promise<void> {
  try {
    await m.lease.delete();
  } catch (err) {
    if (!isLeaseLost(err)) throw err;
  }
}

/** A timer due in more than a second waits in the queue; a nearer one in this process. */
function isFarTimer(m: Received): boolean {
  const e = m.message.event;
  return e.EventType === EventType.TimerFired && Date.parse(e.FireAt ?? "") > Date.now() + 1_000;
}

function parseControlMessage(text: string): ControlMessage | undefined {
  try {
    const message = JSON.parse(text) as ControlMessage;
    return typeof message.instanceId === "string" && typeof message.event?.EventType === "number"
      ? message
      : undefined;
  } catch {
    return undefined;
  }
}

/** Puts a message back, visible again after `delayMs` (a far timer: at its fire time, capped). */
async function release(m: Received, delayMs: number): Promise<void> {
  const e = m.message.event;
  const timerWait = e.EventType === EventType.TimerFired ? Date.parse(e.FireAt ?? "") - Date.now() : 0;
  const wait = Math.max(delayMs, timerWait);
  try {
    await m.lease.release(Math.ceil(Math.min(wait, 6 * 24 * 3600_000) / 1000));
  } catch (err) {
    if (!isLeaseLost(err)) throw err;
  }
}

function timeSpan(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor((totalSeconds % 86_400) / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${days}.${pad(h)}:${pad(m)}:${pad(s)}`;
}
