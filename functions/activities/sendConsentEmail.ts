import * as df from "durable-functions";
import { z } from "zod";
import { renderConsentEmail } from "../../src/domain/consentEmail";
import { ConcurrencyError, NonRetriableError, NotFoundError, ValidationError } from "../../src/domain/errors";
import type { OutboxMessage } from "../../src/domain/outboxMessage";
import type { Versioned } from "../../src/store/entityCodec";
import type { Store } from "../../src/store/store";
import type { EmailMessage, EmailSender } from "../../src/integrations/email/emailSender";
import { getPorts } from "../composition";

export const sendConsentEmailName = "sendConsentEmail";

export const sendConsentEmailInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    /** The orchestration's time when it asked for the email: the outbox row's `createdAt`. */
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
    /** The earliest the refusal window can close; the email names it as the date to refuse by. */
    refusalWindowEndsAt: z.iso.datetime("must be an ISO 8601 UTC timestamp").optional(),
  })
  .strict();
export type SendConsentEmailInput = z.infer<typeof sendConsentEmailInput>;

/** Signed consent links (src/auth/consentToken.ts builds them); this activity only asks for one. */
export interface ConsentLinks {
  consentUrl(associationId: string, partnerId: string): string;
}

export interface SendConsentEmailPorts {
  store: Pick<Store, "associations" | "partners" | "outbox">;
  sender: EmailSender;
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
export function createSendConsentEmail(ports: SendConsentEmailPorts) {
  const { store, sender } = ports;
  const clock = ports.clock ?? (() => new Date());

  return async (raw: unknown): Promise<SendConsentEmailResult> => {
    const input = parseInput(raw);
    let row = await findRow(input);
    if (!row) {
      await store.outbox.insertOnce(await compose(input)); // false: a concurrent run inserted it first
      row = await store.outbox.get(input.partnerId, input.associationId, "consent");
    }
    if (row.value.status === "sent") return "already-sent";
    await deliver(row);
    return "sent";
  };

  async function findRow(input: SendConsentEmailInput) {
    try {
      return await store.outbox.get(input.partnerId, input.associationId, "consent");
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async function compose(input: SendConsentEmailInput): Promise<OutboxMessage> {
    const [association, partner] = await nonRetriable(() =>
      Promise.all([
        store.associations.get(input.partnerId, input.associationId),
        store.partners.get(input.partnerId),
      ]),
    );
    const request = association.value.request;
    if (request.type !== "cpor")
      throw new NonRetriableError(
        `${sendConsentEmailName}: association ${input.associationId} is not a CPOR claim`,
      );
    const consentUrl = ports.links.consentUrl(input.associationId, input.partnerId);
    const email = await nonRetriable(() =>
      renderConsentEmail({
        association: association.value,
        partnerName: partner.name,
        consentUrl,
        submittedAt: input.at,
        refusalWindowEndsAt: input.refusalWindowEndsAt,
      }),
    );
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

function parseInput(raw: unknown): SendConsentEmailInput {
  const parsed = sendConsentEmailInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new NonRetriableError(`${sendConsentEmailName}: ${new ValidationError(issues).message}`, {
    cause: parsed.error,
  });
}

/** A missing association or partner, or facts the email cannot be built from: no retry fixes them. */
async function nonRetriable<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof NotFoundError)
      throw new NonRetriableError(`${sendConsentEmailName}: ${err.message}`, { cause: err });
    throw err;
  }
}

df.app.activity(sendConsentEmailName, {
  handler: (input: unknown) => {
    const ports = getPorts();
    return createSendConsentEmail({
      store: ports.store,
      sender: ports.emailSender,
      links: ports.links,
      from: ports.settings.email.from,
      replyTo: ports.settings.email.replyTo,
    })(input);
  },
});
