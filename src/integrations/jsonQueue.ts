import { QueueClient } from "@azure/storage-queue";
import type { z } from "zod";
import type { StorageConnection } from "../store/tableStore";

/** A client for one queue of the app's storage account (the queue endpoint beside the table endpoint). */
export function queueClient(connection: StorageConnection, queueName: string): QueueClient {
  return typeof connection === "string"
    ? new QueueClient(connection, queueName)
    : new QueueClient(
        `${connection.tableEndpoint.replace(".table.", ".queue.").replace(/\/+$/, "")}/${queueName}`,
        connection.credential,
      );
}

/** The longest a queue message can be kept invisible: 7 days. */
export const maxDelaySeconds = 7 * 24 * 3600;

/**
 * Sends zod-checked JSON messages to one queue of the app's storage account (a connection string,
 * or the queue endpoint beside the table endpoint with the app's identity), base64-encoded as the
 * Functions queue trigger expects. The queue is created on first use, once per process.
 */
export function createJsonQueue<S extends z.ZodType>(
  connection: StorageConnection,
  queueName: string,
  schema: S,
) {
  const client = queueClient(connection, queueName);
  let created: Promise<unknown> | undefined;
  const ensureQueue = () => {
    created ??= client.createIfNotExists().catch((err: unknown) => {
      created = undefined; // a failed creation is tried again by the next send
      throw err;
    });
    return created;
  };
  return {
    /** `delaySeconds`: the message stays invisible that long (at most 7 days, the queue's limit). */
    async send(message: z.input<S>, options: { delaySeconds?: number } = {}): Promise<void> {
      const json = JSON.stringify(schema.parse(message));
      await ensureQueue();
      const delay = options.delaySeconds === undefined ? undefined : Math.ceil(options.delaySeconds);
      await client.sendMessage(
        Buffer.from(json, "utf8").toString("base64"),
        delay ? { visibilityTimeout: Math.min(delay, maxDelaySeconds) } : {},
      );
    },
  };
}
