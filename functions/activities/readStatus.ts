import { z } from "zod";
import type { Store } from "../../src/store/store";
import type { AssociationStatus } from "../../src/domain/status";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const readStatusName = "readStatus";

export const readStatusInput = z
  .object({ associationId: z.string().min(1).max(64), partnerId: z.string().min(1).max(64) })
  .strict();
export type ReadStatusInput = z.infer<typeof readStatusInput>;

/**
 * The association's status as stored: how the workflow learns where a decision applied outside it
 * (StatusChanged) left the association, whatever order such events arrive in.
 */
export const readStatus = defineActivity({
  name: readStatusName,
  input: readStatusInput,
  handler: async (input, ports: { store: Pick<Store, "associations"> }): Promise<AssociationStatus> =>
    (await ports.store.associations.get(input.partnerId, input.associationId)).value.status,
  ports: () => ({ store: getPorts().store }),
});
