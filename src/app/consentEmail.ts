import type { ConsentLinks } from "../auth/consentToken";
import { renderConsentEmail } from "../domain/consentEmail";
import { ConcurrencyError, NonRetriableError, NotFoundError } from "../domain/errors";
import type { OutboxMessage } from "../domain/outboxMessage";
import type { EmailMessage, EmailSender } from "../integrations/email/emailSender";
import type { Versioned } from "../store/entityCodec";
import type { Store } from "../store/store";

/** What the workflow asks for: the association, the orchestration's time, the refusal deadline to name. */
export interface ConsentEmailRequest {
  associationId: string;
  partnerId: string;
  /** The orchestration's time when it asked for the email: the outbox row's `createdAt`. */
  at: string;
  /** The earliest the refusal window can close; the email names it as the date to refuse by. */
  refusalWindowEndsAt?: string | undefined;
}

export interface SendConsentEmailPorts {
  store: Pick<Store, "associations" | "partners" | "outbox">;
  sender: EmailSender;
  /** Signed consent links; this use case only asks for one. */
  links: ConsentLinks;
  /** The service's sender address (settings.email.from). */
  from: string;
  /** Where the customer's replies go (the inbound-email address), when there is one. */
  replyTo?: string | undefined;
  /** The wall clock, for `sentAt`; the real one by default. */
  clock?: () => Date;
}

/** "sent": this call delivered the email; "already-sent": an earlier call did. */
export type SendConsentEmailResult = "sent" | "already-sent";

/**
 * Emails the customer the consent message for one association: one outbox row per association
 * and kind ("consent") is the guard. The row is rendered and inserted once (the first insert wins;
 * the link in it is the one the customer gets, however often this runs), then delivered:
 *
 * - row `sent`: nothing to do;
 * - row `pending` or `failed`: send the stored message, then mark it `sent` (or `failed`, and throw
 *   so the orchestrator's retry policy runs this again).
 *
 * This is at-least-once delivery, chosen on purpose. A crash after the provider accepted the message
 * but before `markSent` leaves the row `pending`, and the retry sends it a second time. The
 * at-most-once alternative (never resend a `pending` row) would, after the same crash or a failed
 * send, leave a customer who was never told, while the refusal window runs and the claim is
 * approved in their name: the one outcome domain.md's consent rule exists to prevent. A duplicate
 * of the same message, with the same link, is the cheaper failure. (Two runs at the same moment, a
 * redelivered work item, can likewise both find the row `pending` and both send.)
 */
export function consentEmailSender(ports: SendConsentEmailPorts) {
  const { store, sender } = ports;
  const clock = ports.clock ?? (() => new Date());

  return async (input: ConsentEmailRequest): Promise<SendConsentEmailResult> => {
    let row = await findRow(input);
    if (!row) {
      await store.outbox.insertOnce(await compose(input)); // false: a concurrent run inserted it first
      row = await store.outbox.get(input.partnerId, input.associationId, "consent");
    }
    if (row.value.status === "sent") return "already-sent";
    await deliver(row);
    return "sent";
  };

  async function findRow(input: ConsentEmailRequest) {
    try {
      return await store.outbox.get(input.partnerId, input.associationId, "consent");
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async function compose(input: ConsentEmailRequest): Promise<OutboxMessage> {
    const [association, partner] = await Promise.all([
      store.associations.get(input.partnerId, input.associationId),
      store.partners.get(input.partnerId),
    ]);
    const request = association.value.request;
    if (request.type !== "cpor")
      throw new NonRetriableError(`association ${input.associationId} is not a CPOR claim`);
    const consentUrl = ports.links.consentUrl(input.associationId, input.partnerId);
    const email = renderConsentEmail({
      association: association.value,
      partnerName: partner.name,
      consentUrl,
      submittedAt: input.at,
      refusalWindowEndsAt: input.refusalWindowEndsAt,
    });
    return {
      partnerId: input.partnerId,
      associationId: input.associationId,
      kind: "consent",
      to: request.customerContact.email,
      from: ports.from,
      ...(ports.replyTo ? { replyTo: ports.replyTo } : {}),
      ...email,
      createdAt: input.at,
      status: "pending",
    };
  }

  async function deliver(row: Versioned<OutboxMessage>): Promise<void> {
    let outcome: { providerMessageId?: string };
    try {
      outcome = await sender.send(messageOf(row.value));
    } catch (err) {
      try {
        await store.outbox.markFailed(row, err instanceof Error ? err.message : String(err));
      } catch {
        // The row stays `pending`, which a retry sends again just the same.
      }
      throw err;
    }
    const sent = { at: clock().toISOString(), ...outcome };
    try {
      await store.outbox.markSent(row, sent);
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      // Someone touched the row meanwhile (a concurrent run): record our delivery on the latest version.
      const latest = await store.outbox.get(row.value.partnerId, row.value.associationId, "consent");
      if (latest.value.status !== "sent") await store.outbox.markSent(latest, sent);
    }
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
