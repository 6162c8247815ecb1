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
    createdAt: z.iso.datetime(),
  })
  .strict();
export type Partner = z.infer<typeof partner>;
