import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { Workflows } from "../src/app/lifecycle";
import { TransientDependencyError } from "../src/domain/errors";

/**
 * The application's Workflows port over this invocation's Durable client. Functions that use it
 * declare `extraInputs: [df.input.durableClient()]`. Any failure to read an instance's state other
 * than "there is none" (the client's 404) is a TransientDependencyError: the HTTP answer is 503 with
 * Retry-After, and a queue message is retried.
 */
export function durableWorkflows(context: InvocationContext): Workflows {
  const client = () => df.getClient(context);
  const state: Workflows["state"] = async (associationId) => {
    let status: string;
    try {
      status = String((await client().getStatus(associationId)).runtimeStatus);
    } catch (err) {
      if (/\b404\b/.test(err instanceof Error ? err.message : String(err))) return undefined;
      throw new TransientDependencyError("the association's workflow could not be reached", { cause: err });
    }
    return finished.has(status) ? "finished" : "running";
  };
  return {
    state,
    async raise(associationId, eventName, payload) {
      try {
        await client().raiseEvent(associationId, eventName, payload);
      } catch (err) {
        throw new TransientDependencyError("the association's workflow could not be told", { cause: err });
      }
    },
    async start(orchestrator, instanceId, input) {
      try {
        await client().startNew(orchestrator, { instanceId, input });
        return "started";
      } catch (err) {
        // The start API refuses an instance that is pending or running (409 here; the extension's
        // answer differs by version): whatever the refusal, an instance found running is the one.
        if ((await state(instanceId).catch(() => undefined)) === "running") return "running";
        throw new TransientDependencyError("the association's workflow could not be started", { cause: err });
      }
    },
  };
}

const finished = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

/** For function registrations that reach workflows. */
export const withDurableClient = { extraInputs: [df.input.durableClient()] };
