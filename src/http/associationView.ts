import type { Association } from "../domain/association";
import { statusChangedEvent, type AuditEvent } from "../domain/auditEvent";
import { claimGuidance, type GuidanceDurations } from "../domain/partnerCenter";
import { isoDate } from "../domain/schemas/primitives";
import { machineOf } from "../domain/statusMachine";

/**
 * What the API shows of an association: an allow-list of fields (OWASP API3), never the stored
 * entity as it is. The request the partner made is echoed under its own names; `partnerCenterStatus`,
 * `deadline` and `nextAction` say where the claim stands in Partner Center's terms.
 */
export function associationView(
  a: Association,
  durations: GuidanceDurations,
  timeline?: readonly AuditEvent[],
) {
  const { request } = a;
  return {
    id: a.id,
    type: request.type,
    kind: a.kind,
    status: a.status,
    ...claimGuidance(a, durations),
    customerTenantId: a.customerTenantId,
    partnerLocationId: request.partnerLocationId,
    ...("customerDomain" in request && request.customerDomain
      ? { customerDomain: request.customerDomain }
      : {}),
    ...("engagement" in request ? { engagement: request.engagement } : {}),
    ...("workloads" in request && request.workloads ? { workloads: request.workloads } : {}),
    ...("subscriptionId" in request && request.subscriptionId
      ? { subscriptionId: request.subscriptionId }
      : {}),
    ...("servicesInScope" in request ? { servicesInScope: request.servicesInScope } : {}),
    ...("customerContact" in request ? { customerContact: request.customerContact } : {}),
    ...("partnerContact" in request ? { partnerContact: request.partnerContact } : {}),
    ...(request.claimName ? { claimName: request.claimName } : {}),
    ...typeDetails(a),
    units: a.units,
    ...(a.review ? { review: a.review } : {}),
    ...(a.disputedAt ? { disputedAt: a.disputedAt } : {}),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    statusChangedAt: a.statusChangedAt,
    ...(timeline ? timelineParts(a, withLastChange(timeline, a)) : {}),
  };
}

/**
 * What `GET /associations/{id}` adds from the timeline: the timeline itself and, for a claim, its
 * proofs of execution and where the customer's consent stands, summarised so a reader need not
 * reconstruct them (never the documents, their storage names or the consent link).
 */
function timelineParts(a: Association, timeline: readonly AuditEvent[]) {
  return {
    timeline: timeline.map(timelineEntry),
    ...(machineOf(a.kind) === "claim" ? { poeSubmissions: timeline.flatMap(poeSubmissionOf) } : {}),
    ...(a.request.type === "cpor" ? { consent: consentOf(timeline) } : {}),
  };
}

/** The reason `acceptPoe` (src/app/claimActions.ts) writes: `proof of execution "<name>" submitted`. */
const poeReason = /^proof of execution "(.+)" submitted$/s;

/** One accepted proof of execution: its name, size, signer and signing date, and when it came. */
function poeSubmissionOf(e: AuditEvent) {
  if (e.kind !== "poe-submitted") return [];
  const data = e.data ?? {};
  const documentName = poeReason.exec(e.reason)?.[1];
  const { bytes, signer, signedDate } = data;
  return [
    {
      at: e.at,
      ...(documentName ? { documentName } : {}),
      ...(typeof bytes === "number" && Number.isInteger(bytes) && bytes >= 0 ? { bytes } : {}),
      ...(typeof signer === "string" && signer.trim() ? { customerSignerName: signer } : {}),
      ...(typeof signedDate === "string" && isoDate.safeParse(signedDate).success ? { signedDate } : {}),
    },
  ];
}

/**
 * The customer's consent as the timeline shows it: the consent email went out when the workflow
 * moved the submitted claim to UnderReview (it moves only once the email is sent), and the
 * customer's answer is its last decision: a refusal before approval, a cancellation after.
 */
