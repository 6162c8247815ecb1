/**
 * DurableTask history events as the durable-functions SDK reads them (PascalCase, DTFx's
 * `HistoryEvent` JSON), plus a few fields of the local host's own (`MessageId`, `Retry`) that
 * the SDK ignores (DurableTask.Core's history event types, as durable-functions 3 replays them).
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
}

/** Retry bookkeeping the host keeps on TaskScheduled / TimerCreated events of a retried call. */
export interface RetryState {
  /** The EventId of the chain's first attempt. */
  chain: number;
  /** 1-based attempt number of this TaskScheduled; on a retry timer, the attempt that failed. */
  attempt: number;
  options: RetryOptions;
}

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** Long-timer bookkeeping: the final fire time a chain of sub-timers is heading for. */
export interface LongTimerState {
  finalFireAt: string;
}

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Version?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: {
    Name: string;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
    TaskScheduleId: number;
  };
  OrchestrationStatus?: string;
  /** Host-only: the queue message this event came from, to drop redeliveries. */
  MessageId?: string;
  Retry?: RetryState;
  /** Host-only, on ExecutionStarted after continueAsNew: raised events the last execution left unconsumed. */
  CarriedEvents?: HistoryEvent[];
  /** Host-only, on ExecutionStarted after continueAsNew: the IDs of the messages its last turn applied. */
  SeenMessageIds?: string[];
  LongTimer?: LongTimerState;
}

/** An event as it arrives in a control-queue message, before it is numbered into a history. */
export type IncomingEvent = Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp"> & { Timestamp?: string };

export function event(type: number, fields: Partial<HistoryEvent> & { Timestamp: string }): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, ...fields };
}

/** Events that complete something the orchestration scheduled, and the ID they complete. */
export function completedId(
  e: Pick<HistoryEvent, "EventType" | "TaskScheduledId" | "TimerId">,
): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId;
    case EventType.TimerFired:
      return e.TimerId;
    default:
      return undefined;
  }
}
