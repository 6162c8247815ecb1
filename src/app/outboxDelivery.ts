import { ConcurrencyError, NotFoundError } from "../domain/errors";
import type { OutboxKey, OutboxMessage } from "../domain/outboxMessage";
import { erasedEmail } from "../domain/personalData";
import type { EmailMessage, EmailSender } from "../integrations/email/emailSender";
import type { Versioned } from "../store/entityCodec";
import type { Store } from "../store/store";

export interface OutboxDeliveryPorts {
  store: Pick<Store, "outbox">;
  sender: EmailSender;
  /** The wall clock, for `sentAt`; the real one by default. */
  clock?: (() => Date) | undefined;
}

/**
 * "sent": this call delivered the email; "already-sent": an earlier call did; "erased": the
 * recipient's address was erased (the customer's personal data), so nothing is sent, ever.
 */
export type DeliveryResult = "sent" | "already-sent" | "erased";

/**
 * Sends the message `key` names once: its outbox row is the guard. The row is composed and inserted
 * once (the first insert wins; what it says is what the customer gets, however often this runs),
 * then delivered:
 *
 * - row `sent`: nothing to do;
 * - row `pending` or `failed`: send the stored message, then mark it `sent` (or `failed`, and throw
 *   so the workflow's retry policy runs this again).
 *
 * This is at-least-once delivery, chosen on purpose. A crash after the provider accepted the message
 * but before `markSent` leaves the row `pending`, and the retry sends it a second time. The
 * at-most-once alternative (never resend a `pending` row) would, after the same crash or a failed
 * send, leave a customer who was never told while a window runs against them: a duplicate of the
 * same message is the cheaper failure. (Two runs at the same moment, a redelivered work item, can
 * likewise both find the row `pending` and both send.)
 */
export async function deliverOnce(
  ports: OutboxDeliveryPorts,
  key: OutboxKey,
  compose: () => Promise<OutboxMessage>,
): Promise<DeliveryResult> {
  const { store } = ports;
  let row = await findRow(store, key);
  if (!row) {
    await store.outbox.insertOnce(await compose()); // false: a concurrent run inserted it first
    row = await getRow(store, key);
  }
  if (row.value.status === "sent") return "already-sent";
  if (row.value.to === erasedEmail) {
    if (row.value.status !== "failed")
      await store.outbox.markFailed(row, "the recipient's address was erased");
    return "erased";
  }
  await deliver(ports, key, row);
  return "sent";
}

const getRow = (store: OutboxDeliveryPorts["store"], key: OutboxKey) =>
  store.outbox.get(key.partnerId, key.associationId, key.kind, key.sequence);

async function findRow(store: OutboxDeliveryPorts["store"], key: OutboxKey) {
  try {
    return await getRow(store, key);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

async function deliver(ports: OutboxDeliveryPorts, key: OutboxKey, row: Versioned<OutboxMessage>) {
  const { store } = ports;
  let outcome: { providerMessageId?: string };
  try {
    outcome = await ports.sender.send(messageOf(row.value));
  } catch (err) {
    try {
      await store.outbox.markFailed(row, err instanceof Error ? err.message : String(err));
    } catch {
      // The row stays `pending`, which a retry sends again just the same.
    }
    throw err;
  }
  const sent = { at: (ports.clock ?? (() => new Date()))().toISOString(), ...outcome };
  try {
    await store.outbox.markSent(row, sent);
  } catch (err) {
    if (!(err instanceof ConcurrencyError)) throw err;
    // Someone touched the row meanwhile (a concurrent run): record our delivery on the latest version.
    const latest = await getRow(store, key);
    if (latest.value.status !== "sent") await store.outbox.markSent(latest, sent);
  }
}

function messageOf(row: OutboxMessage): EmailMessage {
  return {
    to: row.to,
    from: row.from,
    ...(row.replyTo ? { replyTo: row.replyTo } : {}),
    subject: row.subject,
    text: row.text,
    html: row.html,
  };
}
