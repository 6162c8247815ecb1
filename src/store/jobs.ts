import { odata } from "@azure/data-tables";
import { z } from "zod";
import { NotFoundError } from "../domain/errors";
import { job, jobResult, type Job, type JobResult } from "../domain/job";
import { entityCodec, etagOf, type Versioned } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * Jobs: `jobs` (PartitionKey = partner, RowKey = job ID: another partner's job is unreachable) and
 * `jobResults` (PartitionKey = job ID, RowKey = the item's index, zero-padded so rows sort in order).
 * A result is inserted once: the activity that handles an item may run twice, and its first answer stands.
 */
const jobEntity = job
  .omit({ partnerId: true, id: true })
  .extend({ partitionKey: z.string(), rowKey: z.string() });

const jobCodec = entityCodec({
  what: "job",
  schema: jobEntity,
  toEntity: ({ partnerId, id, ...rest }: Job) => ({ partitionKey: partnerId, rowKey: id, ...rest }),
  fromEntity: ({ partitionKey, rowKey, ...rest }): Job => ({ partnerId: partitionKey, id: rowKey, ...rest }),
});

const resultEntity = jobResult
  .omit({ errors: true })
  .extend({ partitionKey: z.string(), rowKey: z.string(), errorsJson: z.string().optional() });

const resultCodec = entityCodec({
  what: "job result",
  schema: resultEntity,
  toEntity: ({ errors, ...rest }: JobResult & { jobId: string }) => {
    const { jobId, ...fields } = rest;
    return {
      partitionKey: jobId,
      rowKey: String(fields.index).padStart(6, "0"),
      ...fields,
      ...(errors ? { errorsJson: JSON.stringify(errors) } : {}),
    };
  },
  fromEntity: ({ partitionKey, rowKey: _r, errorsJson, ...rest }): JobResult & { jobId: string } => ({
    ...jobResult.parse({ ...rest, ...(errorsJson ? { errors: JSON.parse(errorsJson) as unknown } : {}) }),
    jobId: partitionKey,
  }),
});

export class JobRepository {
  constructor(private readonly store: TableStore) {}

  /** Stores a new job unless it exists (a retried start): answers the stored one either way. */
  async createOnce(value: Job): Promise<Job> {
    const table = await this.store.table("jobs");
    if (await insertOnce(table, jobCodec.toEntity(job.parse(value)), `job ${value.id}`)) return value;
    return (await this.get(value.partnerId, value.id)).value;
  }

  /** The partner's job; another partner's is NotFound, exactly like a missing one. */
  async get(partnerId: string, id: string): Promise<Versioned<Job>> {
    const table = await this.store.table("jobs");
    const raw = await readOptional(table, partnerId, id, `job ${id}`);
    if (!raw) throw new NotFoundError(`job ${id} was not found`);
    return { value: jobCodec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Sets fields of the job (its total, its end), reading again on an ETag race. */
  async update(partnerId: string, id: string, change: (current: Job) => Job): Promise<Job> {
    return retryOnConcurrency(async () => {
      const current = await this.get(partnerId, id);
      const next = job.parse(change(current.value));
      const table = await this.store.table("jobs");
      await replaceIfMatch(table, jobCodec.toEntity(next), current.etag, `job ${id}`);
      return next;
    });
  }

  /** Records one item's outcome; a second record of the same item keeps the first. */
  async recordResult(jobId: string, result: JobResult): Promise<void> {
    const table = await this.store.table("jobResults");
    await insertOnce(table, resultCodec.toEntity({ ...jobResult.parse(result), jobId }), "job result");
  }

  /** Every result of the job, in item order (jobs are bounded: at most a few thousand items). */
  async results(jobId: string): Promise<JobResult[]> {
    const table = await this.store.table("jobResults");
    const rows = await readAll(table, odata`PartitionKey eq ${jobId}`, resultCodec.fromRaw);
    return rows.map(({ jobId: _j, ...result }) => result);
  }
}
