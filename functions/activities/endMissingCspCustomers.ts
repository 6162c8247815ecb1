import { z } from "zod";
import { endMissingCspCustomers as endMissing } from "../../src/app/cspImport";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const endMissingCspCustomersName = "endMissingCspCustomers";

export const endMissingCspCustomersInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    at: z.iso.datetime(),
    /** The number of customers the import listed: results from here on are the ended ones. */
    firstIndex: z.number().int().nonnegative(),
  })
  .strict();
export type EndMissingCspCustomersInput = z.infer<typeof endMissingCspCustomersInput>;

/**
 * Once every customer is imported: Ends the partner's imported CSP associations whose customer the
 * import did not list (never manual ones), records each as `ended`, and sets the job's total.
 */
export const endMissingCspCustomers = defineActivity({
  name: endMissingCspCustomersName,
  input: endMissingCspCustomersInput,
  handler: (input, ports: Parameters<typeof endMissing>[0]) => endMissing(ports, input),
  ports: () => ({ store: getPorts().store, webhooks: getPorts().webhookQueue }),
});
