import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { associationYear, parsePrices, type Transactions } from "./cost";
import { projectCycle } from "./projection";

/**
 * `npm run bench:all -- [--scale 1] [--json FILE] [--prices table,queue,blob]`: every speed figure of
 * the service in one run, each bench in a process of its own with its own in-memory Azurite (so one
 * bench's data never slows the next), then one JSON object with every figure to compare runs by:
 * 1. the local host's Durable engine (bench/devhost.ts): raw Azurite rates, sequential activities,
 *    fan-out/fan-in of 1,000, storage transactions per turn, pop-receipt errors;
 * 2. the partner API at 200 requests/s (bench/api.ts): p99 of GET one association and of the list;
 * 3. claims from create to UnderReview through the API (bench/lifecycles.ts), and the storage
 *    transactions of one lifecycle;
 * 4. one usage-polling cycle at `--scale` (bench/usagePoll.ts; 1.0 = 5,000 tenants, 20,000
 *    associations each with its waiting lifecycle), seeded straight into storage;
 * then the cost of one association-year (bench/cost.ts) and a daily cycle of 1,000,000 associations
 * over 250,000 tenants on Azure computed from these figures (bench/projection.ts, docs/scaling.md). Each figure is checked against its target
 * (`targets` in the JSON); a bench that fails stops the run with exit 1, a missed target sets exit 2.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "1" },
      json: { type: "string" },
      prices: { type: "string" },
    },
  });
  const prices = parsePrices(values.prices);
  const dir = await mkdtemp(join(tmpdir(), "bench-all-"));
  const started = performance.now();
  try {
    const engine = await runBench("devhost", ["bench/devhost.ts"], dir);
    const api = await runBench("api", ["bench/api.ts", "--rate", "200", "--seconds", "15"], dir);
    const lifecycles = await runBench("lifecycles", ["bench/lifecycles.ts"], dir);
    const usage = await runBench("usage", ["bench/usagePoll.ts", "--scale", values.scale], dir);

    const perCycle = usageTransactions(usage);
    const perLifecycle = lifecycles["transactionsPerLifecycle"] as Transactions;
    const year = associationYear(perCycle, perLifecycle, prices);
    const callsPerTenant =
      (number(usage, "usageExpectedGraphCalls") + numberOr(usage, "usageDefenderCalls", 0)) /
      number(usage, "tenants");
    const projection1M = projectCycle({
      estate: { associations: 1_000_000, tenants: 250_000 },
      perAssociation: perCycle,
      callsPerTenant,
      associationsPerSecondPerHost: number(usage, "associations") / number(usage, "usageCycleSeconds"),
      prices,
    });
    const figures = {
      usageCycleSeconds: number(usage, "usageCycleSeconds"),
      usageTransactionsPerAssociation: number(usage, "usageTransactionsPerAssociation"),
      usageGraphCalls: number(usage, "usageGraphCalls"),
      usageExpectedGraphCalls: number(usage, "usageExpectedGraphCalls"),
      hostPeakRssMiB: number(usage, "hostPeakRssMiB"),
      sequentialActivitiesPerSecond: number(engine, "sequentialActivitiesPerSecond"),
      fanOut1000Seconds: number(engine, "fanOut1000Seconds"),
      transactionsPerTurn: number(engine, "transactionsPerTurn"),
      rawUpsertsPerSecond: number(engine, "rawUpsertsPerSecond"),
      popReceiptErrors: number(engine, "popReceiptErrors"),
      apiGetP99Ms: number(api, "apiGetP99Ms"),
      apiListP99Ms: number(api, "apiListP99Ms"),
      lifecyclesPerSecond: number(lifecycles, "lifecyclesPerSecond"),
      costPerAssociationYearUsd: Number(year.usd.toFixed(6)),
      // The ratios and inputs the targets are stated in.
      rawUpsertSeconds1000: number(engine, "rawUpsertSeconds1000"),
      sequentialRatioToRaw: round(
        number(engine, "sequentialActivitiesPerSecond") / number(engine, "rawUpsertsPerSecond"),
      ),
      fanOutRatioToRaw: round(number(engine, "fanOut1000Seconds") / number(engine, "rawUpsertSeconds1000")),
      lifecyclesRatioToRaw: number(lifecycles, "lifecyclesRatioToRaw"),
      transactionsPerAssociationYear: year.transactions,
      projection1M,
      prices,
      scale: Number(values.scale),
      seconds: Math.round((performance.now() - started) / 1000),
      benches: { engine, api, lifecycles, usage },
    };
    const targets = targetsOf(figures);
    const result = { ...figures, targets };
    console.log(JSON.stringify(result, null, 2));
    if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
    const missed = Object.entries(targets).filter(([, t]) => !t.met);
    console.log(
      missed.length === 0
        ? `every target met (${figures.seconds} s)`
        : `targets missed: ${missed.map(([name]) => name).join(", ")} (${figures.seconds} s)`,
    );
    if (missed.length > 0) process.exitCode = 2;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Figures = Record<string, unknown>;

/** The targets, each with the figure it reads and whether it holds. */
function targetsOf(f: {
  usageCycleSeconds: number;
  usageTransactionsPerAssociation: number;
  usageGraphCalls: number;
  usageExpectedGraphCalls: number;
  hostPeakRssMiB: number;
  sequentialRatioToRaw: number;
  fanOutRatioToRaw: number;
  transactionsPerTurn: number;
  popReceiptErrors: number;
  apiGetP99Ms: number;
  apiListP99Ms: number;
  costPerAssociationYearUsd: number;
  scale: number;
}) {
  const target = (wanted: string, met: boolean) => ({ wanted, met });
  return {
    usageCycle: target("≤ 300 s at scale 1.0", f.scale >= 1 && f.usageCycleSeconds <= 300),
    usageTransactions: target("≤ 10 per association per cycle", f.usageTransactionsPerAssociation <= 10),
    graphCalls: target("= tenants × calls per tenant", f.usageGraphCalls === f.usageExpectedGraphCalls),
    hostRss: target("≤ 512 MiB", f.hostPeakRssMiB <= 512),
    sequential: target("≥ 0.1 × raw upserts/s", f.sequentialRatioToRaw >= 0.1),
    fanOut: target("≤ 3 × raw time of 1,000 upserts", f.fanOutRatioToRaw <= 3),
    transactionsPerTurn: target("≤ 6", f.transactionsPerTurn <= 6),
    popReceiptErrors: target("0", f.popReceiptErrors === 0),
    apiGet: target("p99 ≤ 50 ms at 200 requests/s", f.apiGetP99Ms <= 50),
    apiList: target("p99 ≤ 50 ms at 200 requests/s", f.apiListP99Ms <= 50),
    cost: target("< $0.01 per association-year", f.costPerAssociationYearUsd < 0.01),
  };
}

