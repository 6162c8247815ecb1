import { z } from "zod";

/**
 * One webhook event on its way to one partner, with every attempt counted: the record behind
 * `GET /api/v1/webhook/deliveries`. Its `id` is the event's ID (the `Webhook-Id` header the
 * receiver saw), so a partner can name a delivery from its own receiver's logs.
 *
 * - `pending`: not delivered yet; `nextAttemptAt` says when the next attempt is due.
 * - `delivered`: the receiver answered 2xx.
 * - `failed`: dead-lettered: the retry window ran out, the receiver answered 410 Gone, or the
 *   destination is refused by the rules. Nothing more is tried until the partner redelivers it.
 *
 * `dispatch` names the one queue message allowed to act on a pending delivery; every reschedule
 * and every redelivery draws a new one, so a stale or duplicated message finds it changed and does
 * nothing, and one delivery never has two retry chains.
 */
export const webhookDeliveryStates = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryState = (typeof webhookDeliveryStates)[number];

export const webhookDelivery = z
  .object({
    partnerId: z.string().min(1).max(64),
    /** The event's ID. */
    id: z.string().min(1).max(64),
    /** The event's type (`association.status_changed`, `association.milestone_reached`). */
    event: z.string().min(1).max(64),
    associationId: z.string().min(1).max(64),
    /** The webhook body exactly as sent (the event's JSON). */
    payload: z.string().min(2).max(30_000),
    state: z.enum(webhookDeliveryStates),
    /** Attempts made, over every redelivery. */
    attempts: z.number().int().nonnegative(),
    /** Failed attempts since the window began: they set the next wait. */
    failures: z.number().int().nonnegative(),
    /** The receiver's HTTP status at the last attempt; null when none came or none was made. */
    lastStatus: z.number().int().nullable(),
    /** Why the last attempt failed, in words (the receiver's origin, never its path or the secret). */
    lastError: z.string().max(1000).optional(),
    lastAttemptAt: z.iso.datetime().optional(),
    /** When the next attempt is due; null once delivered or failed. */
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    /** When the current retry window began: the first attempt, or the last redelivery. */
    windowStartedAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().optional(),
    dispatch: z.string().min(1).max(64),
  })
  .strict();
export type WebhookDelivery = z.infer<typeof webhookDelivery>;

/** The dispatch of the message that first carries an event (the event itself, not a retry). */
export const firstDispatch = "first";

/** How failed attempts are spaced (settings WEBHOOK_RETRY_*). */
export interface WebhookRetryPolicy {
  /** The wait after the first failed attempt; each further failure doubles it. */
  firstDelayMs: number;
  /** The longest wait between two attempts. */
  maxDelayMs: number;
  /** How long after the window began attempts go on before the delivery is dead-lettered. */
  windowMs: number;
}

/** The wait after the `failures`-th failed attempt in a row (1 = the first): doubling, capped. */
export function retryDelayMs(failures: number, policy: WebhookRetryPolicy): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 40);
  return Math.min(policy.firstDelayMs * 2 ** doublings, policy.maxDelayMs);
}

/** What one attempt came to, as the delivery records it. */
export type AttemptOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "failed"; status: number | undefined; error: string }
  /** Retrying cannot help (410 Gone, a refused destination): dead-lettered at once. */
  | { kind: "final"; status: number | undefined; error: string };

/**
 * The delivery after one attempt at `now`; `retry` is the wait before the next attempt, when there
 * is one. A failure is retried while the next attempt still falls inside the window (the last
 * attempt is made at the window's end at the latest); after that the delivery is dead-lettered.
 */
export function afterAttempt(
  delivery: WebhookDelivery,
  outcome: AttemptOutcome,
  now: Date,
  policy: WebhookRetryPolicy,
): { delivery: WebhookDelivery; retryInMs?: number } {
  const attempted: WebhookDelivery = {
    ...withoutError(delivery),
    attempts: delivery.attempts + 1,
    lastStatus: outcome.status ?? null,
    lastAttemptAt: now.toISOString(),
  };
  if (outcome.kind === "delivered")
    return {
      delivery: { ...attempted, state: "delivered", nextAttemptAt: null, deliveredAt: now.toISOString() },
    };
  const failed = { ...attempted, failures: delivery.failures + 1, lastError: outcome.error.slice(0, 1000) };
  const deadline = Date.parse(delivery.windowStartedAt) + policy.windowMs;
  const wait = retryDelayMs(failed.failures, policy);
  if (outcome.kind === "final" || now.getTime() >= deadline)
    return { delivery: { ...failed, state: "failed", nextAttemptAt: null } };
  const retryInMs = Math.min(wait, deadline - now.getTime());
  return {
    delivery: {
      ...failed,
      state: "pending",
      nextAttemptAt: new Date(now.getTime() + retryInMs).toISOString(),
    },
    retryInMs,
  };
}

/** The delivery made due again now, with a new window and a new dispatch (a redelivery). */
export function redelivered(delivery: WebhookDelivery, now: Date, dispatch: string): WebhookDelivery {
  return {
    ...delivery,
    state: "pending",
    failures: 0,
    nextAttemptAt: now.toISOString(),
    windowStartedAt: now.toISOString(),
    dispatch,
  };
}

/** What the API shows of a delivery: everything but the internal dispatch and the payload text. */
export function webhookDeliveryView(delivery: WebhookDelivery) {
  const { dispatch: _dispatch, failures: _failures, payload, partnerId: _partnerId, ...shown } = delivery;
  return { ...shown, payload: JSON.parse(payload) as unknown };
}

function withoutError(delivery: WebhookDelivery): WebhookDelivery {
  const { lastError: _lastError, ...rest } = delivery;
  return rest;
}

/** The delivery of an event, begun at `now` and due at once. */
export function newDelivery(
  event: { eventId: string; partnerId: string; associationId: string; type: string },
  payload: string,
  now: Date,
): WebhookDelivery {
  const at = now.toISOString();
  return {
    partnerId: event.partnerId,
    id: event.eventId,
    event: event.type,
    associationId: event.associationId,
    payload,
    state: "pending",
    attempts: 0,
    failures: 0,
    lastStatus: null,
    nextAttemptAt: at,
    createdAt: at,
    windowStartedAt: at,
    dispatch: firstDispatch,
  };
}
