import type { z } from "zod";
import {
  ConflictError,
  DependencyRefusedError,
  NonRetriableError,
  TransientDependencyError,
  ValidationError,
} from "../domain/errors";
import type { Job, JobKind, JobResult } from "../domain/job";
import type { Store } from "../store/store";
import type { Workflows } from "./lifecycle";

/** What the job use cases need. */
export interface JobPorts {
  store: Pick<Store, "jobs">;
  clock: () => Date;
}

/**
 * Starts a bulk operation resumably: the job row first (a retry with the same ID finds it), then
 * its orchestration with the job ID as instance ID, unless it was started before. The orchestration
 * records one result per item (`recordJobResult`) and ends with `finishJob`. The items, when given,
 * are stored first (`jobItem` reads one back), so the orchestration's input stays small whatever
 * their number. Inputs and items are kept: never put a secret in clear there (seal it first).
 */
export async function startJob(
  ports: JobPorts,
  workflows: Workflows,
  job: {
    partnerId: string;
    id: string;
    kind: JobKind;
    total: number;
    orchestrator: string;
    input: unknown;
    items?: readonly unknown[];
  },
): Promise<Job> {
  if (job.items) await ports.store.jobs.putItems(job.id, job.items);
  const stored = await ports.store.jobs.createOnce({
    id: job.id,
    partnerId: job.partnerId,
    kind: job.kind,
    status: "Running",
    total: job.total,
    createdAt: ports.clock().toISOString(),
  });
  if ((await workflows.state(job.id)) === undefined)
    await workflows.start(job.orchestrator, job.id, job.input);
  return stored;
}

/** The job's item at `index`, checked with its schema (a stored item that does not fit is a bug: NonRetriableError). */
export async function jobItem<S extends z.ZodType>(
  ports: Pick<JobPorts, "store">,
  jobId: string,
  index: number,
  schema: S,
): Promise<z.output<S>> {
  const parsed = schema.safeParse(await ports.store.jobs.item(jobId, index));
  if (!parsed.success) throw new NonRetriableError(`item ${index} of job ${jobId} does not fit its schema`);
  return parsed.data;
}

/** One item's outcome; recording the same item again keeps the first outcome (activities run at least once). */
export async function recordJobResult(ports: Pick<JobPorts, "store">, jobId: string, result: JobResult) {
  await ports.store.jobs.recordResult(jobId, result);
}

/** Sets the total once it is known (a CSP import learns it from the customer list). */
export async function setJobTotal(
  ports: Pick<JobPorts, "store">,
  partnerId: string,
  jobId: string,
  total: number,
) {
  await ports.store.jobs.update(partnerId, jobId, (current) => ({ ...current, total }));
}

/** Ends the job: Completed, or Failed with the reason (never a secret). Finishing twice changes nothing. */
export async function finishJob(
  ports: Pick<JobPorts, "store">,
  input: { partnerId: string; jobId: string; at: string; error?: string | undefined },
): Promise<Job> {
  return ports.store.jobs.update(input.partnerId, input.jobId, (current) =>
    current.status !== "Running"
      ? current
      : {
          ...current,
          status: input.error === undefined ? "Completed" : "Failed",
          finishedAt: input.at,
          ...(input.error === undefined ? {} : { error: input.error.slice(0, 2000) }),
        },
  );
}

/**
 * An item's failure as its result says it: a rule broken is `invalid` with the fields, a conflict or
 * a refusal (or a dependency still failing after the client's retries) is `failed` with the reason.
 * Anything else (storage) is thrown, so the activity is retried.
 */
export function failureOutcome(err: unknown): Pick<JobResult, "outcome" | "error" | "errors" | "note"> {
  if (err instanceof ValidationError) return { outcome: "invalid", errors: err.issues.slice(0, 50) };
  if (err instanceof ConflictError)
    return {
      outcome: "failed",
      error: err.message.slice(0, 2000),
      ...(err.existingAssociationId ? { note: `existing association ${err.existingAssociationId}` } : {}),
    };
  if (
    err instanceof DependencyRefusedError ||
    err instanceof TransientDependencyError ||
    err instanceof NonRetriableError
  )
    return { outcome: "failed", error: err.message.slice(0, 2000) };
  throw err;
}
