import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { TransientDependencyError } from "../src/domain/errors";

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

/**
 * The lifecycle orchestration's runtime status, or undefined when there is none (the client's 404).
 * Any other failure is a TransientDependencyError: "could not tell" must never read as "absent".
 */
export async function workflowStatus(
  context: InvocationContext,
  associationId: string,
): Promise<string | undefined> {
  try {
    return String((await df.getClient(context).getStatus(associationId)).runtimeStatus);
  } catch (err) {
    if (/\b404\b/.test(err instanceof Error ? err.message : String(err))) return undefined;
    throw new TransientDependencyError("the association's workflow status could not be read", { cause: err });
  }
}

/** Whether the workflow is there to receive an event. */
export async function workflowRunning(context: InvocationContext, associationId: string): Promise<boolean> {
  const status = await workflowStatus(context, associationId);
  return status !== undefined && !["Completed", "Failed", "Terminated"].includes(status);
}
