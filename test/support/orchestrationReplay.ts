import { createRequire } from "node:module";
import { expect } from "vitest";
import { DummyOrchestrationContext, type OrchestrationHandler } from "durable-functions";
import { ActionType, flattenActions, takesTaskId, type Action, type OrchestratorState } from "devhost";
import { EventType, type HistoryEvent } from "devhost";

/**
 * Replays an orchestrator through the real durable-functions executor, turn by turn, as a host
 * does: each turn appends events to the history and runs the handler over all of it, wrapped by
 * the SDK's own `createOrchestrator` (what `df.app.orchestration` registers). Task IDs follow the
 * SDK's numbering (new leaf actions that take an ID, in order), so tests complete activities and
 * fire timers by the ID the action got. Every run also checks that the replay reproduced the
 * actions of the previous runs: an orchestrator that is not deterministic fails here.
 *
 * Not covered: activity retries after a TaskFailed (the SDK then numbers its retry timers itself).
 */
type Listener = (trigger: unknown, context: DummyOrchestrationContext) => Promise<OrchestratorState>;

// The SDK's test helper is not in its public type declarations.
const testingUtils = createRequire(import.meta.url)("durable-functions/lib/src/util/testingUtils") as {
  createOrchestrator: (fn: OrchestrationHandler) => Listener;
};

/** A leaf action and the task ID it got (undefined for event waits, which take none). */
export interface Scheduled {
  id: number | undefined;
  action: Action;
}

const outOfProcDataLabel = "\n\n$OutOfProcData$:";

export class OrchestrationReplay {
  readonly history: HistoryEvent[] = [];
  /** The orchestrator's last answer. */
  state: OrchestratorState = { isDone: false, actions: [] };
  /** The orchestrator's error when its last run failed. */
  error: string | undefined;
  /** Every leaf action so far, in task-ID order. */
  scheduled: Scheduled[] = [];
  now: Date;
  private nextId = 0;

  constructor(
    private readonly handler: OrchestrationHandler,
    readonly instanceId: string,
    private readonly input: unknown,
    start: Date,
    private readonly name = "orchestrator",
  ) {
    this.now = start;
    this.history.push(
      event(EventType.OrchestratorStarted, start),
      event(EventType.ExecutionStarted, start, { Name: name, Input: JSON.stringify(input) }),
    );
  }

