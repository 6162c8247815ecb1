import { createHash } from "node:crypto";
import {
  ActionType,
  flattenActions,
  inputText,
  takesTaskId,
  type Action,
  type OrchestratorState,
} from "./actions";
import { EventType, event, type HistoryEvent, type RetryOptions } from "./events";
import { maxPayloadChars, type ControlMessage, type Sentinel, type WorkItemMessage } from "./taskHub";

/**
 * Turns the orchestrator's answer into what the host must do: the history events to append, the
 * messages to send and the new sentinel. Pure: no I/O and no clock (time comes in as `now`), so
 * the numbering rules can be tested on their own.
 *
 * Task IDs follow the SDK's own numbering (TaskOrchestrationExecutor.trackOpenTask): new leaf
 * actions take the next IDs in order; a retried call and a long timer take IDs of their own when
 * the event that continues them (TaskFailed, the retry timer's TimerFired, a sub-timer's
 * TimerFired) is processed, before any action that event unblocks. Such an event is therefore
 * always processed alone in its turn (see `consumesTaskIds`).
 */
export interface TurnContext {
  instanceId: string;
  name: string;
  executionId: string;
  parent: HistoryEvent["ParentInstance"] | undefined;
  now: Date;
  /** Committed history of this execution. */
  history: HistoryEvent[];
  /** This turn's incoming events, after OrchestratorStarted. */
  incoming: HistoryEvent[];
  sentinel: Sentinel;
  timers: TimerSettings;
}

export interface TimerSettings {
  maximumShortTimerMs: number;
  longRunningTimerIntervalMs: number;
}

export interface TurnPlan {
  /** Decisions to append after the incoming events (scheduling events, completion). */
  decisions: HistoryEvent[];
  controlMessages: { message: ControlMessage; delayMs: number }[];
  workItems: WorkItemMessage[];
  sentinel: Sentinel;
  outcome:
    | { kind: "running"; customStatus: unknown }
    | { kind: "completed"; output: unknown; customStatus: unknown }
    | { kind: "failed"; error: string; details: HistoryEvent["FailureDetails"]; customStatus: unknown }
    | { kind: "continued-as-new"; customStatus: unknown };
}

/**
 * IDs for what a turn sends (messages, child and next executions), derived from the execution and
 * the turn's place in it: a turn repeated after a crash sends the same IDs again, so receivers
 * recognise what they already applied (a finished child is not started twice).
 */
