import { NotFoundError } from "../domain/errors";
import {
  erasedAssociation,
  erasedEmail,
  personalStringsOf,
  redactDeep,
  redactText,
} from "../domain/personalData";
import type { AuditEvent } from "../domain/auditEvent";
import { escapeHtml } from "../domain/emailText";
import type { Store } from "../store/store";

export interface CustomerErasurePorts {
  store: Pick<Store, "associations" | "auditEvents" | "outbox" | "webhookDeliveries">;
  clock: () => Date;
}

/** What an erasure changed: per association the fields replaced, and how many records were rewritten. */
export interface ErasureReport {
  customerTenantId: string;
  erasedAt: string;
  associations: { id: string; fields: string[] }[];
  auditEvents: number;
  outboxMessages: number;
  webhookDeliveries: number;
}

/**
 * Erases the personal data of one customer's people from everything the calling partner keeps
 * about that customer: each association's contact (name, title, email), and every name and email
 * address in its emails (recipient, subject and bodies), its audit trail (reasons and data, PoE
 * signers included) and its webhook deliveries' payloads. IDs, statuses, dates, documents' names
 * and the incentive ledger stay. Safe to run again: what is erased stays erased, and a second run
 * reports nothing new. NotFoundError when the partner has no association with the tenant.
 */
export async function eraseCustomer(
  ports: CustomerErasurePorts,
  partnerId: string,
  customerTenantId: string,
): Promise<ErasureReport> {
  const { store } = ports;
  const associations = await store.associations.listAll(partnerId, { customerTenantId });
  if (associations.length === 0)
    throw new NotFoundError(`no association with customer tenant ${customerTenantId} belongs to the caller`);
  const erasedAt = ports.clock().toISOString();
  const report: ErasureReport = {
    customerTenantId: customerTenantId.toLowerCase(),
    erasedAt,
    associations: [],
    auditEvents: 0,
    outboxMessages: 0,
    webhookDeliveries: 0,
  };
  const personal = [...new Set(associations.flatMap(personalStringsOf))];
  for (const association of associations) {
    const signers = await signersOf(store, association.partnerId, association.id);
    const known = [...personal, ...signers];
    const fields: string[] = [];
    await store.associations.update(partnerId, association.id, (current) => {
      const erased = erasedAssociation(current, erasedAt);
      fields.splice(0, fields.length, ...erased.fields);
      return erased.value;
    });
    report.associations.push({ id: association.id, fields });
    report.auditEvents += await store.auditEvents.rewrite(association.id, (event) =>
      redactEvent(event, known),
    );
    // The HTML bodies carry the names escaped ("O&#39;Brien"): both spellings go.
    const inEmails = [...known, ...known.map(escapeHtml)];
    report.outboxMessages += await store.outbox.rewrite(partnerId, association.id, (message) => ({
      ...message,
      to: erasedEmail,
      subject: redactText(message.subject, inEmails),
      text: redactText(message.text, inEmails),
      html: redactText(message.html, inEmails),
      ...(message.lastError ? { lastError: redactText(message.lastError, inEmails) } : {}),
    }));
    report.webhookDeliveries += await store.webhookDeliveries.rewritePayloads(
      partnerId,
      association.id,
      (payload) => JSON.stringify(redactDeep(JSON.parse(payload) as unknown, known)),
    );
  }
  return report;
}

/** The PoE signers the association's audit trail names (`data.signer` of `poe-submitted`). */
async function signersOf(store: CustomerErasurePorts["store"], partnerId: string, associationId: string) {
  const timeline = await store.auditEvents.timeline(partnerId, associationId);
  return timeline.flatMap((event) => {
    const signer = event.data?.["signer"];
    return typeof signer === "string" && signer.trim() ? [signer] : [];
  });
}

/** An audit event with its reason and data redacted; its ID, kind, actor and time kept. */
function redactEvent(event: AuditEvent, personal: readonly string[]): AuditEvent {
  return {
    ...event,
    reason: redactText(event.reason, personal),
    ...(event.data ? { data: redactDeep(event.data, personal) } : {}),
  };
}