  /** Runs the orchestrator over the whole history; returns the actions this turn added. */
  async run(): Promise<Scheduled[]> {
    const trigger = {
      history: JSON.parse(JSON.stringify(this.history)) as unknown,
      input: this.input,
      instanceId: this.instanceId,
      isReplaying: this.history.some((e) => e.IsPlayed),
      parentInstanceId: "",
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2, // schema V3, as the local host and Azure speak it
      longRunningTimerIntervalDuration: "3.00:00:00",
      maximumShortTimerDuration: "6.00:00:00",
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    const context = new DummyOrchestrationContext(this.name, this.instanceId, () => undefined);
    try {
      this.state = await testingUtils.createOrchestrator(this.handler)(trigger, context);
      this.error = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const at = message.indexOf(outOfProcDataLabel);
      if (at < 0) throw err;
      this.state = JSON.parse(message.slice(at + outOfProcDataLabel.length)) as OrchestratorState;
      this.error = this.state.error ?? message.slice(0, at);
    }
    return this.schedule(flattenActions(this.state));
  }

  /** A new turn at `at` (default: now) delivering `events`, then a run. */
  async deliver(at: Date, ...events: Partial<HistoryEvent>[]): Promise<Scheduled[]> {
    this.now = at;
    for (const e of this.history) e.IsPlayed = true;
    this.history.push(event(EventType.OrchestratorStarted, at));
    for (const e of events) this.history.push(event(e.EventType ?? -1, at, e));
    return this.run();
  }

  raise(name: string, payload: unknown, at = this.now) {
    return this.deliver(at, { EventType: EventType.EventRaised, Name: name, Input: JSON.stringify(payload) });
  }

  complete(id: number, result: unknown, at = this.now) {
    return this.deliver(at, {
      EventType: EventType.TaskCompleted,
      TaskScheduledId: id,
      Result: JSON.stringify(result),
    });
  }

  /** Fires a timer at its `fireAt`. */
  fire(id: number) {
    const timer = this.scheduled.find((s) => s.id === id);
    const fireAt = new Date(timer?.action.fireAt ?? this.now);
    return this.deliver(fireAt, {
      EventType: EventType.TimerFired,
      TimerId: id,
      FireAt: fireAt.toISOString(),
    });
  }

  /** Scheduled activities and timers that nothing completed yet (cancelled timers excluded). */
  pending(): Scheduled[] {
    const done = new Set(
      this.history.flatMap((e) =>
        e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed
          ? [e.TaskScheduledId]
          : e.EventType === EventType.TimerFired
            ? [e.TimerId]
            : [],
      ),
    );
    return this.scheduled.filter(
      (s) => s.id !== undefined && !done.has(s.id) && !(s.action.isCanceled ?? false),
    );
  }

  /** Checks the replay against earlier runs, then numbers and records the new leaves. */
  private schedule(leaves: Action[]): Scheduled[] {
    const known = this.scheduled.length;
    const replayed = leaves.slice(0, known).map(comparable);
    const expected = this.scheduled.map((s) => comparable(s.action));
    if (JSON.stringify(replayed) !== JSON.stringify(expected))
      throw new Error(
        `non-deterministic replay:\n  before: ${JSON.stringify(expected)}\n  now:    ${JSON.stringify(replayed)}`,
      );
    // Earlier leaves are re-read: a timer cancelled in this run shows `isCanceled` now.
    const plain = leaves.map((action) => JSON.parse(JSON.stringify(action)) as Action);
    this.scheduled = this.scheduled.map((s, i) => ({ ...s, action: plain[i] ?? s.action }));
    const fresh = plain.slice(known).map((action): Scheduled => {
      const id = takesTaskId(action) ? this.nextId++ : undefined;
      return { id, action };
    });
    for (const s of fresh) {
      if (s.id === undefined) continue;
      if (s.action.actionType === ActionType.CreateTimer)
        this.history.push(
          event(EventType.TimerCreated, this.now, { EventId: s.id, FireAt: s.action.fireAt }),
        );
      else
        this.history.push(
          event(EventType.TaskScheduled, this.now, {
            EventId: s.id,
            Name: s.action.functionName,
            Input: JSON.stringify(s.action.input),
          }),
        );
    }
    this.history.push(event(EventType.OrchestratorCompleted, this.now));
    this.scheduled.push(...fresh);
    return fresh;
  }
}

/** An action as replays must reproduce it (cancellation happens later, so it may differ). */
function comparable(action: Action): unknown {
  const { isCanceled: _cancelled, ...rest } = JSON.parse(JSON.stringify(action)) as Action;
  return rest;
}

function event(type: number, at: Date, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventId: -1, IsPlayed: false, ...fields, EventType: type, Timestamp: at.toISOString() };
}

/** The one item of `items` (a failed expectation when there is not exactly one). */
export function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  const [item] = items;
  if (item === undefined) throw new Error("expected one item");
  return item;
}

export const calls = (scheduled: readonly Scheduled[], name: string) =>
  scheduled.filter((s) => s.action.functionName === name);
export const timers = (scheduled: readonly Scheduled[]) =>
  scheduled.filter((s) => s.action.actionType === ActionType.CreateTimer);
export const idOf = (s: Scheduled): number => {
  if (s.id === undefined) throw new Error("no task ID");
  return s.id;
};

/** The one timer still pending, fired at its time. */
export const fireTheTimer = (replay: OrchestrationReplay) =>
  replay.fire(idOf(only(timers(replay.pending()))));