function stableId(ctx: Pick<TurnContext, "instanceId" | "executionId" | "sentinel">, label: string): string {
  const hex = createHash("sha256")
    .update(`${ctx.instanceId}|${ctx.executionId}|${ctx.sentinel.committedSeq}|${label}`)
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Whether an incoming event makes the SDK hand out task IDs by itself (so it must be alone in a turn). */
export function consumesTaskIds(incoming: HistoryEvent, history: HistoryEvent[]): boolean {
  if (
    incoming.EventType === EventType.TaskFailed ||
    incoming.EventType === EventType.SubOrchestrationInstanceFailed
  )
    return scheduledBy(history, incoming.TaskScheduledId)?.Retry !== undefined;
  if (incoming.EventType === EventType.TimerFired) {
    const created = scheduledBy(history, incoming.TimerId);
    return created?.Retry !== undefined || created?.LongTimer !== undefined;
  }
  return false;
}

export function scheduledBy(history: HistoryEvent[], id: number | undefined): HistoryEvent | undefined {
  if (id === undefined) return undefined;
  return history.find(
    (e) =>
      e.EventId === id &&
      (e.EventType === EventType.TaskScheduled ||
        e.EventType === EventType.TimerCreated ||
        e.EventType === EventType.SubOrchestrationInstanceCreated),
  );
}

export function planTurn(ctx: TurnContext, state: OrchestratorState, failed: boolean): TurnPlan {
  const plan: TurnPlan = {
    decisions: [],
    controlMessages: [],
    workItems: [],
    sentinel: { ...ctx.sentinel },
    outcome: { kind: "running", customStatus: state.customStatus },
  };
  const ids = { next: ctx.sentinel.nextId };
  const all = [...ctx.history, ...ctx.incoming];
  for (const incoming of ctx.incoming) continueInternally(ctx, plan, ids, incoming, all);
  const leaves = flattenActions(state);
  const fresh = leaves.slice(ctx.sentinel.actionCount);
  for (const action of fresh) {
    if (!takesTaskId(action)) continue;
    const unsupported = schedule(ctx, plan, ids.next++, action);
    if (unsupported) return fail(plan, state, unsupported);
  }
  plan.sentinel.nextId = ids.next;
  plan.sentinel.actionCount = leaves.length;
  if (failed) return fail(plan, state, state.error ?? "the orchestrator failed");
  const oversized = oversizedPayload(state, plan);
  if (oversized)
    return fail({ ...plan, decisions: [], controlMessages: [], workItems: [] }, state, oversized);
  if (!state.isDone) return plan;
  const last = leaves.at(-1);
  if (last?.actionType === ActionType.ContinueAsNew) return continueAsNew(ctx, plan, state, last, all);
  plan.outcome = { kind: "completed", output: state.output, customStatus: state.customStatus };
  plan.decisions.push(
    event(EventType.ExecutionCompleted, {
      Timestamp: ctx.now.toISOString(),
      OrchestrationStatus: "Completed",
      Result: JSON.stringify(state.output ?? null),
    }),
  );
  notifyParent(ctx, plan, {
    EventType: EventType.SubOrchestrationInstanceCompleted,
    Result: JSON.stringify(state.output ?? null),
  });
  return plan;
}

/** A payload this host cannot carry (see maxPayloadChars), named; the orchestration fails with it. */
function oversizedPayload(state: OrchestratorState, plan: TurnPlan): string | undefined {
  const sizes: [string, number][] = [
    ["output", JSON.stringify(state.output ?? null).length],
    ["custom status", JSON.stringify(state.customStatus ?? null).length],
    ...plan.decisions.map((d): [string, number] => [`input of ${d.Name ?? "a call"}`, d.Input?.length ?? 0]),
  ];
  const found = sizes.find(([, size]) => size > maxPayloadChars);
  return (
    found &&
    `the orchestration's ${found[0]} is ${found[1]} characters; the local host carries at most ${maxPayloadChars}`
  );
}

/** Retry timers, retry attempts and long sub-timers: IDs the SDK takes while processing `incoming`. */
function continueInternally(
  ctx: TurnContext,
  plan: TurnPlan,
  ids: { next: number },
  incoming: HistoryEvent,
  all: HistoryEvent[],
) {
  if (
    incoming.EventType === EventType.TaskFailed ||
    incoming.EventType === EventType.SubOrchestrationInstanceFailed
  ) {
    const scheduled = scheduledBy(all, incoming.TaskScheduledId);
    if (!scheduled?.Retry) return;
    const { attempt, options } = scheduled.Retry;
    const delay = attempt >= options.maxNumberOfAttempts ? 0 : retryDelay(options, attempt);
    addTimer(ctx, plan, ids.next++, new Date(ctx.now.getTime() + delay), {
      Retry: { ...scheduled.Retry, chain: scheduled.Retry.chain },
      // Remember which call to repeat: the attempt's own scheduling event.
      Name: scheduled.Name,
      Input: scheduled.Input,
      InstanceId: scheduled.InstanceId,
      EventType: scheduled.EventType,
    });
    return;
  }
  if (incoming.EventType !== EventType.TimerFired) return;
  const timer = scheduledBy(all, incoming.TimerId);
  if (timer?.Retry) {
    const { attempt, options } = timer.Retry;
    if (attempt >= options.maxNumberOfAttempts) return; // the SDK now fails the call itself
    const retry = { ...timer.Retry, attempt: attempt + 1 };
    const id = ids.next++;
    if (timer.Reason === "sub-orchestration")
      scheduleSubOrchestration(ctx, plan, id, timer.Name ?? "", timer.InstanceId, timer.Input, retry);
    else scheduleActivity(ctx, plan, id, timer.Name ?? "", timer.Input, retry);
    return;
  }
  if (timer?.LongTimer && Date.parse(timer.LongTimer.finalFireAt) > ctx.now.getTime())
    addTimer(ctx, plan, ids.next++, nextSubTimer(ctx, new Date(timer.LongTimer.finalFireAt)), {
      LongTimer: timer.LongTimer,
    });
}

/** Schedules one new leaf action under task ID `id`; returns an error text for unsupported ones. */
function schedule(ctx: TurnContext, plan: TurnPlan, id: number, action: Action): string | undefined {
  switch (action.actionType) {
    case ActionType.CallActivity:
      scheduleActivity(ctx, plan, id, action.functionName ?? "", inputText(action.input), undefined);
      return undefined;
    case ActionType.CallActivityWithRetry:
      scheduleActivity(
        ctx,
        plan,
        id,
        action.functionName ?? "",
        inputText(action.input),
        retryOf(id, action),
      );
      return undefined;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const retry =
        action.actionType === ActionType.CallSubOrchestratorWithRetry ? retryOf(id, action) : undefined;
      const input = action.input === undefined ? undefined : JSON.stringify(action.input);
      scheduleSubOrchestration(ctx, plan, id, action.functionName ?? "", action.instanceId, input, retry);
      return undefined;
    }
    case ActionType.CreateTimer:
      scheduleTimer(ctx, plan, id, action);
      return undefined;
    case ActionType.CallHttp:
      return "callHttp is not supported by the local host";
    default:
      return `durable entities (action type ${action.actionType}) are not supported by the local host`;
  }
}

