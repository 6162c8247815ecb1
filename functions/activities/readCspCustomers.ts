import { z } from "zod";
import { cspContinuation, readCspCustomers as readPage } from "../../src/app/cspImport";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const readCspCustomersName = "readCspCustomers";

export const readCspCustomersInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    /** Customers read before this page: the first one's result index. */
    index: z.number().int().nonnegative(),
    /** Partner Center's `links.next` of the previous page; absent for the first. */
    next: cspContinuation.optional(),
  })
  .strict();
export type ReadCspCustomersInput = z.infer<typeof readCspCustomersInput>;

/**
 * One page of the partner's Partner Center customer list, and where the next one is. Reading a
 * page twice is harmless. A refusal no retry can fix is answered as `{ok: false, error}`; a
 * transient failure throws and is retried.
 */
export const readCspCustomers = defineActivity({
  name: readCspCustomersName,
  input: readCspCustomersInput,
  handler: (input, ports: Parameters<typeof readPage>[0]) => readPage(ports, input),
  ports: () => ({ partnerCenter: getPorts().partnerCenter, store: getPorts().store }),
});
