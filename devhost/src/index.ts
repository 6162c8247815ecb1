/**
 * The local host's public surface: what `npm start`, the app's tests and the benchmarks use.
 * Everything else in this package is its own business.
 */
export { startHost, consoleLogger, type HostOptions, type RunningHost } from "./host";
export { startAzurite, connectionStringFor, type RunningAzurite, type AzuriteOptions } from "./azurite";
export { Invoker, type Logger } from "./invoker";
export { hostNodeArguments, maxOldSpaceSetting, maxSemiSpaceSetting } from "./nodeArguments";
export { writeOutputBindings } from "./triggers/outputBindings";
export { timerInput } from "./triggers/timerTriggers";
export { TaskHub, type InstanceRow } from "./durable/taskHub";
export {
  ActionType,
  flattenActions,
  takesTaskId,
  type Action,
  type OrchestratorState,
} from "./durable/actions";
export { EventType, type HistoryEvent } from "./durable/events";
