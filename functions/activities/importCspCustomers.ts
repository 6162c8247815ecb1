import { z } from "zod";
import {
  cspCustomerRef,
  cspImportBatchSize,
  cspModel,
  importCspCustomers as importBatch,
  type CspImportPorts,
} from "../../src/app/cspImport";
import { appPorts, getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const importCspCustomersName = "importCspCustomers";

export const importCspCustomersInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    at: z.iso.datetime(),
    model: cspModel,
    customers: z.array(cspCustomerRef).min(1).max(cspImportBatchSize),
  })
  .strict();
export type ImportCspCustomersInput = z.infer<typeof importCspCustomersInput>;

/**
 * Creates or updates the CSP association of each customer in the batch (its subscriptions read
 * from Partner Center) and records each one's outcome; answers how many were handled. Idempotent:
 * a retried batch finds its own associations, and each customer's first recorded outcome stands.
 */
export const importCspCustomers = defineActivity({
  name: importCspCustomersName,
  input: importCspCustomersInput,
  handler: async (input, ports: CspImportPorts) => (await importBatch(ports, input)).length,
  ports: () => ({ ...appPorts(), partnerCenter: getPorts().partnerCenter }),
});
