import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";

/**
 * Azurite's own sequential write rates, measured in the bench's run (its speed varies by machine, so
 * only same-run ratios compare): `count` table upserts one after another, then `count` queue sends,
 * from one client straight to Azurite (no proxy), into a table and a queue of their own.
 */
export interface RawRates {
  upsertsPerSecond: number;
  /** The time of `count` sequential upserts, in seconds. */
  upsertSeconds: number;
  sendsPerSecond: number;
  count: number;
}

export async function rawAzuriteRates(connectionString: string, count = 1_000): Promise<RawRates> {
  const name = `raw${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const table = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  await table.createTable();
  const queue = new QueueClient(connectionString, name);
  await queue.createIfNotExists();
  let started = performance.now();
  for (let i = 0; i < count; i++)
    await table.upsertEntity({ partitionKey: "p", rowKey: String(i), value: i });
  const upsertSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  for (let i = 0; i < count; i++) await queue.sendMessage(`m${i}`);
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all([table.deleteTable(), queue.delete()]);
  return {
    upsertsPerSecond: count / upsertSeconds,
    upsertSeconds,
    sendsPerSecond: count / sendSeconds,
    count,
  };
}
