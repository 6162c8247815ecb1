import { odata, type TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { NotFoundError } from "../domain/errors";
import { job, jobResult, type Job, type JobResult } from "../domain/job";
import { entityCodec, etagOf, type Versioned } from "./entityCodec";
import { readAll } from "./paging";
import { retryOnConcurrency } from "./retry";
import { insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import { translateStorageError } from "./storageErrors";
import { checked, type TableStore } from "./tableStore";

/**
 * Jobs: `jobs` (PartitionKey = partner, RowKey = job ID: another partner's job is unreachable) and
 * `jobResults` (PartitionKey = job ID, RowKey = the item's index, zero-padded so rows sort in order).
 * A result is inserted once: the activity that handles an item may run twice, and its first answer stands.
 * `jobItems` (PartitionKey = job ID, RowKey = index) holds what each item is, written before the
 * job's orchestration starts: its activities read their item here, so no orchestration input or
 * history event carries a list of hundreds of items.
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

const itemRowKey = (index: number) => String(index).padStart(6, "0");

/** Items per entity-group transaction (Table Storage's limit). */
const itemsPerBatch = 100;

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

  /**
   * Stores the job's items, each as JSON under its index (replacing what a retried start stored:
   * the same request stores the same items).
   */
  async putItems(jobId: string, items: readonly unknown[]): Promise<void> {
    const table = await this.store.table("jobItems");
    for (let start = 0; start < items.length; start += itemsPerBatch) {
      const actions: TransactionAction[] = items
        .slice(start, start + itemsPerBatch)
        .map((item, i) => [
          "upsert",
          checked({ partitionKey: jobId, rowKey: itemRowKey(start + i), itemJson: JSON.stringify(item) }),
          "Replace",
        ]);
      try {
        await table.submitTransaction(actions);
      } catch (err) {
        translateStorageError(err, `items of job ${jobId}`);
      }
    }
  }

  /** The job's item at `index`, as stored (the caller parses it with its schema). */
  async item(jobId: string, index: number): Promise<unknown> {
    const table = await this.store.table("jobItems");
    const raw = await readOptional(table, jobId, itemRowKey(index), `item ${index} of job ${jobId}`);
    if (!raw || typeof raw["itemJson"] !== "string")
      throw new NotFoundError(`item ${index} of job ${jobId} was not found`);
    return JSON.parse(raw["itemJson"]) as unknown;
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
