import { z } from "zod";
import { guid, partnerLocationId } from "./primitives";

/**
 * `POST /api/v1/pal-links` and `/pal-links/bulk`: the identity that links, by its client ID and
 * secret. The secret is only ever sealed (SECRETS_KEY) before it is stored: no answer, log line or
 * error message shows it.
 */
export const palIdentityInput = z
  .object({
    clientId: guid,
    clientSecret: z.string().min(1, "must not be empty").max(1024),
  })
  .strict();
export type PalIdentityInput = z.infer<typeof palIdentityInput>;

export const createPalLinkInput = z
  .object({
    customerTenantId: guid,
    identity: palIdentityInput,
    /** Which of the partner's location IDs to link; default: its first. */
    partnerLocationId: partnerLocationId.optional(),
  })
  .strict();
export type CreatePalLinkInput = z.infer<typeof createPalLinkInput>;

export const maxBulkTenants = 500;

export const bulkPalLinkInput = z
  .object({
    identity: palIdentityInput,
    customerTenantIds: z
      .array(guid)
      .min(1, "must list at least one tenant")
      .max(maxBulkTenants, `must list at most ${maxBulkTenants} tenants`)
      .superRefine((ids, ctx) => {
        const seen = new Set<string>();
        ids.forEach((id, index) => {
          if (seen.has(id.toLowerCase()))
            ctx.addIssue({ code: "custom", path: [index], message: `repeats tenant ${id}` });
          seen.add(id.toLowerCase());
        });
      }),
    partnerLocationId: partnerLocationId.optional(),
  })
  .strict();
export type BulkPalLinkInput = z.infer<typeof bulkPalLinkInput>;

/** `GET /api/v1/pal-links` filters; `drift`: a kind, `any` (drifted at all) or `none` (clean). */
export const palLinkDriftFilter = z.enum(["deleted", "other-partner", "credential-failing", "any", "none"]);

/**
 * The bulk-link orchestration's input (instance ID = job ID): the secret only sealed, for the job;
 * the tenants are the job's items (`count` of them), read by each activity.
 */
export const palBulkLinkJobInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    clientId: guid,
    sealedSecret: z.string().min(1).max(4000),
    count: z.number().int().min(1).max(maxBulkTenants),
    partnerLocationId: partnerLocationId.optional(),
  })
  .strict();
export type PalBulkLinkJobInput = z.infer<typeof palBulkLinkJobInput>;