function scheduleActivity(
  ctx: TurnContext,
  plan: TurnPlan,
  id: number,
  name: string,
  input: string | undefined,
  retry: HistoryEvent["Retry"],
) {
  plan.decisions.push(
    event(EventType.TaskScheduled, {
      EventId: id,
      Timestamp: ctx.now.toISOString(),
      Name: name,
      ...(input === undefined ? {} : { Input: input }),
      ...(retry ? { Retry: retry } : {}),
    }),
  );
  plan.workItems.push({
    id: stableId(ctx, `work:${id}`),
    instanceId: ctx.instanceId,
    executionId: ctx.executionId,
    taskScheduledId: id,
    name,
    input,
  });
}

function scheduleSubOrchestration(
  ctx: TurnContext,
  plan: TurnPlan,
  id: number,
  name: string,
  instanceId: string | undefined,
  input: string | undefined,
  retry: HistoryEvent["Retry"],
) {
  const childId = instanceId ?? `${ctx.instanceId}:${id}`;
  plan.decisions.push(
    event(EventType.SubOrchestrationInstanceCreated, {
      EventId: id,
      Timestamp: ctx.now.toISOString(),
      Name: name,
      InstanceId: childId,
      ...(input === undefined ? {} : { Input: input }),
      ...(retry ? { Retry: retry, Reason: "sub-orchestration" } : {}),
    }),
  );
  const executionId = stableId(ctx, `child-execution:${id}`);
  plan.controlMessages.push({
    delayMs: 0,
    message: {
      id: stableId(ctx, `child-start:${id}`),
      instanceId: childId,
      executionId,
      event: {
        EventType: EventType.ExecutionStarted,
        Timestamp: ctx.now.toISOString(),
        Name: name,
        ...(input === undefined ? {} : { Input: input }),
        OrchestrationInstance: { InstanceId: childId, ExecutionId: executionId },
        ParentInstance: {
          Name: ctx.name,
          OrchestrationInstance: { InstanceId: ctx.instanceId, ExecutionId: ctx.executionId },
          TaskScheduleId: id,
        },
      },
    },
  });
}

