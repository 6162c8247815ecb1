import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";

/**
 * Raises an external event on an association's lifecycle orchestration (instance ID = association
 * ID) through the invocation's durable client: the one way the API, the consent page and inbound
 * email reach the workflow. Functions using it declare `extraInputs: [df.input.durableClient()]`.
 * Handlers take it as a port, so their tests can record the calls instead.
 */
export type RaiseLifecycleEvent = (
  associationId: string,
  eventName: string,
  payload: unknown,
  context: InvocationContext,
) => Promise<void>;

export const raiseThroughDurableClient: RaiseLifecycleEvent = (associationId, eventName, payload, context) =>
  df.getClient(context).raiseEvent(associationId, eventName, payload);
