import { z } from "zod";
import { linkBulkItem, type PalPorts } from "../../src/app/palLinks";
import type { JobResult } from "../../src/domain/job";
import { guid, partnerLocationId } from "../../src/domain/schemas/primitives";
import { palPorts } from "../composition";
import { defineActivity } from "../defineActivity";
import { withoutWorkflows } from "../../src/app/lifecycle";

export const linkPalTenantName = "linkPalTenant";

export const linkPalTenantInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    /** The tenant: the job's item at this index. */
    index: z.number().int().nonnegative(),
    clientId: guid,
    /** Sealed for the job (never the secret in clear: orchestration inputs are kept in history). */
    sealedSecret: z.string().min(1).max(4000),
    partnerLocationId: partnerLocationId.optional(),
  })
  .strict();
export type LinkPalTenantInput = z.infer<typeof linkPalTenantInput>;

/** Links one tenant of a bulk job and records its result (src/app/palLinks.ts `linkBulkItem`). */
export const linkPalTenant = defineActivity({
  name: linkPalTenantName,
  input: linkPalTenantInput,
  handler: (input, ports: PalPorts): Promise<JobResult> => linkBulkItem(ports, withoutWorkflows, input),
  ports: palPorts,
});
