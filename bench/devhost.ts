import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { connectionStringFor, startAzurite } from "devhost";
import { startHost, type RunningHost } from "devhost";
import { start, waitFor } from "../devhost/test/support/durable";
import { startCountingProxy, type CountingProxy } from "./countingProxy";

/**
 * `npm run bench` (second part): the local host's Durable throughput on an in-memory Azurite, beside
 * Azurite's own raw write rates measured in the same run. Storage transactions are counted by
 * proxies in front of Azurite's table and queue ports (idle queue polling included).
 */
async function main(): Promise<void> {
  const azurite = await startAzurite();
  const tables = await startCountingProxy(azurite.ports.table);
  const queues = await startCountingProxy(azurite.ports.queue);
  const connection = connectionStringFor({
    blob: azurite.ports.blob,
    queue: queues.port,
    table: tables.port,
  });
  const raw = await rawRates(azurite.connectionString);
  process.env["FIXTURE_HUB"] = "BenchHub";
  const host = await startHost({
    appDir: "devhost/test/fixtures/durable-app",
    port: 0,
    connection,
    logger: { info: () => undefined, error: (line) => console.error(line) },
  });
  const rows: string[] = [];
  try {
    rows.push(
      `Azurite raw: ${raw.upserts.toFixed(0)} table upserts/s, ${raw.sends.toFixed(0)} queue sends/s (sequential, one client)`,
    );
    rows.push(await sequential(host, tables, queues, 100));
    rows.push(await fanOut(host, 1_000));
    rows.push(await concurrent(host, 500, 5));
  } finally {
    await host.stop();
    await Promise.all([tables.close(), queues.close()]);
    await azurite.stop();
  }
  console.log(rows.join("\n"));
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

async function rawRates(connectionString: string) {
  const table = TableClient.fromConnectionString(connectionString, "rawbench", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const queue = new QueueClient(connectionString, "rawbench");
  await queue.createIfNotExists();
  const n = 500;
  let t = performance.now();
  for (let i = 0; i < n; i++) await table.upsertEntity({ partitionKey: "p", rowKey: String(i), value: i });
  const upserts = n / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) await queue.sendMessage(`m${i}`);
  const sends = n / ((performance.now() - t) / 1000);
  return { upserts, sends };
}

/** One instance, `steps` activities one after another: steps + 1 turns. */
async function sequential(host: RunningHost, tables: CountingProxy, queues: CountingProxy, steps: number) {
  const before = tables.count + queues.count;
  const started = performance.now();
  const links = await start(host.url, "sequence", steps, `seq-${randomUUID()}`);
  const done = await waitFor(links.statusQueryGetUri, undefined, 300_000);
  const seconds = (performance.now() - started) / 1000;
  if (done.output !== 2 ** steps) throw new Error(`sequence gave ${String(done.output)}`);
  const transactions = tables.count + queues.count - before;
  return `sequential: ${steps} activities in ${seconds.toFixed(2)} s = ${(steps / seconds).toFixed(1)} activities/s; ${(transactions / (steps + 1)).toFixed(1)} storage transactions per turn (incl. status polling and idle polls)`;
}

async function fanOut(host: RunningHost, width: number) {
  const started = performance.now();
  const links = await start(host.url, "fanOut", width);
  const done = await waitFor(links.statusQueryGetUri, undefined, 600_000);
  const seconds = (performance.now() - started) / 1000;
  if (done.output !== width * (width - 1)) throw new Error(`fan-out gave ${String(done.output)}`);
  return `fan-out/fan-in: ${width} activities in ${seconds.toFixed(2)} s = ${(width / seconds).toFixed(0)} activities/s`;
}

async function concurrent(host: RunningHost, instances: number, steps: number) {
  const started = performance.now();
  const all = [];
  for (let i = 0; i < instances; i += 50)
    all.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, instances - i) }, () => start(host.url, "sequence", steps)),
      )),
    );
  for (const links of all) {
    const done = await waitFor(links.statusQueryGetUri, undefined, 900_000);
    if (done.output !== 2 ** steps) throw new Error(`instance ${links.id} gave ${String(done.output)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const activities = instances * steps;
  return `concurrent: ${instances} orchestrations × ${steps} sequential activities in ${seconds.toFixed(2)} s = ${(instances / seconds).toFixed(1)} orchestrations/s, ${(activities / seconds).toFixed(0)} activities/s`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
