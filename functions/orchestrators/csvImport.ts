import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { csvImportOrchestratorName } from "../../src/app/csvImport";
import { importJobInput } from "../../src/domain/csvImport";
import { importCsvRowName, type ImportCsvRowInput } from "../activities/importCsvRow";
import { fanOutJob } from "./jobFanOut";

export const csvImportName = csvImportOrchestratorName;

/** Rows imported at once (PAL rows call ARM, DPOR rows start a workflow each). */
export const csvImportBatchSize = 10;

/**
 * Imports the valid rows of a CSV import (instance ID = job ID; the rows are the job's items), a
 * batch at a time; each row's activity records its own result. Invalid rows were recorded before
 * the job started.
 */
export const csvImport: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = importJobInput.parse(context.df.getInput());
  const inputOf = (item: number): ImportCsvRowInput => ({
    partnerId: input.partnerId,
    jobId: input.jobId,
    item,
  });
  return yield* fanOutJob(context, input, importCsvRowName, input.count, inputOf, csvImportBatchSize);
};

df.app.orchestration(csvImportName, csvImport);
