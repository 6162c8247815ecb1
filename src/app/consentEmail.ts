import type { ConsentLinks } from "../auth/consentToken";
import { renderConsentEmail } from "../domain/consentEmail";
import { NonRetriableError } from "../domain/errors";
import type { OutboxMessage } from "../domain/outboxMessage";
import type { Store } from "../store/store";
import { deliverOnce, type DeliveryResult, type OutboxDeliveryPorts } from "./outboxDelivery";

/** What the workflow asks for: the association, the orchestration's time, the refusal deadline to name. */
export interface ConsentEmailRequest {
  associationId: string;
  partnerId: string;
  /** The orchestration's time when it asked for the email: the outbox row's `createdAt`. */
  at: string;
  /** The earliest the refusal window can close; the email names it as the date to refuse by. */
  refusalWindowEndsAt?: string | undefined;
}

export interface SendConsentEmailPorts extends OutboxDeliveryPorts {
  store: Pick<Store, "associations" | "partners" | "outbox">;
  /** Signed consent links; this use case only asks for one. */
  links: ConsentLinks;
  /** The service's sender address (settings.email.from). */
  from: string;
  /** Where the customer's replies go (the inbound-email address), when there is one. */
  replyTo?: string | undefined;
}

export type SendConsentEmailResult = DeliveryResult;

/**
 * Emails the customer the consent message for one association, once (`deliverOnce`: one outbox row
 * per association and kind "consent", delivered at least once until sent).
 */
export function consentEmailSender(ports: SendConsentEmailPorts) {
  const { store } = ports;

  return (input: ConsentEmailRequest): Promise<SendConsentEmailResult> =>
    deliverOnce(
      ports,
      { partnerId: input.partnerId, associationId: input.associationId, kind: "consent" },
      () => compose(input),
    );

  async function compose(input: ConsentEmailRequest): Promise<OutboxMessage> {
    const [association, partner] = await Promise.all([
      store.associations.get(input.partnerId, input.associationId),
      store.partners.get(input.partnerId),
    ]);
    const request = association.value.request;
    if (request.type !== "cpor")
      throw new NonRetriableError(`association ${input.associationId} is not a CPOR claim`);
    const consentUrl = await ports.links.consentUrl(input.associationId, input.partnerId);
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
}
