import { z } from "zod";
import type { Association, StatusChangeRecord } from "./association";
import { associationStatus, actor } from "./status";

/**
 * One entry of an association's audit trail (its timeline). Every status change is one of these,
 * and so is every other fact a partner or an auditor would ask about later.
 */
export const auditEventKinds = [
  "created",
  "status-changed",
  "poe-submitted",
  "poe-problems",
  "email-sent",
  "unit-released",
  "milestone-reached",
  "milestone-flagged",
  /** TPOR: whether it earns changed (a DPOR of the same partner changed). */
  "eligibility-changed",
  /** PAL: a re-verification, clean or not. */
  "verified",
  /** CSP: an import refreshed what Partner Center shows. */
  "imported",
] as const;

export const auditEvent = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    /** Unique per event and chosen by the writer before writing, so a retried append is a no-op. */
    eventId: z.string().min(1).max(64),
    at: z.iso.datetime(),
    kind: z.enum(auditEventKinds),
    actor,
    reason: z.string().max(4000),
    from: associationStatus.optional(),
    to: associationStatus.optional(),
    /** Small structured facts (the workloads, the milestone); kept well under the property limit. */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type AuditEvent = z.infer<typeof auditEvent>;

/** The timeline entry of one applied status change (its eventId is the change's ID). */
export function statusChangedEvent(
  association: Pick<Association, "id" | "partnerId">,
  change: StatusChangeRecord,
): AuditEvent {
  return {
    associationId: association.id,
    partnerId: association.partnerId,
    eventId: change.id,
    at: change.at,
    kind: "status-changed",
    actor: change.actor,
    reason: change.reason,
    from: change.from,
    to: change.to,
    ...(change.data ? { data: change.data } : {}),
  };
}
