import type { InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { NonRetriableError } from "../src/domain/errors";

/**
 * A queue trigger's message as its schema wants it (text, bytes or already-parsed JSON). Anything
 * else is poison: logged, and a NonRetriableError, so the host's retries end in `<queue>-poison`.
 */
export function readQueueMessage<S extends z.ZodType>(
  schema: S,
  queueEntry: unknown,
  context: InvocationContext,
  names: { tag: string; label: string; poisonQueue: string },
): z.output<S> {
  let raw: unknown = queueEntry;
  if (queueEntry instanceof Uint8Array) raw = Buffer.from(queueEntry).toString("utf8");
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch (err) {
      context.error(`${names.tag}: the queue message is not JSON; it will end in ${names.poisonQueue}`);
      throw new NonRetriableError(`${names.label}: the queue message is not JSON`, { cause: err });
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
      .join("; ");
    context.error(
      `${names.tag}: the queue message does not fit the schema (${issues}); it will end in ${names.poisonQueue}`,
    );
    throw new NonRetriableError(`${names.label}: ${issues}`, { cause: parsed.error });
  }
  return parsed.data;
}
