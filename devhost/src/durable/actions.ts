/**
 * The orchestrator's answer (durable-functions `OrchestratorState`, schema V3): cumulative actions,
 * flattened in the order the SDK hands out task IDs (depth-first through WhenAll / WhenAny).
 */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  retryOptions?: {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
    retryTimeoutInMilliseconds?: number;
  };
  compoundActions?: Action[];
}

export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: {
    ErrorType?: string;
    ErrorMessage?: string;
    StackTrace?: string;
    errorType?: string;
    errorMessage?: string;
    stackTrace?: string;
  };
}

/** Leaf actions in task-ID order. */
export function flattenActions(state: OrchestratorState): Action[] {
  const leaves: Action[] = [];
  const visit = (action: Action) => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny)
      for (const child of action.compoundActions ?? []) visit(child);
    else leaves.push(action);
  };
  for (const group of state.actions) for (const action of group) visit(action);
  return leaves;
}

/** Whether the action takes a task ID from the SDK's sequence. */
export function takesTaskId(action: Action): boolean {
  return (
    action.actionType !== ActionType.WaitForExternalEvent && action.actionType !== ActionType.ContinueAsNew
  );
}

/** Inputs travel as JSON text: the SDK already stringifies string inputs; objects are stringified here. */
export function inputText(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === "string" ? input : JSON.stringify(input);
}

const marker = "$OutOfProcData$:";

/** A failed orchestrator throws `"<message>\n\n$OutOfProcData$:" + JSON(state)`; recover the state. */
export function stateFromFailure(message: string): OrchestratorState | undefined {
  const at = message.indexOf(marker);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + marker.length)) as OrchestratorState;
  } catch {
    return undefined;
  }
}
