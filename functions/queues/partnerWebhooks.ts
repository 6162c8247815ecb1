import { app, type InvocationContext } from "@azure/functions";
import { removeWebhook } from "../../src/app/partners";
import { NotFoundError, TransientDependencyError } from "../../src/domain/errors";
import {
  deliverWebhook,
  type DeliveryResult,
  type WebhookDelivery,
} from "../../src/integrations/webhooks/deliver";
import {
  partnerWebhookEvent,
  statusChangedType,
  type PartnerWebhookEvent,
} from "../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";

export const partnerWebhooksName = "partnerWebhooks";

/**
 * Delivers one webhook event (queue `partner-webhooks`, enqueued by the setStatus activity) to the
 * partner's registered URL, signed with the partner's secret (`Webhook-Signature`, `Webhook-Id`):
 * - a 2xx answer completes the message;
 * - 410 Gone: the receiver is gone for good; the webhook (URL and secret) is removed, if it is still
 *   the URL that answered, and the message completes;
 * - a refused destination (src/domain/webhookDestination.ts: not https, or not public, or a name
 *   that resolves to a non-public address when connecting, unless its host is in
 *   WEBHOOK_ALLOWED_HOSTS) is never connected to: the message completes with a warning, as a
 *   permanent failure. Retrying cannot help (the same URL is judged the same way) and would only
 *   fill the poison queue. The webhook is kept, unlike on a 410: the refusal may come from an
 *   operator's allow-list change or a DNS answer that will be corrected, and the partner still sees
 *   its URL (GET) and can replace it; every event until then is refused, and dropped, the same way;
 * - anything else (another 4xx, a 3xx, a 5xx, no answer within 10 s, a network error) throws, so
 *   the host makes the message visible again after host.json `queues.visibilityTimeout` and, after
 *   `maxDequeueCount` tries, moves it to `partner-webhooks-poison`.
 * A partner without a webhook (never registered, deleted, or removed by a 410 meanwhile) or one
 * that no longer exists completes the message with a log line: there is no one to tell.
 * Delivery is at least once: a redelivered message has the same eventId and `Webhook-Id`.
 * The URL and the time are read at delivery, so a retry goes to the URL registered now, signed with
 * the secret registered now. Logs name the receiver's origin only: never the secret, the path (it
 * may carry a receiver's token) or the body.
 */
export interface PartnerWebhooksPorts {
  store: Pick<Store, "partners">;
  clock: () => Date;
  /** Setting WEBHOOK_ALLOWED_HOSTS: hosts exempt from the destination rules. */
  allowedHosts: readonly string[];
  /** One attempt; default deliverWebhook. */
  deliver?: (delivery: WebhookDelivery) => Promise<DeliveryResult>;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
}

export function createPartnerWebhooksHandler(getWebhookPorts: () => PartnerWebhooksPorts) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const event = readEvent(queueEntry, context);
    const ports = getWebhookPorts();
    const what =
      event.type === statusChangedType
        ? `${event.from} → ${event.to}`
        : `${event.workload} ${event.milestoneKey}`;
    const tag = `partnerWebhooks: event ${event.eventId} (${event.type} ${what}, association ${event.associationId})`;

    const partner = await ports.store.partners.get(event.partnerId).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (!partner) {
      context.warn(`${tag} dropped: partner ${event.partnerId} no longer exists`);
      return;
    }
    const { webhookUrl: url, webhookSecret: secret } = partner;
    if (!url) {
      context.log(`${tag} dropped: partner ${partner.id} has no webhook`);
      return;
    }
    if (!secret) {
      // Set outside PUT /api/v1/webhook: an unsigned delivery would teach receivers to skip checks.
      context.warn(
        `${tag} dropped: partner ${partner.id} has a webhook URL but no signing secret; PUT /api/v1/webhook sets both`,
      );
      return;
    }

    const target = originOf(url);
    const attempt = dequeueCountOf(context);
    const deliver = ports.deliver ?? deliverWebhook;
    const result = await deliver({
      url,
      secret,
      body: JSON.stringify(event),
      eventId: event.eventId,
      now: ports.clock(),
      allowedHosts: ports.allowedHosts,
      ...(ports.timeoutMs === undefined ? {} : { timeoutMs: ports.timeoutMs }),
    });
    if (result.refused !== undefined) {
      context.warn(
        `${tag} dropped: ${target} is not an allowed webhook destination (${result.refused}); the webhook of partner ${partner.id} is kept`,
      );
      return;
    }
    if (result.ok) {
      context.log(`${tag} delivered to ${target}: HTTP ${result.status}${attempt}`);
      return;
    }
    if (result.status === 410) {
      await removeWebhook(ports, partner.id, url);
      context.warn(`${tag}: ${target} answered 410 Gone; the webhook of partner ${partner.id} is removed`);
      return;
    }
    const why = result.status === undefined ? (result.error ?? "no answer") : `HTTP ${result.status}`;
    context.warn(`${tag} not delivered to ${target}: ${why}${attempt}; the host will try again`);
    throw new TransientDependencyError(`webhook delivery to ${target} failed: ${why}`);
  };
}

/** The queue message as the schema wants it; anything else is poison. */
function readEvent(queueEntry: unknown, context: InvocationContext): PartnerWebhookEvent {
  return readQueueMessage(partnerWebhookEvent, queueEntry, context, {
    tag: "partnerWebhooks",
    label: "partner webhook",
    poisonQueue: "partner-webhooks-poison",
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(an invalid URL)";
  }
}

/** ` (attempt n)` from the trigger metadata, when the host gave it. */
function dequeueCountOf(context: InvocationContext): string {
  const count = context.triggerMetadata?.["dequeueCount"];
  return typeof count === "number" || typeof count === "string" ? ` (attempt ${count})` : "";
}

app.storageQueue(partnerWebhooksName, {
  // An app setting (`PARTNER_WEBHOOKS_QUEUE`), so side-by-side deployments and tests keep apart.
  queueName: "%PARTNER_WEBHOOKS_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: createPartnerWebhooksHandler(() => {
    const { store, clock, settings } = getPorts();
    return { store, clock, allowedHosts: settings.webhookAllowedHosts };
  }),
});
