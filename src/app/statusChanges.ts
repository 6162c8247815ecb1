import type { Association, StatusChangeRecord } from "../domain/association";
import { statusChangedEvent, type AuditEvent } from "../domain/auditEvent";
import type { AssociationStatus, Actor } from "../domain/status";
import { claimPartitionOf } from "../domain/units";
import { holdsUnit, machineOf, rejectionTarget, transition } from "../domain/statusMachine";
import {
  statusChangedType,
  type WebhookEvent,
  type WebhookQueue,
} from "../integrations/webhooks/webhookQueue";
import { retryOnConcurrency } from "../store/retry";
import type { Store } from "../store/store";

/** What a status change needs: the association, its units, its timeline, the partner's webhook. */
export interface StatusPorts {
  store: Pick<Store, "associations" | "auditEvents" | "claims">;
  /** Where each change goes to be POSTed to the partner; absent = no webhooks (tests of the use case alone). */
  webhooks?: WebhookQueue | undefined;
}

/**
 * One change of an association's status. `changeId` is chosen by the caller before the first
 * attempt and is the same on every retry (a workflow's `newGuid`, a digest of the partner's
 * Idempotency-Key, a customer message's ID): it is how a retry recognises its own earlier write.
 */
export interface StatusChange {
  partnerId: string;
  associationId: string;
  to: AssociationStatus;
  actor: Actor;
  reason: string;
  changeId: string;
  at: string;
  /**
   * Apply only while the association is in one of these statuses; otherwise leave it as it is and
   * answer `applied: false` (a workflow's timed move that lost the race to a decision).
   */
  onlyFrom?: readonly AssociationStatus[];
  /** Small facts kept with the timeline entry (the reviewer's reasons). */
  data?: Record<string, unknown>;
  /** Other fields the same write sets (the dispute's date, the review outcome). */
  alsoSet?: (current: Association) => Partial<Association>;
}

export interface StatusChangeResult {
  association: Association;
  /** False when `onlyFrom` did not match: nothing was changed. */
  applied: boolean;
}

/**
 * The only code that changes an association's status (docs/architecture.md). In order:
 * 1. a change already applied (the association's `lastChange`, or its entry on the timeline) is
 *    finished, not applied again: its effects are repeated (they are idempotent) and it answers as
 *    it did;
 * 2. the move is checked with the status machine (IllegalTransitionError, HTTP 409, naming the
 *    current status and the allowed moves); a rejection after a dispute lands in RejectedFinal;
 * 3. a move into a unit-holding status from one that holds none (a dispute) claims the units first,
 *    all or nothing: a unit another partner took meanwhile is a ConflictError naming the unit, and
 *    nothing changes;
 * 4. the association is written with its ETag, the change kept in it as `lastChange` (a lost ETag
 *    race reads again and starts over, bounded);
 * 5. the effects: the timeline entry (eventId = changeId), the partner's webhook, and the release of
 *    the units when the new status holds none.
 * A crash anywhere leaves something the next attempt finishes: the units of a failed claim are
 * released again when the stored status holds none, and an unfinished `lastChange` is finished by
 * the next change of the same association before it applies its own.
 */
export async function applyStatusChange(
  ports: StatusPorts,
  change: StatusChange,
): Promise<StatusChangeResult> {
  try {
    return await retryOnConcurrency(() => attempt(ports, change), { attempts: 8 });
  } catch (err) {
    // A claim made in step 3 must not outlive a change that did not happen.
    const found = await ports.store.associations.find(change.partnerId, change.associationId);
    if (found) await releaseIfFree(ports, found.value);
    throw err;
  }
}

/** Reasons are kept whole up to this length (the timeline's limit); longer ones are cut. */
const maxReasonLength = 4000;

/**
 * A reason as the timeline keeps it. Reasons may carry a customer's own words (a form, an email
 * reply): control characters become spaces and broken UTF-16 is repaired, so what a customer typed
 * can never make a decision fail to apply.
 */
