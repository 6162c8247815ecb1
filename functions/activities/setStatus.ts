import { z } from "zod";
import { applyStatusChange, type StatusPorts } from "../../src/app/statusChanges";
import { longText } from "../../src/domain/schemas/primitives";
import { actor, associationStatus, type AssociationStatus } from "../../src/domain/status";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const setStatusName = "setStatus";

/**
 * One status change the workflow decided (a timed move, or the move after the consent email).
 * `changeId` comes from `context.df.newGuid` and `at` from `context.df.currentUtcDateTime`, so every
 * retry and replay asks for the same change. `onlyFrom`: the status the workflow is waiting in; a
 * decision applied meanwhile (the association is no longer there) wins, and nothing is changed.
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
    onlyFrom: z.array(associationStatus).min(1).optional(),
  })
  .strict();
export type SetStatusInput = z.infer<typeof setStatusInput>;

/** Applies the change through `applyStatusChange` and answers the association's status afterwards. */
export const setStatus = defineActivity({
  name: setStatusName,
  input: setStatusInput,
  handler: async (input, ports: StatusPorts): Promise<AssociationStatus> =>
    (await applyStatusChange(ports, input)).association.status,
  ports: () => ({ store: getPorts().store, webhooks: getPorts().webhookQueue }),
});

/** The activity over other ports (tests). */
export const createSetStatus = (ports: StatusPorts) => setStatus.bind(ports);