/** A timer longer than the short-timer limit starts a chain of sub-timers (schema V3), as the SDK expects. */
function scheduleTimer(ctx: TurnContext, plan: TurnPlan, id: number, action: Action) {
  const finalFireAt = new Date(action.fireAt ?? ctx.now.toISOString());
  const long = finalFireAt.getTime() - ctx.now.getTime() > ctx.timers.maximumShortTimerMs;
  if (!long) return addTimer(ctx, plan, id, finalFireAt, {}, action.isCanceled === true);
  addTimer(ctx, plan, id, nextSubTimer(ctx, finalFireAt), {
    LongTimer: { finalFireAt: finalFireAt.toISOString() },
  });
}

function nextSubTimer(ctx: TurnContext, finalFireAt: Date): Date {
  const remaining = finalFireAt.getTime() - ctx.now.getTime();
  return remaining > ctx.timers.maximumShortTimerMs
    ? new Date(ctx.now.getTime() + ctx.timers.longRunningTimerIntervalMs)
    : finalFireAt;
}

function addTimer(
  ctx: TurnContext,
  plan: TurnPlan,
  id: number,
  fireAt: Date,
  extra: Partial<HistoryEvent>,
  canceled = false,
) {
  const { EventType: originalType, ...rest } = extra;
  plan.decisions.push(
    event(EventType.TimerCreated, {
      ...rest,
      ...(originalType === EventType.SubOrchestrationInstanceCreated ? { Reason: "sub-orchestration" } : {}),
      EventId: id,
      Timestamp: ctx.now.toISOString(),
      FireAt: fireAt.toISOString(),
    }),
  );
  if (canceled) return; // the SDK has already let go of it; firing it would change nothing
  plan.controlMessages.push({
    delayMs: fireAt.getTime() - ctx.now.getTime(),
    message: {
      id: stableId(ctx, `timer:${id}`),
      instanceId: ctx.instanceId,
      executionId: ctx.executionId,
      event: {
        EventType: EventType.TimerFired,
        Timestamp: fireAt.toISOString(),
        TimerId: id,
        FireAt: fireAt.toISOString(),
      },
    },
  });
}

function retryOf(id: number, action: Action): HistoryEvent["Retry"] {
  const options = action.retryOptions as RetryOptions;
  return { chain: id, attempt: 1, options };
}

/** Exponential backoff as Durable computes it: first × coefficient^(attempt−1), capped. */
export function retryDelay(options: RetryOptions, failedAttempt: number): number {
  const raw =
    options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (failedAttempt - 1);
  return Math.min(raw, options.maxRetryIntervalInMilliseconds ?? Number.MAX_SAFE_INTEGER);
}

function fail(plan: TurnPlan, state: OrchestratorState, error: string): TurnPlan {
  const details = state.failureDetails;
  const failure = {
    ErrorType: details?.ErrorType ?? details?.errorType ?? "Error",
    ErrorMessage: details?.ErrorMessage ?? details?.errorMessage ?? error,
    ...(details?.StackTrace || details?.stackTrace
      ? { StackTrace: details.StackTrace ?? details.stackTrace }
      : {}),
  };
  plan.outcome = { kind: "failed", error, details: failure, customStatus: state.customStatus };
  return plan;
}

/** Completion or failure of a sub-orchestration is reported to its parent's current execution. */
function notifyParent(
  ctx: TurnContext,
  plan: TurnPlan,
  result: Partial<HistoryEvent> & { EventType: number },
) {
  if (!ctx.parent) return;
  const parent = ctx.parent.OrchestrationInstance;
  plan.controlMessages.push({
    delayMs: 0,
    message: {
      id: stableId(ctx, `parent:${ctx.parent.TaskScheduleId}`),
      instanceId: parent.InstanceId,
      executionId: parent.ExecutionId,
      event: { ...result, Timestamp: ctx.now.toISOString(), TaskScheduledId: ctx.parent.TaskScheduleId },
    },
  });
}

