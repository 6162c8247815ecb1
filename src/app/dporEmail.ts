import { renderDporEmail } from "../domain/dporEmail";
import { NonRetriableError } from "../domain/errors";
import type { OutboxKey, OutboxMessage } from "../domain/outboxMessage";
import type { Store } from "../store/store";
import { deliverOnce, type DeliveryResult, type OutboxDeliveryPorts } from "./outboxDelivery";

/** What the DPOR request workflow asks for: the request (reminder 0) or the n-th reminder. */
export interface DporEmailRequest {
  associationId: string;
  partnerId: string;
  /** The orchestration's time when it asked: the outbox row's `createdAt`. */
  at: string;
  /** 0: the request; n ≥ 1: the n-th reminder. */
  reminder: number;
  /** When the request lapses, named in the email. */
  expiresAt: string;
}

export interface SendDporEmailPorts extends OutboxDeliveryPorts {
  store: Pick<Store, "associations" | "partners" | "outbox">;
  /** The service's sender address (settings.email.from). */
  from: string;
}

/**
 * Emails the customer contact the DPOR request, or one of its reminders, once each (one outbox row
 * per association, kind and sequence; delivered at least once until sent). Replies go to the
 * partner's contact.
 */
export function dporEmailSender(ports: SendDporEmailPorts) {
  const { store } = ports;

  return (input: DporEmailRequest): Promise<DeliveryResult> =>
    deliverOnce(ports, keyOf(input), () => compose(input));

  async function compose(input: DporEmailRequest): Promise<OutboxMessage> {
    const [association, partner] = await Promise.all([
      store.associations.get(input.partnerId, input.associationId),
      store.partners.get(input.partnerId),
    ]);
    const request = association.value.request;
    if (request.type !== "dpor")
      throw new NonRetriableError(`association ${input.associationId} is not a DPOR request`);
    const email = renderDporEmail({
      association: association.value,
      partnerName: partner.name,
      reminder: input.reminder,
      expiresAt: input.expiresAt,
    });
    return {
      ...keyOf(input),
      to: request.customerContact.email,
      from: ports.from,
      // The customer's questions go to the partner, not to the service's consent inbox.
      replyTo: request.partnerContact.email,
      ...email,
      createdAt: input.at,
      status: "pending",
    };
  }
}

function keyOf(input: DporEmailRequest): OutboxKey & Pick<OutboxMessage, "kind"> {
  const { partnerId, associationId } = input;
  return input.reminder === 0
    ? { partnerId, associationId, kind: "dpor-request" }
    : { partnerId, associationId, kind: "dpor-reminder", sequence: input.reminder };
}
