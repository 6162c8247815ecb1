import { z } from "zod";
import { importRow } from "../../src/app/csvImport";
import type { PalPorts } from "../../src/app/palLinks";
import type { JobResult } from "../../src/domain/job";
import { palPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const importCsvRowName = "importCsvRow";

export const importCsvRowInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    /** The row: the job's item at this index. */
    item: z.number().int().nonnegative(),
  })
  .strict();
export type ImportCsvRowInput = z.infer<typeof importCsvRowInput>;

/** Imports one valid row of a CSV import and records its result (src/app/csvImport.ts `importRow`). */
export const importCsvRow = defineActivity({
  name: importCsvRowName,
  input: importCsvRowInput,
  handler: (input, ports: PalPorts, workflows): Promise<JobResult> => importRow(ports, workflows, input),
  ports: palPorts,
  // A DPOR row starts its request workflow.
  usesWorkflows: true,
});
