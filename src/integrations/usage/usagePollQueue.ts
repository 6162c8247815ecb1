import { QueueClient } from "@azure/storage-queue";
import { z } from "zod";
import { guid } from "../../domain/schemas/primitives";
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
  const client =
    typeof connection === "string"
      ? new QueueClient(connection, queueName)
      : new QueueClient(
          `${connection.tableEndpoint.replace(".table.", ".queue.").replace(/\/+$/, "")}/${queueName}`,
          connection.credential,
        );
  let created: Promise<unknown> | undefined;
  const ensureQueue = () => {
    created ??= client.createIfNotExists().catch((err: unknown) => {
      created = undefined; // a failed creation is tried again by the next enqueue
      throw err;
    });
    return created;
  };
  return {
    async enqueue(message) {
      const json = JSON.stringify(usagePollMessage.parse(message));
      await ensureQueue();
      await client.sendMessage(Buffer.from(json, "utf8").toString("base64"));
    },
  };
}