function consentOf(timeline: readonly AuditEvent[]) {
  const changes = timeline.filter((e) => e.kind === "status-changed");
  const sent = changes.find((e) => e.from === "Submitted" && e.to === "UnderReview");
  const answer = changes.filter((e) => e.actor === "customer").at(-1);
  return {
    emailSentAt: sent?.at ?? null,
    customerAnswer: answer
      ? {
          answer: answer.from === "Approved" ? ("cancelled" as const) : ("refused" as const),
          at: answer.at,
          reason: answer.reason,
        }
      : null,
  };
}

/**
 * What each type adds: the PAL link's identity and drift (never its secret), the DPOR's evidence,
 * the CSP relationship as Partner Center shows it, the TPOR's enrollment and whether it earns.
 */
function typeDetails(a: Association) {
  const { request } = a;
  switch (request.type) {
    case "pal": {
      const pal = a.pal;
      return {
        ...("identity" in request ? { identity: request.identity } : { credential: request.credential }),
        ...(pal
          ? {
              source: pal.source,
              ...(pal.objectId ? { objectId: pal.objectId } : {}),
              linkedPartnerId: pal.linkedPartnerId,
              linkedAt: pal.linkedAt,
              lastVerifiedAt: pal.lastVerifiedAt ?? null,
              drift: pal.drift,
              ...(pal.driftDetail ? { driftDetail: pal.driftDetail } : {}),
              ...(pal.replacedPartnerId ? { replacedPartnerId: pal.replacedPartnerId } : {}),
            }
          : {}),
      };
    }
    case "dpor":
      return {
        ...(a.dpor?.evidence
          ? {
              evidence: {
                kind: a.dpor.evidence.kind,
                ...(a.dpor.evidence.note ? { note: a.dpor.evidence.note } : {}),
                ...(a.dpor.evidence.documentName ? { documentName: a.dpor.evidence.documentName } : {}),
              },
            }
          : {}),
        ...(a.dpor?.confirmedAt ? { confirmedAt: a.dpor.confirmedAt } : {}),
      };
    case "csp":
      return {
        model: request.model,
        ...(request.indirectProviderLocationId
          ? { indirectProviderLocationId: request.indirectProviderLocationId }
          : {}),
        ...(a.csp
          ? {
              source: a.csp.source,
              ...(a.csp.companyName ? { companyName: a.csp.companyName } : {}),
              subscriptions: a.csp.subscriptions,
              subscriptionCount: a.csp.subscriptionCount,
              ...(a.csp.lastImportedAt ? { lastImportedAt: a.csp.lastImportedAt } : {}),
            }
          : {}),
      };
    case "tpor":
      return {
        role: request.role,
        enrollmentNumber: request.enrollmentNumber,
        subscriptionIds: a.tpor?.subscriptionIds ?? request.subscriptionIds ?? [],
        ...(a.tpor
          ? { incentiveEligible: a.tpor.incentiveEligible, eligibilityReason: a.tpor.eligibilityReason }
          : {}),
      };
    default:
      return {};
  }
}

/**
 * The timeline as stored, plus the association's last change when its entry is not written yet:
 * the status and the change are one write, the timeline entry follows it, and a reader in between
 * must not see a status the timeline does not explain.
 */
function withLastChange(timeline: readonly AuditEvent[], a: Association): readonly AuditEvent[] {
  const last = a.lastChange;
  if (!last || timeline.some((e) => e.eventId === last.id)) return timeline;
  const pending = statusChangedEvent(a, last);
  return [...timeline, pending].sort((x, y) => x.at.localeCompare(y.at));
}

function timelineEntry(e: AuditEvent) {
  return {
    at: e.at,
    kind: e.kind,
    actor: e.actor,
    reason: e.reason,
    ...(e.from ? { from: e.from } : {}),
    ...(e.to ? { to: e.to } : {}),
    ...(e.kind === "status-changed" && e.data ? { data: e.data } : {}),
  };
}
