import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "devhost";
import { startHost, type RunningHost } from "devhost";
import { start, waitFor } from "../devhost/test/support/durable";
import { countRequestsTo } from "./requestCounter";

/**
 * `npm run bench` (second part): the local host's Durable throughput on an in-memory Azurite, beside
 * Azurite's own raw write rates measured in the same run. The host talks to Azurite directly, as the
 * raw rates do; its storage transactions (idle queue polling included) are counted from Node's
 * diagnostics channel for outgoing HTTP requests (bench/requestCounter.ts), which adds nothing to
 * their path.
 *
 * `--json FILE` also writes the figures as one JSON object (see `Figures`).
 */
interface Figures {
  rawUpsertsPerSecond: number;
  /** Seconds for 1,000 sequential upserts, measured over 1,000. */
  rawUpsertSeconds1000: number;
  sequentialActivitiesPerSecond: number;
  fanOut1000Seconds: number;
  fanOutRatioToRaw: number;
  transactionsPerTurn: number;
  /** Lines the host logged about a pop receipt that did not match (a delete or update lost a race). */
  popReceiptErrors: number;
  concurrentActivitiesPerSecond: number;
  hostPeakRssMiB: number;
}

async function main(): Promise<void> {
  const jsonFile = optionValue("--json");
  const azurite = await startAzurite();
  const raw = await rawRates(azurite.connectionString);
  const tables = countRequestsTo(azurite.ports.table);
  const queues = countRequestsTo(azurite.ports.queue);
  process.env["FIXTURE_HUB"] = "BenchHub";
  let popReceiptErrors = 0;
  const count = (line: string) => {
    if (/pop ?receipt/i.test(line)) popReceiptErrors++;
  };
  const host = await startHost({
    appDir: "devhost/test/fixtures/durable-app",
    port: 0,
    connection: azurite.connectionString,
    logger: {
      info: count,
      error: (line) => {
        count(line);
        console.error(line);
      },
    },
  });
  const rawLine = `Azurite raw: ${raw.upserts.toFixed(0)} table upserts/s (1,000 in ${raw.upsertSeconds1000.toFixed(2)} s), ${raw.sends.toFixed(0)} queue sends/s (sequential, one client)`;
  console.log(rawLine);
  let figures: Omit<Figures, "popReceiptErrors" | "hostPeakRssMiB">;
  try {
    // A short sequence first: the host's first turns and invocations pay for compiling its code,
    // which says nothing about the rate a warm host keeps.
    await sequential(host, 20);
    const before = tables.count + queues.count;
    const steps = 200;
    const seq = await sequential(host, steps);
    const transactionsPerTurn = (tables.count + queues.count - before) / (steps + 1);
    console.log(
      `${seq.line}; ${transactionsPerTurn.toFixed(1)} storage transactions per turn (incl. status polling and idle polls)`,
    );
    const fan = await fanOut(host, 1_000);
    const fanOutRatioToRaw = fan.seconds / raw.upsertSeconds1000;
    console.log(`${fan.line} (${fanOutRatioToRaw.toFixed(1)}× the raw time of 1,000 upserts)`);
    const conc = await concurrent(host, 500, 5);
    console.log(conc.line);
    figures = {
      rawUpsertsPerSecond: raw.upserts,
      rawUpsertSeconds1000: raw.upsertSeconds1000,
      sequentialActivitiesPerSecond: seq.activitiesPerSecond,
      fanOut1000Seconds: fan.seconds,
      fanOutRatioToRaw,
      transactionsPerTurn,
      concurrentActivitiesPerSecond: conc.activitiesPerSecond,
    };
  } finally {
    await host.stop();
    tables.close();
    queues.close();
    await azurite.stop();
  }
  // The host runs in this process: its peak is this process's.
  const hostPeakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS ${hostPeakRssMiB.toFixed(0)} MiB; ${popReceiptErrors} pop receipt errors`);
  if (jsonFile)
    await writeFile(jsonFile, `${JSON.stringify({ ...figures, popReceiptErrors, hostPeakRssMiB })}\n`);
}

/** The value after `name` on the command line, if given. */
function optionValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (!value) throw new Error(`${name} needs a value`);
  return value;
}

async function rawRates(connectionString: string) {
  const table = TableClient.fromConnectionString(connectionString, "rawbench", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const queue = new QueueClient(connectionString, "rawbench");
  await queue.createIfNotExists();
  const n = 1_000;
  let t = performance.now();
  for (let i = 0; i < n; i++) await table.upsertEntity({ partitionKey: "p", rowKey: String(i), value: i });
  const upsertSeconds1000 = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < n; i++) await queue.sendMessage(`m${i}`);
  const sends = n / ((performance.now() - t) / 1000);
  return { upserts: n / upsertSeconds1000, upsertSeconds1000, sends };
}

/** One instance, `steps` activities one after another: steps + 1 turns. */
async function sequential(host: RunningHost, steps: number) {
  const started = performance.now();
  const links = await start(host.url, "sequence", steps, `seq-${randomUUID()}`);
  const done = await waitFor(links.statusQueryGetUri, undefined, 300_000);
  const seconds = (performance.now() - started) / 1000;
  if (done.output !== 2 ** steps) throw new Error(`sequence gave ${String(done.output)}`);
  const activitiesPerSecond = steps / seconds;
  const line = `sequential: ${steps} activities in ${seconds.toFixed(2)} s = ${activitiesPerSecond.toFixed(1)} activities/s`;
  return { activitiesPerSecond, line };
}

async function fanOut(host: RunningHost, width: number) {
  const started = performance.now();
  const links = await start(host.url, "fanOut", width);
  const done = await waitFor(links.statusQueryGetUri, undefined, 600_000);
  const seconds = (performance.now() - started) / 1000;
  if (done.output !== width * (width - 1)) throw new Error(`fan-out gave ${String(done.output)}`);
  return {
    seconds,
    line: `fan-out/fan-in: ${width} activities in ${seconds.toFixed(2)} s = ${(width / seconds).toFixed(0)} activities/s`,
  };
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
  const activitiesPerSecond = (instances * steps) / seconds;
  return {
    activitiesPerSecond,
    line: `concurrent: ${instances} orchestrations × ${steps} sequential activities in ${seconds.toFixed(2)} s = ${(instances / seconds).toFixed(1)} orchestrations/s, ${activitiesPerSecond.toFixed(0)} activities/s`,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
