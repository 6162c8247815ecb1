import type { Association } from "../domain/association";
import { statusChangedEvent, type AuditEvent } from "../domain/auditEvent";
import { claimGuidance, type GuidanceDurations } from "../domain/partnerCenter";

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
    ...(timeline ? { timeline: withLastChange(timeline, a).map(timelineEntry) } : {}),
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
