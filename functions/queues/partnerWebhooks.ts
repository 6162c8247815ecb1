import { app, type InvocationContext } from "@azure/functions";
import { handleWebhookMessage, type WebhookDeliveryPorts } from "../../src/app/webhookDeliveries";
import {
  partnerWebhookMessage,
  type PartnerWebhookMessage,
} from "../../src/integrations/webhooks/webhookQueue";
import { getPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";

export const partnerWebhooksName = "partnerWebhooks";

/**
 * Delivers webhook events (queue `partner-webhooks`: enqueued by status changes and milestones,
 * and by retries and redeliveries) to the partner's registered URL, signed with the partner's
 * secret (`Webhook-Signature`, `Webhook-Id`), and records every attempt
 * (src/app/webhookDeliveries.ts, `GET /api/v1/webhook/deliveries`):
 * - a 2xx answer: delivered;
 * - 410 Gone: the receiver is gone for good; the webhook (URL and secret) is removed, if it is still
 *   the URL that answered, and the delivery fails at once;
 * - a refused destination (src/domain/webhookDestination.ts) is never connected to: the delivery
 *   fails at once and the webhook is kept (the refusal may come from an allow-list change or a
 *   DNS answer that will be corrected);
 * - anything else (another 4xx, a 3xx, a 5xx, no answer within 10 s, a network error): the next
 *   attempt is scheduled as a delayed message, with doubling waits (WEBHOOK_RETRY_FIRST_DELAY up
 *   to WEBHOOK_RETRY_MAX_DELAY), for WEBHOOK_RETRY_WINDOW; then the delivery fails for good.
 * Only storage failures throw (the host retries the message); a message that is not one of ours
 * goes to `partner-webhooks-poison`. Delivery is at least once: every attempt has the same
 * `Webhook-Id`. The URL and the secret are read at each attempt. Logs name the receiver's origin
 * only: never the secret, the path (it may carry a receiver's token) or the body.
 */
export function createPartnerWebhooksHandler(
  getWebhookPorts: (context: InvocationContext) => WebhookDeliveryPorts,
) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const message = readMessage(queueEntry, context);
    await handleWebhookMessage(getWebhookPorts(context), message, dequeueCountOf(context));
  };
}

/** The queue message as the schema wants it; anything else is poison. */
function readMessage(queueEntry: unknown, context: InvocationContext): PartnerWebhookMessage {
  return readQueueMessage(partnerWebhookMessage, queueEntry, context, {
    tag: "partnerWebhooks",
    label: "partner webhook",
    poisonQueue: "partner-webhooks-poison",
  });
}

/** `, message read n times` from the trigger metadata when the host read it more than once. */
function dequeueCountOf(context: InvocationContext): string {
  const count = Number(context.triggerMetadata?.["dequeueCount"]);
  return Number.isFinite(count) && count > 1 ? `, message read ${count} times` : "";
}

/** The ports of one invocation: the app's, with the invocation's log. */
export function webhookDeliveryPorts(context: InvocationContext): WebhookDeliveryPorts {
  const { store, clock, settings, webhookQueue } = getPorts();
  return {
    store,
    clock,
    queue: webhookQueue,
    allowedHosts: settings.webhookAllowedHosts,
    retry: settings.webhookRetry,
    log: { info: (line) => context.log(line), warn: (line) => context.warn(line) },
  };
}

app.storageQueue(partnerWebhooksName, {
  // An app setting (`PARTNER_WEBHOOKS_QUEUE`), so side-by-side deployments and tests keep apart.
  queueName: "%PARTNER_WEBHOOKS_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: createPartnerWebhooksHandler(webhookDeliveryPorts),
});
