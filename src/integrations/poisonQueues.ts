import type { StorageConnection } from "../store/tableStore";
import { queueClient } from "./jsonQueue";

/**
 * The app's poison queues (`<queue>-poison`, where the Functions host moves a message that failed
 * `maxDequeueCount` times): look at what is there, and send messages back to their queue once the
 * cause is fixed. A message goes back exactly as it was stored (the host's base64 JSON).
 */
export interface PoisonMessage {
  id: string;
  insertedOn: string | undefined;
  dequeueCount: number;
  /** The message as the trigger reads it (base64 decoded when it was base64). */
  text: string;
}

export interface PoisonQueues {
  /** How many messages wait, and the first ones (at most 32, Azure's peek limit). */
  peek(queue: string): Promise<{ count: number; messages: PoisonMessage[] }>;
  /** Sends the messages (all, or those of `ids`) back to `queue`; answers the IDs sent back. */
  replay(queue: string, ids?: ReadonlySet<string>): Promise<string[]>;
}

/** How long a message being replayed stays hidden from other readers. */
const leaseSeconds = 60;

export function createPoisonQueues(connection: StorageConnection): PoisonQueues {
  return {
    async peek(queue) {
      const poison = queueClient(connection, `${queue}-poison`);
      if (!(await poison.exists())) return { count: 0, messages: [] };
      const [properties, peeked] = await Promise.all([
        poison.getProperties(),
        poison.peekMessages({ numberOfMessages: 32 }),
      ]);
      const messages = peeked.peekedMessageItems.map((m) => ({
        id: m.messageId,
        insertedOn: m.insertedOn?.toISOString(),
        dequeueCount: m.dequeueCount,
        text: decoded(m.messageText),
      }));
      return { count: Math.max(properties.approximateMessagesCount ?? 0, messages.length), messages };
    },
    async replay(queue, ids) {
      const poison = queueClient(connection, `${queue}-poison`);
      if (!(await poison.exists())) return [];
      const target = queueClient(connection, queue);
      await target.createIfNotExists();
      const replayed: string[] = [];
      const skipped: { id: string; popReceipt: string }[] = [];
      for (;;) {
        const { receivedMessageItems: batch } = await poison.receiveMessages({
          numberOfMessages: 32,
          visibilityTimeout: leaseSeconds,
        });
        if (batch.length === 0) break;
        for (const message of batch) {
          if (ids && !ids.has(message.messageId)) {
            skipped.push({ id: message.messageId, popReceipt: message.popReceipt });
            continue;
          }
          // Sent before it is deleted: a crash between leaves a copy in both, never in neither.
          await target.sendMessage(message.messageText);
          await poison.deleteMessage(message.messageId, message.popReceipt);
          replayed.push(message.messageId);
        }
      }
      // The ones not asked for are visible again at once, for the next look.
      for (const { id, popReceipt } of skipped) await poison.updateMessage(id, popReceipt, undefined, 0);
      return replayed;
    },
  };
}

/** Our messages are base64 text (the Functions queue encoding): shown decoded when they are, as stored otherwise. */
function decoded(text: string): string {
  const bytes = Buffer.from(text, "base64");
  const utf8 = bytes.toString("utf8");
  const isBase64 = text.length > 0 && bytes.toString("base64") === text;
  return isBase64 && !utf8.includes("\uFFFD") ? utf8 : text;
}
