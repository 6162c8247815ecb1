import { useEffect, useRef, useState } from "preact/hooks";
import { isFailure } from "../../src/domain/job";
import { api } from "./api";
import type { Job, JobItemResult } from "./types";
import "./operations.css";

/**
 * Bulk jobs (a PAL bulk link, a CSV import) as the dashboard watches them: the answer that started
 * one, then `GET /jobs/{id}` about once a second until every item has its result, each result shown
 * as it arrives.
 */

const pollMs = 1000;
/** Reads that may fail in a row (a blip of the network) before the watch gives up and says so. */
const maxMisses = 5;

/** Nothing left to happen: every item has its result (`done + failed = total`), or the job stopped. */
export function isFinished(job: Job): boolean {
  return job.status !== "Running" || (job.total > 0 && job.done + job.failed >= job.total);
}

export interface JobWatch {
  job: Job | null;
  /** Why the latest read failed; the watch goes on until `maxMisses` reads in a row failed. */
  problem: string | null;
}

/**
 * Follows the job `started` (the API's 202 answer; null = none yet) until it is finished, then
 * calls `onFinished` once. A new `started` object starts a new watch; unmounting stops it.
 */
export function useJob(started: Job | null, onFinished?: (job: Job) => void): JobWatch {
  const [watch, setWatch] = useState<JobWatch>({ job: started, problem: null });
  const finished = useRef(onFinished);
  finished.current = onFinished;
  useEffect(() => {
    setWatch({ job: started, problem: null });
    if (!started) return undefined;
    if (isFinished(started)) {
      finished.current?.(started);
      return undefined;
    }
    let stopped = false;
    let misses = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const job = await api<Job>(`/jobs/${encodeURIComponent(started.id)}`);
        if (stopped) return;
        misses = 0;
        setWatch({ job, problem: null });
        if (isFinished(job)) {
          finished.current?.(job);
          return;
        }
      } catch (err) {
        if (stopped) return;
        misses += 1;
        const message = err instanceof Error ? err.message : String(err);
        setWatch((before) => ({
          ...before,
          problem:
            misses < maxMisses ? `${message} (trying again)` : `${message}; reload the page to look again`,
        }));
        if (misses >= maxMisses) return;
      }
      timer = setTimeout(() => void read(), pollMs);
    };
    timer = setTimeout(() => void read(), pollMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [started]);
  return watch;
}

/**
 * A job's progress: a progress bar over its items, the counts (a polite live region), and each
 * item's result as it arrives (the list is live too, so new results are announced), with the
 * association it made or the reason it failed.
 */
export function JobProgress({ watch, title }: { watch: JobWatch; title: string }) {
  const { job, problem } = watch;
  if (!job) return null;
  const handled = job.done + job.failed;
  const over = isFinished(job);
  return (
    <section class="job" aria-labelledby="job-title">
      <h2 id="job-title">{title}</h2>
      <label for="job-progress">
        {handled} of {job.total} handled
      </label>
      {/* No value while the total is unknown: an indeterminate bar. */}
      <progress id="job-progress" max={job.total || 1} value={job.total > 0 ? handled : undefined} />
      <p role="status">{summary(job, over)}</p>
      {problem && <p class="field-error">Could not read the progress: {problem}</p>}
      {job.error && <p class="field-error">The job stopped: {job.error}</p>}
      <ol class="job-results" aria-live="polite" aria-relevant="additions" aria-label="Results">
        {job.results.map((result) => (
          <ResultItem key={result.key} result={result} />
        ))}
      </ol>
    </section>
  );
}

function summary(job: Job, over: boolean): string {
  const counts = `${job.done} succeeded, ${job.failed} failed`;
  if (!over) return `Working: ${job.done + job.failed} of ${job.total} handled (${counts}).`;
  return `Finished: ${counts} of ${job.total}.`;
}

/** One item's result: which item, its outcome, then the association or the reasons. */
function ResultItem({ result }: { result: JobItemResult }) {
  const failed = isFailure(result.outcome);
  const tenant =
    result.customerTenantId && result.customerTenantId !== result.key ? ` (${result.customerTenantId})` : "";
  return (
    <li>
      {result.associationId ? (
        <a href={`/associations/${encodeURIComponent(result.associationId)}`}>{result.key}</a>
      ) : (
        <strong>{result.key}</strong>
      )}
      {tenant}
      <span class={failed ? "badge bad" : "badge ok"}>{result.outcome}</span>
      {result.error && <p class="field-error">{result.error}</p>}
      {result.errors && result.errors.length > 0 && (
        <ul class="field-error">
          {result.errors.map((e) => (
            <li key={e.path}>
              {e.path}: {e.message}
            </li>
          ))}
        </ul>
      )}
      {result.note && <p>{result.note}</p>}
    </li>
  );
}
