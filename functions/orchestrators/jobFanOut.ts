import type { OrchestrationContext, Task } from "durable-functions";
import { finishJobName, type FinishJobInput } from "../activities/finishJob";
import { activityRetry } from "./associationLifecycle";

/**
 * A bulk job's body: `activity` once per item (`inputOf(index)`: the item itself is the job's, in
 * storage), `batchSize` at a time (each call records its item's result, so the job's progress shows
 * while it runs), then the job finished: Completed, or Failed with the reason when a call could not
 * record its result after its retries. Answers the status. Deterministic: time from
 * `currentUtcDateTime`, no I/O.
 */
export function* fanOutJob(
  context: OrchestrationContext,
  job: { partnerId: string; jobId: string },
  activity: string,
  count: number,
  inputOf: (index: number) => unknown,
  batchSize: number,
): Generator<Task, "Completed" | "Failed", unknown> {
  let error: string | undefined;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) =>
        context.df.callActivityWithRetry(activity, activityRetry, inputOf(start + i)),
      );
      yield context.df.Task.all(batch);
    }
  } catch (err) {
    error = `the job stopped: ${err instanceof Error ? err.message : String(err)}`;
  }
  const finish: FinishJobInput = {
    partnerId: job.partnerId,
    jobId: job.jobId,
    at: context.df.currentUtcDateTime.toISOString(),
    ...(error ? { error } : {}),
  };
  yield context.df.callActivityWithRetry(finishJobName, activityRetry, finish);
  return error ? "Failed" : "Completed";
}
