import { z } from "zod";
import type { StorageConnection } from "../store/tableStore";
import { createJsonQueue } from "./jsonQueue";

/**
 * The queue between the PAL verification timer and the per-link check (`functions/queues/palVerify.ts`):
 * one message per link, so one slow or failing tenant delays no other, and the host's retries and
 * poison queue apply per link.
 */
export const palVerifyMessage = z
  .object({ partnerId: z.string().min(1).max(64), associationId: z.string().min(1).max(64) })
  .strict();
export type PalVerifyMessage = z.infer<typeof palVerifyMessage>;

export interface PalVerifyQueue {
  enqueue(message: PalVerifyMessage): Promise<void>;
}

export function createPalVerifyQueue(connection: StorageConnection, queueName: string): PalVerifyQueue {
  const queue = createJsonQueue(connection, queueName, palVerifyMessage);
  return { enqueue: (message) => queue.send(message) };
}
