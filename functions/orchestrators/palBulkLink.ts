import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { palBulkLinkOrchestratorName } from "../../src/app/palLinks";
import { palBulkLinkJobInput } from "../../src/domain/schemas/palLink";
import { finishJobName, type FinishJobInput } from "../activities/finishJob";
import { linkPalTenantName, type LinkPalTenantInput } from "../activities/linkPalTenant";
import { activityRetry } from "./associationLifecycle";

export const palBulkLinkName = palBulkLinkOrchestratorName;

/** Tenants linked at once: ARM and Entra ID are called per tenant, so this bounds the burst. */
export const palBulkBatchSize = 10;

/**
 * Links one identity's partner ID in every listed tenant (instance ID = job ID), a batch at a time;
 * each tenant's activity records its own result (linked, unchanged or failed), so the job's
 * progress shows while it runs. The job is finished Completed, or Failed with the reason when an
 * activity could not record its result after its retries. Deterministic: time from
 * `currentUtcDateTime`, no I/O.
 */
export const palBulkLink: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = palBulkLinkJobInput.parse(context.df.getInput());
  let error: string | undefined;
  try {
    for (let start = 0; start < input.customerTenantIds.length; start += palBulkBatchSize) {
      const batch = input.customerTenantIds
        .slice(start, start + palBulkBatchSize)
        .map((customerTenantId, i) => {
          const item: LinkPalTenantInput = {
            partnerId: input.partnerId,
            jobId: input.jobId,
            index: start + i,
            customerTenantId,
            clientId: input.clientId,
            sealedSecret: input.sealedSecret,
            ...(input.partnerLocationId ? { partnerLocationId: input.partnerLocationId } : {}),
          };
          return context.df.callActivityWithRetry(linkPalTenantName, activityRetry, item);
        });
      yield context.df.Task.all(batch);
    }
  } catch (err) {
    error = `linking stopped: ${err instanceof Error ? err.message : String(err)}`;
  }
  const finish: FinishJobInput = {
    partnerId: input.partnerId,
    jobId: input.jobId,
    at: context.df.currentUtcDateTime.toISOString(),
    ...(error ? { error } : {}),
  };
  yield context.df.callActivityWithRetry(finishJobName, activityRetry, finish);
  return error ? "Failed" : "Completed";
};

df.app.orchestration(palBulkLinkName, palBulkLink);