function cleanReason(reason: string): string {
  return reason
    .slice(0, maxReasonLength) // before the repair: a cut may split a surrogate pair
    .replace(/[^\P{Cc}\t\n\r]/gu, " ")
    .replace(/\p{Cs}/gu, "\uFFFD");
}

async function attempt(ports: StatusPorts, change: StatusChange): Promise<StatusChangeResult> {
  const { store } = ports;
  const { value: current, etag } = await store.associations.get(change.partnerId, change.associationId);
  if (current.lastChange?.id === change.changeId) {
    await finishEffects(ports, current, current.lastChange);
    return { association: current, applied: true };
  }
  const earlier = await store.auditEvents.find(current.id, change.changeId);
  if (earlier) {
    // Applied long ago and moved on since: only the webhook may still be owed.
    const record = recordOf(earlier);
    if (record) await ports.webhooks?.enqueue(webhookEventOf(current, record));
    return { association: current, applied: true };
  }
  if (current.lastChange) await finishIfUnrecorded(ports, current, current.lastChange);
  if (change.onlyFrom && !change.onlyFrom.includes(current.status)) {
    await releaseIfFree(ports, current); // an earlier attempt may have claimed before losing the race
    return { association: current, applied: false };
  }

  const to = rejectionTarget(change.to, current.disputedAt);
  const reason = cleanReason(change.reason);
  const moved = transition(
    current.status,
    to,
    { actor: change.actor, reason, at: change.at },
    machineOf(current.kind),
  );
  if (!holdsUnit(current.status) && holdsUnit(to) && current.units.length > 0)
    await store.claims.claim(claimPartitionOf(current.customerTenantId, current.request), current.units, {
      partnerId: current.partnerId,
      associationId: current.id,
      claimedAt: change.at,
    });
  const record: StatusChangeRecord = {
    id: change.changeId,
    ...moved,
    ...(change.data ? { data: change.data } : {}),
  };
  const next: Association = {
    ...current,
    ...change.alsoSet?.(current),
    status: to,
    updatedAt: change.at,
    statusChangedAt: change.at,
    lastChangeId: change.changeId,
    lastChange: record,
  };
  await store.associations.replace(next, etag);
  await finishEffects(ports, next, record);
  return { association: next, applied: true };
}

/** Timeline entry, webhook and unit release of an applied change; each is idempotent. */
async function finishEffects(ports: StatusPorts, association: Association, record: StatusChangeRecord) {
  await ports.store.auditEvents.append(statusChangedEvent(association, record));
  await ports.webhooks?.enqueue(webhookEventOf(association, record));
  await releaseIfFree(ports, association);
}

/** The previous change's effects, when its timeline entry shows a crash came before them. */
async function finishIfUnrecorded(ports: StatusPorts, association: Association, record: StatusChangeRecord) {
  if (await ports.store.auditEvents.find(association.id, record.id)) return;
  await finishEffects(ports, association, record);
}

/**
 * Frees the association's units when its *current* status no longer holds them: a late duplicate
 * of an old change must not free units a later status (a dispute) claimed again.
 */
async function releaseIfFree(ports: StatusPorts, association: Association) {
  if (holdsUnit(association.status) || association.units.length === 0) return;
  await ports.store.claims.release(
    claimPartitionOf(association.customerTenantId, association.request),
    association.units,
    association.id,
  );
}

/** The change as read back from its timeline entry (entries of other kinds are not changes). */
function recordOf(event: AuditEvent): StatusChangeRecord | undefined {
  if (event.kind !== "status-changed" || !event.from || !event.to) return undefined;
  return {
    id: event.eventId,
    from: event.from,
    to: event.to,
    actor: event.actor,
    reason: event.reason,
    at: event.at,
  };
}

/** The change as the partner's webhook receives it; its eventId is the change's, like the timeline's. */
function webhookEventOf(association: Association, record: StatusChangeRecord): WebhookEvent {
  return {
    eventId: record.id,
    partnerId: association.partnerId,
    associationId: association.id,
    type: statusChangedType,
    from: record.from,
    to: record.to,
    actor: record.actor,
    reason: record.reason,
    at: record.at,
  };
}
