import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { palBulkLinkOrchestratorName } from "../../src/app/palLinks";
import { palBulkLinkJobInput } from "../../src/domain/schemas/palLink";
import { linkPalTenantName, type LinkPalTenantInput } from "../activities/linkPalTenant";
import { fanOutJob } from "./jobFanOut";

export const palBulkLinkName = palBulkLinkOrchestratorName;

/** Tenants linked at once: ARM and Entra ID are called per tenant, so this bounds the burst. */
export const palBulkBatchSize = 10;

/**
 * Links one identity's partner ID in every listed tenant (instance ID = job ID; the tenants are the
 * job's items), a batch at a time; each tenant's activity records its own result (linked, unchanged
 * or failed).
 */
export const palBulkLink: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = palBulkLinkJobInput.parse(context.df.getInput());
  const inputOf = (index: number): LinkPalTenantInput => ({
    partnerId: input.partnerId,
    jobId: input.jobId,
    index,
    clientId: input.clientId,
    sealedSecret: input.sealedSecret,
    ...(input.partnerLocationId ? { partnerLocationId: input.partnerLocationId } : {}),
  });
  return yield* fanOutJob(context, input, linkPalTenantName, input.count, inputOf, palBulkBatchSize);
};

df.app.orchestration(palBulkLinkName, palBulkLink);
