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

export const usagePollMessage = z.object({ customerTenantId: guid }).strict();
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
