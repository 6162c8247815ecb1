import { z } from "zod";
import { email, partnerLocationId, shortText } from "./schemas/primitives";

/** A partner organisation using the service: every association, email and incentive belongs to one. */
export const partner = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/, "must be lower-case letters, digits and dashes"),
    name: shortText(),
    /** The MPN / PartnerOne location IDs this partner may claim under. */
    partnerLocationIds: z.array(partnerLocationId).min(1).max(50),
    contactEmail: email.optional(),
    /** Where status changes and milestones are posted (HTTPS in production). */
    webhookUrl: z.url().optional(),
    /**
     * The key webhook deliveries are signed with (HMAC-SHA256, `Webhook-Signature`), set together
     * with `webhookUrl` by `PUT /api/v1/webhook`. Shown to the partner once, in that answer; never
     * returned again and never logged.
     */
    webhookSecret: z.string().min(32).max(128).optional(),
    createdAt: z.iso.datetime(),
  })
  .strict();
export type Partner = z.infer<typeof partner>;

/** The partner without its webhook (URL and signing secret); the same object when it has none. */
export function withoutWebhook(value: Partner): Partner {
  if (value.webhookUrl === undefined && value.webhookSecret === undefined) return value;
  const { webhookUrl: _url, webhookSecret: _secret, ...rest } = value;
  return rest;
}
