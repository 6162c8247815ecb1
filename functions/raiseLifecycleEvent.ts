import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";

/**
 * Raises an external event on an association's lifecycle orchestration (instance ID = association
 * ID) through the invocation's durable client, as the usage poller does for each reading (it must
 * tell an unknown instance from other failures, so it gets the client's own errors). Functions using
 * it declare `extraInputs: [df.input.durableClient()]`. Decisions go through `functions/workflows.ts`.
 */
export type RaiseLifecycleEvent = (
  associationId: string,
  eventName: string,
  payload: unknown,
  context: InvocationContext,
) => Promise<void>;

export const raiseThroughDurableClient: RaiseLifecycleEvent = (associationId, eventName, payload, context) =>
  df.getClient(context).raiseEvent(associationId, eventName, payload);
