import { randomUUID } from "node:crypto";
import { ConcurrencyError, ConflictError, NotFoundError } from "../domain/errors";
import {
  afterAttempt,
  firstDispatch,
  newDelivery,
  redelivered,
  type AttemptOutcome,
  type WebhookDelivery,
  type WebhookRetryPolicy,
} from "../domain/webhookDelivery";
import type { Partner } from "../domain/partner";
import {
  deliverWebhook,
  type DeliveryResult,
  type WebhookDelivery as HttpDelivery,
} from "../integrations/webhooks/deliver";
import {
  statusChangedType,
  type PartnerWebhookEvent,
  type PartnerWebhookMessage,
  type PartnerWebhookQueue,
} from "../integrations/webhooks/webhookQueue";
import type { Versioned } from "../store/entityCodec";
import { retryOnConcurrency } from "../store/retry";
import type { Store } from "../store/store";
import { removeWebhook } from "./partners";

/**
 * Webhook deliveries: every event a partner's receiver is sent is recorded with its attempts
 * (src/domain/webhookDelivery.ts), retried with doubling waits for WEBHOOK_RETRY_WINDOW, then
 * dead-lettered as `failed`; the partner can redeliver one, or all since a time.
 *
 * A failed attempt schedules the next one as a delayed queue message and completes the current
 * one, so a receiver down for a day costs one message per attempt and never the poison queue.
 * The retry is sent before the record names it: if recording fails, the message just sent finds
 * its dispatch unknown and does nothing, and the host retries the current message, which still
 * holds the record's dispatch.
 */
export interface WebhookDeliveryPorts {
  store: Pick<Store, "partners" | "webhookDeliveries">;
  clock: () => Date;
  queue: Pick<PartnerWebhookQueue, "retry">;
  /** Setting WEBHOOK_ALLOWED_HOSTS: hosts exempt from the destination rules. */
  allowedHosts: readonly string[];
  retry: WebhookRetryPolicy;
  /** One HTTP attempt; default deliverWebhook. */
  deliver?: (delivery: HttpDelivery) => Promise<DeliveryResult>;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  log: { info(line: string): void; warn(line: string): void };
}

/**
 * Acts on one `partner-webhooks` message: an event on its first way, or a retry. Throws only when
 * storage or the queue fails (the host then retries the message).
 * A partner without a webhook (never registered, deleted, or removed by a 410) or one that no
 * longer exists gets no delivery record for a new event: there is no one to tell.
 */
export async function handleWebhookMessage(
  ports: WebhookDeliveryPorts,
  message: PartnerWebhookMessage,
  attemptNote = "",
): Promise<void> {
  if ("retry" in message) {
    const { partnerId, deliveryId, dispatch } = message.retry;
    const tag = `partnerWebhooks: delivery ${deliveryId} of partner ${partnerId}`;
    const current = await ports.store.webhookDeliveries.get(partnerId, deliveryId);
    if (!current) return ports.log.info(`${tag}: dropped, the delivery no longer exists`);
    if (current.value.state !== "pending" || current.value.dispatch !== dispatch)
      return ports.log.info(`${tag}: dropped, superseded (the delivery is ${current.value.state} now)`);
    return attempt(ports, current, tag, attemptNote);
  }
  const tag = `partnerWebhooks: event ${message.eventId} (${describe(message)}, association ${message.associationId})`;
  const partner = await partnerOrUndefined(ports, message.partnerId);
  if (!partner) return ports.log.warn(`${tag} dropped: partner ${message.partnerId} no longer exists`);
  if (!partner.webhookUrl) return ports.log.info(`${tag} dropped: partner ${partner.id} has no webhook`);
  const begun = await ports.store.webhookDeliveries.begin(
    newDelivery(message, JSON.stringify(message), ports.clock()),
  );
  if (begun.value.state !== "pending" || begun.value.dispatch !== firstDispatch)
    return ports.log.info(`${tag}: already delivered or scheduled (${begun.value.state}); nothing to do`);
  return attempt(ports, begun, tag, attemptNote);
}

/** One attempt at a due delivery, recorded; a failure schedules the next or dead-letters it. */
async function attempt(
  ports: WebhookDeliveryPorts,
  current: Versioned<WebhookDelivery>,
  tag: string,
  attemptNote: string,
): Promise<void> {
  const delivery = current.value;
  const partner = await partnerOrUndefined(ports, delivery.partnerId);
  const outcome = await sendTo(ports, partner, delivery, tag);
  const now = ports.clock();
  const next = afterAttempt(delivery, outcome, now, ports.retry);
  const number = ` (attempt ${delivery.attempts + 1}${attemptNote})`;
  if (next.retryInMs !== undefined) {
    next.delivery = { ...next.delivery, dispatch: randomUUID() };
    await ports.queue.retry(
      { retry: { partnerId: delivery.partnerId, deliveryId: delivery.id, dispatch: next.delivery.dispatch } },
      next.retryInMs / 1000,
    );
  }
  try {
    await ports.store.webhookDeliveries.replace(next.delivery, current.etag);
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    return ports.log.info(`${tag}: redelivered while this attempt ran; the redelivery goes on`);
  }
  if (outcome.kind === "delivered")
    return ports.log.info(`${tag} delivered: HTTP ${outcome.status}${number}`);
  if (next.delivery.state === "failed")
    return ports.log.warn(`${tag} failed for good: ${outcome.error}${number}; it can be redelivered`);
  ports.log.warn(
    `${tag} not delivered: ${outcome.error}${number}; next attempt at ${next.delivery.nextAttemptAt}`,
  );
}

