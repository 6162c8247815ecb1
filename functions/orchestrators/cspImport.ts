import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  cspCustomersStep,
  cspImportBatchSize,
  cspImportInput,
  cspImportOrchestratorName,
  cspModelStep,
  type CspCustomerRef,
  type CspImportInput,
  type CspModel,
} from "../../src/app/cspImport";
import {
  endMissingCspCustomersName,
  type EndMissingCspCustomersInput,
} from "../activities/endMissingCspCustomers";
import { finishJobName, type FinishJobInput } from "../activities/finishJob";
import { importCspCustomersName, type ImportCspCustomersInput } from "../activities/importCspCustomers";
import { readCspCustomersName, type ReadCspCustomersInput } from "../activities/readCspCustomers";
import { readCspModelName, type ReadCspModelInput } from "../activities/readCspModel";
import { activityRetry } from "./associationLifecycle";

export const cspImportName = cspImportOrchestratorName;

/** Pages one import follows at most: a customer list that never ends is a fault. */
export const maxCspPages = 5_000;

type Input = ReturnType<typeof cspImportInput.parse>;

/** What one execution ends with: another page to read, or the job's end (with the reason it failed). */
type Step = { continued: true } | { continued: false; error: string | undefined };

/**
 * Imports a partner's CSP customers from Partner Center (instance ID = job ID), one page of the
 * customer list per execution:
 *
 *   readCspModel (first execution only)
 *     └▶ readCspCustomers(page) ─▶ importCspCustomers × ⌈page / batch⌉ (in parallel)
 *          ├─ a next page: continueAsNew (with the model, the continuation, the count so far)
 *          └─ the last page: endMissingCspCustomers ─▶ finishJob (Completed)
 *
 * Partner Center refusing the app (a wrong secret, no access) comes back from a read as
 * `{ok: false, error}` and ends the job Failed with that reason at once; an activity that still
 * fails after its retries ends it Failed with the activity's message (first line only). Nothing is
 * ended unless every page was imported. The input carries IDs, the import's time, the model and a
 * continuation, never a secret; each execution's history holds one page.
 * Deterministic: time from `currentUtcDateTime`, no I/O.
 */
export const cspImport: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = cspImportInput.parse(context.df.getInput());
  const at = input.at ?? context.df.currentUtcDateTime.toISOString();
  let step: Step;
  try {
    step = yield* importPage(context, input, at);
  } catch (err) {
    step = { continued: false, error: `the import stopped: ${firstLine(err)}` };
  }
  if (step.continued) return undefined;
  const finish: FinishJobInput = {
    partnerId: input.partnerId,
    jobId: input.jobId,
    at: context.df.currentUtcDateTime.toISOString(),
    ...(step.error === undefined ? {} : { error: step.error }),
  };
  yield context.df.callActivityWithRetry(finishJobName, activityRetry, finish);
  return step.error === undefined ? "Completed" : "Failed";
};

function* importPage(
  context: OrchestrationContext,
  input: Input,
  at: string,
): Generator<Task, Step, unknown> {
  const ids = { partnerId: input.partnerId, jobId: input.jobId };
  let model: CspModel | undefined = input.model;
  if (!model) {
    const read: ReadCspModelInput = { partnerId: input.partnerId };
    const answer = cspModelStep.parse(
      yield context.df.callActivityWithRetry(readCspModelName, activityRetry, read),
    );
    if (!answer.ok) return { continued: false, error: answer.error };
    model = answer.model;
  }
  if (input.pages >= maxCspPages)
    return { continued: false, error: `Partner Center's customer list has over ${maxCspPages} pages` };

  const read: ReadCspCustomersInput = {
    ...ids,
    index: input.index,
    ...(input.next ? { next: input.next } : {}),
  };
  const page = cspCustomersStep.parse(
    yield context.df.callActivityWithRetry(readCspCustomersName, activityRetry, read),
  );
  if (!page.ok) return { continued: false, error: page.error };
  const imports = batches(page.customers).map((customers) => {
    const batch: ImportCspCustomersInput = { ...ids, at, model, customers };
    return context.df.callActivityWithRetry(importCspCustomersName, activityRetry, batch);
  });
  if (imports.length > 0) yield context.df.Task.all(imports);

  const index = input.index + page.customers.length;
  if (page.next) {
    const next: CspImportInput = { ...ids, at, model, next: page.next, index, pages: input.pages + 1 };
    context.df.continueAsNew(next);
    return { continued: true };
  }
  const end: EndMissingCspCustomersInput = { ...ids, at, firstIndex: index };
  yield context.df.callActivityWithRetry(endMissingCspCustomersName, activityRetry, end);
  return { continued: false, error: undefined };
}

function batches(customers: readonly CspCustomerRef[]): CspCustomerRef[][] {
  const all: CspCustomerRef[][] = [];
  for (let i = 0; i < customers.length; i += cspImportBatchSize)
    all.push(customers.slice(i, i + cspImportBatchSize));
  return all;
}

/** A failed activity's message, first line only (Durable appends details and stacks), kept short. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split("\n")[0] ?? "").trim().slice(0, 500);
}

df.app.orchestration(cspImportName, cspImport);
