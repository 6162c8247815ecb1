import * as df from "durable-functions";
import { z } from "zod";
import type { Association } from "../../src/domain/association";
import type { AuditEvent } from "../../src/domain/auditEvent";
import { NonRetriableError, NotFoundError, ValidationError } from "../../src/domain/errors";
import { longText } from "../../src/domain/schemas/primitives";
import { actor, associationStatus, type AssociationStatus } from "../../src/domain/status";
import { IllegalTransitionError, holdsUnit, transition } from "../../src/domain/statusMachine";
import {
  statusChangedType,
  type WebhookEvent,
  type WebhookQueue,
} from "../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";

export const setStatusName = "setStatus";

/**
 * One status change the orchestrator decided. `changeId` comes from `context.df.newGuid` and `at`
 * from `context.df.currentUtcDateTime`, so every retry and every replay asks for the same change.
 */
export const setStatusInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    to: associationStatus,
    actor,
    reason: longText(),
    changeId: z.string().min(1).max(64),
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type SetStatusInput = z.infer<typeof setStatusInput>;

export interface SetStatusPorts {
  store: Pick<Store, "associations" | "auditEvents" | "claims">;
  /** Where each change goes to be POSTed to the partner; absent = no webhooks (the activity alone, in tests). */
  webhooks?: WebhookQueue;
}

/**
 * Applies one status change, exactly once however often it runs (activities run at least once):
 * 1. the association moves (status machine, ETag-guarded read-modify-write) and records
 *    `lastChangeId`, so a retry after a crash finds the change already applied;
 * 2. the timeline gets the `status-changed` event whose eventId is the changeId (append is
 *    idempotent); a retry that finds the move applied but no event rebuilds `from` from the timeline;
 * 3. the change is enqueued for the partner's webhook (`partner-webhooks`, eventId = changeId);
 * 4. a status that no longer holds the unit releases the association's claims (idempotent too).
 * A change whose event is already on the timeline is finished: nothing is written again, even if
 * the association moved on since (a late duplicate of an old call); only its webhook message is
 * enqueued again, since a crash may have come between the append and the enqueue. Webhooks are at
 * least once: partners drop repeats by eventId.
 *
 * Returns the status the change moved to. An illegal move, a bad input or a missing association
 * cannot succeed on retry: they are thrown as NonRetriableError naming the problem.
 */
export function createSetStatus({ store, webhooks }: SetStatusPorts) {
  return async (raw: unknown): Promise<AssociationStatus> => {
    const input = parseInput(raw);
    const timeline = await nonRetriable(() =>
      store.auditEvents.timeline(input.partnerId, input.associationId),
    );
    const recorded = timeline.findIndex((e) => e.eventId === input.changeId);
    if (recorded >= 0) {
      const from = timeline[recorded]?.from ?? previousStatus(timeline.slice(0, recorded));
      await webhooks?.enqueue(webhookEventOf(input, from));
      const association = await nonRetriable(() =>
        store.associations.get(input.partnerId, input.associationId),
      );
      await releaseIfFree(store, association.value);
      return input.to;
    }

    // `from` of the move this call makes; stays undefined when an earlier attempt already made it.
    const move: { from?: AssociationStatus } = {};
    const updated = await nonRetriable(() =>
      store.associations.update(input.partnerId, input.associationId, (current) => {
        delete move.from; // the callback runs again after a lost ETag race
        if (current.lastChangeId === input.changeId) return current;
        transition(current.status, input.to, { actor: input.actor, reason: input.reason, at: input.at });
        move.from = current.status;
        return {
          ...current,
          status: input.to,
          updatedAt: input.at,
          statusChangedAt: input.at,
          lastChangeId: input.changeId,
        };
      }),
    );

    const from = move.from ?? previousStatus(timeline);
    await store.auditEvents.append(auditEventOf(input, from));
    await webhooks?.enqueue(webhookEventOf(input, from));
    await releaseIfFree(store, updated.value);
    return input.to;
  };
}

function parseInput(raw: unknown): SetStatusInput {
  const parsed = setStatusInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new NonRetriableError(`${setStatusName}: ${new ValidationError(issues).message}`, {
    cause: parsed.error,
  });
}

/** Errors that no retry can fix become NonRetriableError; transient ones pass through unchanged. */
async function nonRetriable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      err instanceof IllegalTransitionError ||
      err instanceof ValidationError ||
      err instanceof NotFoundError
    )
      throw new NonRetriableError(`${setStatusName}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The status before a change that was applied but not yet recorded: the `to` of the latest
 * recorded change, or Draft (every association starts there) when the timeline has none.
 */
function previousStatus(timeline: readonly AuditEvent[]): AssociationStatus {
  return timeline.filter((e) => e.to !== undefined).at(-1)?.to ?? "Draft";
}

function auditEventOf(input: SetStatusInput, from: AssociationStatus): AuditEvent {
  return {
    associationId: input.associationId,
    partnerId: input.partnerId,
    eventId: input.changeId,
    at: input.at,
    kind: "status-changed",
    actor: input.actor,
    reason: input.reason,
    from,
    to: input.to,
  };
}

/** The change as the partner's webhook receives it; its eventId is the change's, like the audit event's. */
function webhookEventOf(input: SetStatusInput, from: AssociationStatus): WebhookEvent {
  return {
    eventId: input.changeId,
    partnerId: input.partnerId,
    associationId: input.associationId,
    type: statusChangedType,
    from,
    to: input.to,
    actor: input.actor,
    reason: input.reason,
    at: input.at,
  };
}

/**
 * Frees the association's units when its *current* status no longer holds them: a late duplicate
 * of an old change must not free units a later status (a dispute) claimed again.
 */
async function releaseIfFree(store: SetStatusPorts["store"], association: Association) {
  if (holdsUnit(association.status) || association.units.length === 0) return;
  await store.claims.release(association.customerTenantId, association.units, association.id);
}

df.app.activity(setStatusName, {
  handler: (input: unknown) => {
    const { store, webhookQueue } = getPorts();
    return createSetStatus({ store, webhooks: webhookQueue })(input);
  },
});