/** Sends the failure to the parent; used for failed and terminated sub-orchestrations. */
export function notifyParentOfFailure(
  ctx: Pick<TurnContext, "parent" | "now" | "instanceId" | "executionId" | "sentinel">,
  reason: string,
  details?: HistoryEvent["FailureDetails"],
) {
  const plan = { controlMessages: [] } as unknown as TurnPlan;
  notifyParent(ctx as TurnContext, plan, {
    EventType: EventType.SubOrchestrationInstanceFailed,
    Reason: reason,
    Details: details?.StackTrace ?? "",
    FailureDetails: details ?? { ErrorType: "OrchestrationFailure", ErrorMessage: reason },
  });
  return plan.controlMessages;
}

/**
 * ContinueAsNew: the execution ends and a new one starts with the new input. Raised events the
 * orchestrator did not consume are carried into the new execution (durabletask #509): the last
 * (raised − awaited) events of each name. That count is exact because a raised event is always
 * alone in its turn (takeTurnBatch): the SDK stops reading history at continueAsNew, so an event
 * sharing the turn with the cause of it could go unread yet count as awaited.
 */
function continueAsNew(
  ctx: TurnContext,
  plan: TurnPlan,
  state: OrchestratorState,
  action: Action,
  all: HistoryEvent[],
): TurnPlan {
  plan.outcome = { kind: "continued-as-new", customStatus: state.customStatus };
  plan.decisions.push(
    event(EventType.ExecutionCompleted, {
      Timestamp: ctx.now.toISOString(),
      OrchestrationStatus: "ContinuedAsNew",
      Result: JSON.stringify(state.output ?? null),
    }),
  );
  const executionId = stableId(ctx, "next-execution");
  const input = inputText(action.input);
  const carried = unconsumedEvents(state, all).map(({ MessageId: _m, ...e }) => e);
  plan.controlMessages.push({
    delayMs: 0,
    message: {
      id: stableId(ctx, "next-start"),
      instanceId: ctx.instanceId,
      executionId,
      event: {
        EventType: EventType.ExecutionStarted,
        Timestamp: ctx.now.toISOString(),
        Name: ctx.name,
        ...(input === undefined ? {} : { Input: input }),
        OrchestrationInstance: { InstanceId: ctx.instanceId, ExecutionId: executionId },
        ...(ctx.parent ? { ParentInstance: ctx.parent } : {}),
        // Applied in the new execution's first turn, right after its start: never ahead of it, never lost.
        ...(carried.length > 0 ? { CarriedEvents: carried } : {}),
        // This turn's messages may come back after a crash; the next execution must know them as applied.
        SeenMessageIds: ctx.incoming.flatMap((e) => (e.MessageId ? [e.MessageId] : [])),
      },
    },
  });
  return plan;
}

function unconsumedEvents(state: OrchestratorState, all: HistoryEvent[]): HistoryEvent[] {
  const awaited = new Map<string, number>();
  for (const leaf of flattenActions(state))
    if (leaf.actionType === ActionType.WaitForExternalEvent && leaf.externalEventName) {
      const name = leaf.externalEventName; // the SDK matches event names case-sensitively
      awaited.set(name, (awaited.get(name) ?? 0) + 1);
    }
  const raised = all.filter((e) => e.EventType === EventType.EventRaised);
  const byName = new Map<string, HistoryEvent[]>();
  for (const e of raised) byName.set(e.Name ?? "", [...(byName.get(e.Name ?? "") ?? []), e]);
  const carried: HistoryEvent[] = [];
  for (const [name, events] of byName)
    carried.push(...events.slice(Math.min(events.length, awaited.get(name) ?? 0)));
  return carried.sort((a, b) => a.Timestamp.localeCompare(b.Timestamp));
}
