import { randomUUID } from "node:crypto";
import type { Association } from "../../src/domain/association";
import type { CreateCporInput } from "../../src/domain/schemas/createAssociation";
import type { PoeSubmission } from "../../src/domain/schemas/poeSubmission";
import type { WebhookEvent } from "../../src/integrations/webhooks/webhookQueue";

/** A valid CPOR OSU request; override what a test is about. */
export function cporRequest(overrides: Partial<CreateCporInput> = {}): CreateCporInput {
  return {
    type: "cpor",
    engagement: "osu",
    partnerLocationId: "4871234",
    customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
    customerDomain: "contoso.onmicrosoft.com",
    workloads: ["teams", "exchange"],
    servicesInScope: "Teams rollout, adoption workshops and Exchange migration.",
    customerContact: { name: "Megan Bowen", title: "IT Director", email: "megan@contoso.com" },
    partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
    claimName: "Contoso modern work",
    ...overrides,
  };
}

/**
 * A sound proof of execution for `cporRequest()`'s workloads, signed today (a PDF, by its bytes),
 * as the partner API takes it; override what a test is about.
 */
export function poeSubmissionFor(overrides: Partial<PoeSubmission> = {}): PoeSubmission {
  return {
    documentName: "statement-of-work.pdf",
    documentBase64: Buffer.from("%PDF-1.4 signed statement of work").toString("base64"),
    customerSignerName: "Megan Bowen",
    customerSignerEmail: "megan@contoso.com",
    signedDate: new Date().toISOString().slice(0, 10),
    servicesDescription: "Teams rollout and Exchange migration, with adoption workshops.",
    workloads: ["teams", "exchange"],
    ...overrides,
  };
}

/** A Draft association for `partnerId`, as the create handler would store it. */
export function draftAssociation(partnerId: string, overrides: Partial<Association> = {}): Association {
  const request = cporRequest();
  const at = "2026-11-01T10:00:00.000Z";
  return {
    id: randomUUID(),
    partnerId,
    kind: "cpor-osu-modern-work-security",
    status: "Draft",
    customerTenantId: request.customerTenantId,
    units: ["workload:teams", "workload:exchange"],
    request,
    createdAt: at,
    updatedAt: at,
    statusChangedAt: at,
    ...overrides,
  };
}

/** A status change as the partner-webhooks queue carries it (UnderReview → Approved, now). */
export function statusChangedEvent(partnerId: string, overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  return {
    eventId: randomUUID(),
    partnerId,
    associationId: randomUUID(),
    type: "association.status_changed",
    from: "UnderReview",
    to: "Approved",
    actor: "system",
    reason: "refusal window passed",
    at: new Date().toISOString(),
    ...overrides,
  };
}
