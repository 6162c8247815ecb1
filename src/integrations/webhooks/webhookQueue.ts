import { z } from "zod";
import { guid, isoDate } from "../../domain/schemas/primitives";
import { actor, associationStatus } from "../../domain/status";
import { workloadId } from "../../domain/workloads";
import { createJsonQueue } from "../jsonQueue";
import type { StorageConnection } from "../../store/tableStore";

/**
 * The queue between a status change or a milestone and its delivery to the partner
 * (`functions/queues/partnerWebhooks.ts`).
 * A message is the event itself, and its JSON is the webhook body the partner receives.
 */
export const partnerWebhooksQueue = "partner-webhooks";

export const statusChangedType = "association.status_changed";

/**
 * One status change, as partners receive it. `eventId` is the change's ID (the audit event's),
 * so every enqueue and every redelivery of one change carries the same ID: partners dedupe on it
 * (it is also the `Webhook-Id` header). Events of one association may arrive out of order: `at`
 * orders them.
 */
export const webhookEvent = z
  .object({
    eventId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    associationId: z.string().min(1).max(64),
    type: z.literal(statusChangedType),
    from: associationStatus,
    to: associationStatus,
    actor,
    reason: z.string().max(4000),
    at: z.iso.datetime(),
  })
  .strict();
export type WebhookEvent = z.infer<typeof webhookEvent>;

export const milestoneReachedType = "association.milestone_reached";

/**
 * One incentive milestone recorded in the ledger (the recordMilestones activity). `eventId` is
 * derived from (association, workload, milestone key), the ledger's own identity, so every enqueue
 * of one milestone carries the same ID.
 */
export const milestoneReachedEvent = z
  .object({
    eventId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    associationId: z.string().min(1).max(64),
    type: z.literal(milestoneReachedType),
    customerTenantId: guid,
    workload: workloadId,
    /** `active-15`, `active-40`, `hwm-<seats>` (the ledger's milestoneKey). */
    milestoneKey: z.string().regex(/^[a-z0-9-]{1,40}$/),
    /** Active users ÷ paid seats in the reading that reached it, capped at 1. */
    activeShare: z.number().min(0).max(1),
    paidSeats: z.number().int().nonnegative(),
    activeUsers: z.number().int().nonnegative(),
    units: z.number().nonnegative(),
    amount: z.number().nonnegative(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    reportRefreshDate: isoDate,
    payableOn: isoDate,
    at: z.iso.datetime(),
  })
  .strict();
export type MilestoneReachedEvent = z.infer<typeof milestoneReachedEvent>;

/** Every event partners receive, told apart by `type`. */
export const partnerWebhookEvent = z.discriminatedUnion("type", [webhookEvent, milestoneReachedEvent]);
export type PartnerWebhookEvent = z.infer<typeof partnerWebhookEvent>;

/**
 * A retry of a delivery already begun: the delivery's record (src/store/webhookDeliveries.ts) holds
 * the event, and `dispatch` must still be the record's for this message to act.
 */
export const webhookRetry = z
  .object({
    retry: z
      .object({
        partnerId: z.string().min(1).max(64),
        deliveryId: z.string().min(1).max(64),
        dispatch: z.string().min(1).max(64),
      })
      .strict(),
  })
  .strict();
export type WebhookRetry = z.infer<typeof webhookRetry>;

/** What the `partner-webhooks` queue carries: an event on its first way, or a retry of one. */
export const partnerWebhookMessage = z.union([partnerWebhookEvent, webhookRetry]);
export type PartnerWebhookMessage = z.infer<typeof partnerWebhookMessage>;

/** The port setStatus enqueues status changes through. */
export interface WebhookQueue {
  enqueue(event: WebhookEvent): Promise<void>;
}

/** The port for every kind of partner event (what createWebhookQueue returns). */
export interface PartnerWebhookQueue {
  enqueue(event: PartnerWebhookEvent): Promise<void>;
  /** Sends a retry, invisible for `delaySeconds` (at most 7 days). */
  retry(message: WebhookRetry, delaySeconds: number): Promise<void>;
}

/**
 * Enqueues on `queueName` in the app's storage account: the connection string, or the queue
 * endpoint beside the table endpoint with the app's identity (as the document store finds blobs).
 * Messages are base64 JSON, the encoding the Functions queue trigger expects. The queue is created
 * on first use, once per process.
 */
export function createWebhookQueue(
  connection: StorageConnection,
  queueName: string = partnerWebhooksQueue,
): PartnerWebhookQueue {
  const queue = createJsonQueue(connection, queueName, partnerWebhookMessage);
  return {
    enqueue: (event) => queue.send(event),
    retry: (message, delaySeconds) => queue.send(message, { delaySeconds }),
  };
}