/** Sends the delivery's payload to the partner's webhook as registered now. */
async function sendTo(
  ports: WebhookDeliveryPorts,
  partner: Partner | undefined,
  delivery: WebhookDelivery,
  tag: string,
): Promise<AttemptOutcome> {
  if (!partner) return { kind: "final", status: undefined, error: "the partner no longer exists" };
  const { webhookUrl: url, webhookSecret: secret } = partner;
  if (!url) return { kind: "final", status: undefined, error: "no webhook is registered" };
  // Set outside PUT /api/v1/webhook: an unsigned delivery would teach receivers to skip checks.
  if (!secret)
    return {
      kind: "final",
      status: undefined,
      error: "the webhook has no signing secret; PUT /api/v1/webhook sets one",
    };
  const target = originOf(url);
  const result = await (ports.deliver ?? deliverWebhook)({
    url,
    secret,
    body: delivery.payload,
    eventId: delivery.id,
    now: ports.clock(),
    allowedHosts: ports.allowedHosts,
    ...(ports.timeoutMs === undefined ? {} : { timeoutMs: ports.timeoutMs }),
  });
  if (result.refused !== undefined) {
    ports.log.warn(`${tag}: ${target} is not an allowed webhook destination; the webhook is kept`);
    return {
      kind: "final",
      status: undefined,
      error: `${target} is not an allowed destination (${result.refused})`,
    };
  }
  if (result.ok && result.status !== undefined) return { kind: "delivered", status: result.status };
  if (result.status === 410) {
    await removeWebhook(ports, partner.id, url);
    ports.log.warn(`${tag}: ${target} answered 410 Gone; the webhook of partner ${partner.id} is removed`);
    return { kind: "final", status: 410, error: `${target} answered 410 Gone; the webhook was removed` };
  }
  const why = result.status === undefined ? (result.error ?? "no answer") : `HTTP ${result.status}`;
  return { kind: "failed", status: result.status, error: `${target}: ${why}` };
}

export interface RedeliveryPorts {
  store: Pick<Store, "partners" | "webhookDeliveries">;
  clock: () => Date;
  queue: Pick<PartnerWebhookQueue, "retry">;
}

/**
 * Makes one delivery due now, with a new retry window, whatever its state: a failed one is tried
 * again, a delivered one is sent once more (same `Webhook-Id`: receivers that dedupe drop it).
 * NotFoundError for another partner's or an unknown delivery; ConflictError without a webhook.
 */
export async function redeliverWebhook(
  ports: RedeliveryPorts,
  partnerId: string,
  id: string,
): Promise<WebhookDelivery> {
  await requireWebhook(ports, partnerId);
  // Event IDs are GUIDs: anything else names no delivery (and could not be a row key).
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new NotFoundError(`webhook delivery ${id} was not found`);
  return retryOnConcurrency(async () => {
    const current = await ports.store.webhookDeliveries.get(partnerId, id);
    if (!current) throw new NotFoundError(`webhook delivery ${id} was not found`);
    return redeliver(ports, current);
  });
}

/**
 * Redelivers every delivery created at or after `since` that is not delivered (pending ones are
 * brought forward, failed ones tried again); with `includeDelivered`, delivered ones too.
 * Answers the IDs redelivered, newest first.
 */
export async function redeliverWebhooksSince(
  ports: RedeliveryPorts,
  partnerId: string,
  input: { since: string; includeDelivered?: boolean | undefined },
): Promise<string[]> {
  await requireWebhook(ports, partnerId);
  const ids: string[] = [];
  for await (const current of ports.store.webhookDeliveries.all(partnerId, { since: input.since })) {
    if (current.value.state === "delivered" && input.includeDelivered !== true) continue;
    let read: Versioned<WebhookDelivery> | undefined = current;
    await retryOnConcurrency(async () => {
      // The row the scan read first; after a lost race, the row as it is now.
      read ??= await ports.store.webhookDeliveries.get(partnerId, current.value.id);
      const fresh = read;
      read = undefined;
      if (fresh) await redeliver(ports, fresh);
    });
    ids.push(current.value.id);
  }
  return ids;
}

async function redeliver(
  ports: RedeliveryPorts,
  current: Versioned<WebhookDelivery>,
): Promise<WebhookDelivery> {
  const next = redelivered(current.value, ports.clock(), randomUUID());
  await ports.queue.retry(
    { retry: { partnerId: next.partnerId, deliveryId: next.id, dispatch: next.dispatch } },
    0,
  );
  await ports.store.webhookDeliveries.replace(next, current.etag);
  return next;
}

async function requireWebhook(ports: RedeliveryPorts, partnerId: string): Promise<void> {
  const partner = await ports.store.partners.get(partnerId);
  if (!partner.webhookUrl)
    throw new ConflictError(
      "no webhook is registered; PUT /api/v1/webhook registers one before a redelivery",
    );
}

async function partnerOrUndefined(
  ports: Pick<WebhookDeliveryPorts, "store">,
  partnerId: string,
): Promise<Partner | undefined> {
  return ports.store.partners.get(partnerId).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
}

function describe(event: PartnerWebhookEvent): string {
  return event.type === statusChangedType
    ? `${event.type} ${event.from} → ${event.to}`
    : `${event.type} ${event.workload} ${event.milestoneKey}`;
}

/** The receiver's origin for logs and records: never its path, which may carry a token. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(an invalid URL)";
  }
}
