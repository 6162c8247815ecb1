import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableOrchestrationStatus, OrchestrationRuntimeStatus } from "durable-functions";
import type { OrchestrationAdmin } from "../src/app/operations";
import type { InstanceSummary } from "../src/domain/orchestrationHealth";

/**
 * The operators' view of the workflow engine over this invocation's Durable client (functions that
 * use it declare `extraInputs: [df.input.durableClient()]`). A client call answering 404 means no
 * such instance (or nothing to purge).
 */
export function durableOrchestrationAdmin(context: InvocationContext): OrchestrationAdmin {
  const client = () => df.getClient(context);
  return {
    async list({ statuses, createdBefore }) {
      const found = await client().getStatusBy({
        runtimeStatus: statuses as OrchestrationRuntimeStatus[],
        ...(createdBefore ? { createdTimeTo: createdBefore } : {}),
      });
      return found.map(summaryOf);
    },
    async get(instanceId) {
      try {
        return summaryOf(await client().getStatus(instanceId, { showInput: true }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    terminate: (instanceId, reason) => client().terminate(instanceId, reason),
    async start(name, instanceId, input) {
      await client().startNew(name, { instanceId, input });
    },
    async purge(createdBefore, statuses) {
      try {
        const result = await client().purgeInstanceHistoryBy({
          createdTimeFrom: new Date(0),
          createdTimeTo: createdBefore,
          runtimeStatus: statuses as OrchestrationRuntimeStatus[],
        });
        return result.instancesDeleted;
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    },
  };
}

function summaryOf(status: DurableOrchestrationStatus): InstanceSummary {
  return {
    instanceId: status.instanceId,
    name: status.name,
    runtimeStatus: String(status.runtimeStatus),
    createdTime: new Date(status.createdTime).toISOString(),
    lastUpdatedTime: new Date(status.lastUpdatedTime).toISOString(),
    customStatus: status.customStatus,
    output: status.output,
    input: status.input,
  };
}

function isNotFound(err: unknown): boolean {
  return /\b404\b/.test(err instanceof Error ? err.message : String(err));
}