/**
 * The association's share of one usage cycle by service. A bench that reports only the total has it
 * priced as queue operations, the dearer kind (an upper bound).
 */
function usageTransactions(usage: Figures): Transactions {
  const table = usage["usageTableTransactionsPerAssociation"];
  const queue = usage["usageQueueTransactionsPerAssociation"];
  if (typeof table === "number" && typeof queue === "number") return { table, queue, blob: 0 };
  return { table: 0, queue: number(usage, "usageTransactionsPerAssociation"), blob: 0 };
}

/** Runs one bench (`tsx ARGS --json FILE`), its output shown line by line under its name; its figures. */
async function runBench(name: string, args: string[], dir: string): Promise<Figures> {
  const file = join(dir, `${name}.json`);
  const started = performance.now();
  console.log(`── ${name}: ${args.join(" ")}`);
  const child = spawn(process.execPath, ["--import", "tsx", ...args, "--json", file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on("line", (line) => console.log(`   ${name} │ ${line}`));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`bench ${name} exited with ${code}`);
  console.log(`── ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return JSON.parse(await readFile(file, "utf8")) as Figures;
}

function number(figures: Figures, key: string): number {
  const value = figures[key];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`a bench did not report ${key}`);
  return value;
}

function numberOr(figures: Figures, key: string, otherwise: number): number {
  return key in figures ? number(figures, key) : otherwise;
}

const round = (n: number) => Number(n.toFixed(4));

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
