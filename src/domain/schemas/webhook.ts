import { z } from "zod";
import { webhookDeliveryStates } from "../webhookDelivery";
import { singleLineRules } from "./primitives";

/**
 * `PUT /api/v1/webhook`: where the partner receives its status changes. The shape only: which
 * hosts and schemes may be reached depends on WEBHOOK_ALLOWED_HOSTS and DNS, and the handler checks
 * that (src/domain/webhookDestination.ts: https unless allow-listed, public addresses only).
 */
export const putWebhookInput = z
  .object({
    url: z
      .string()
      .max(2048, "must be at most 2048 characters")
      // The text rules come first: the URL check strips tabs and line breaks, and the URL parser
      // drops edge controls and replaces lone surrogates, so the URL stored would not be the one sent.
      .check(...singleLineRules, z.url({ protocol: /^https?$/, error: "must be an absolute https URL" }))
      // A transform runs only on a valid URL (z.url passed), so `new URL` cannot throw here.
      .transform((text, ctx) => {
        const url = new URL(text);
        if (url.username !== "" || url.password !== "")
          ctx.addIssue({ code: "custom", message: "must not carry credentials (user:password@)" });
        return url.href;
      }),
  })
  .strict();
export type PutWebhookInput = z.infer<typeof putWebhookInput>;

/** `GET /api/v1/webhook/deliveries` query: a state, a lower bound on creation, paging. */
export const listWebhookDeliveriesQuery = z
  .object({
    state: z.enum(webhookDeliveryStates).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).optional(),
    continuationToken: z.string().max(4096).optional(),
  })
  .strict();

/**
 * `POST /api/v1/webhook/deliveries/redeliver`: every delivery created at or after `since` that is
 * not delivered is sent again; `includeDelivered` adds the delivered ones.
 */
export const bulkRedeliverInput = z
  .object({
    since: z.iso.datetime({ offset: true }),
    includeDelivered: z.boolean().optional(),
  })
  .strict();
