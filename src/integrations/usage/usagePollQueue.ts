import { z } from "zod";
import { guid } from "../../domain/schemas/primitives";
import { createJsonQueue } from "../jsonQueue";
import type { StorageConnection } from "../../store/tableStore";

/**
 * The queue between the usage-poll timer and the per-tenant reader (`functions/queues/usagePoll.ts`):
 * one message per customer tenant to read, so one slow or failing tenant delays no other, and the
 * host's retries and poison queue apply per tenant.
 */
export const usagePollQueue = "usage-poll";

/** At most this many associations ride in a message (a tenant has one holder per workload unit). */
export const maxPolledAssociations = 100;

/**
 * `associations`: the tenant's polled associations the timer listed (under review or Approved), so
 * the reader point-reads each instead of querying the claims index; it still checks each is
 * Approved and of the polled kind when it reads. A message without it (an older timer, or a tenant
 * with more than the maximum) is answered from the claims index.
 */
export const usagePollMessage = z
  .object({
    customerTenantId: guid,
    associations: z
      .array(z.object({ id: z.string().min(1).max(64), partnerId: z.string().min(1).max(64) }).strict())
      .max(maxPolledAssociations)
      .optional(),
  })
  .strict();
export type UsagePollMessage = z.infer<typeof usagePollMessage>;

/** The port the timer enqueues through. */
export interface UsagePollQueue {
  enqueue(message: UsagePollMessage): Promise<void>;
}

/**
 * Enqueues on `queueName` in the app's storage account (connection string, or the queue endpoint
 * beside the table endpoint with the app's identity), base64 JSON as the Functions queue trigger
 * expects. The queue is created on first use, once per process.
 */
export function createUsagePollQueue(
  connection: StorageConnection,
  queueName: string = usagePollQueue,
): UsagePollQueue {
  const queue = createJsonQueue(connection, queueName, usagePollMessage);
  return { enqueue: (message) => queue.send(message) };
}
