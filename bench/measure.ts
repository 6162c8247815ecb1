import { performance } from "node:perf_hooks";

/** One benchmark's figures: throughput and latency percentiles, in milliseconds. */
export interface Measurement {
  name: string;
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * Runs `operation(i)` for i in [0, count) with at most `concurrency` in flight and reports
 * throughput and per-operation latency. Bounded by count: every benchmark stops by itself.
 */
export async function measure(
  name: string,
  count: number,
  concurrency: number,
  operation: (i: number) => unknown,
): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await operation(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, operations: count, seconds, perSecond: count / seconds, p50Ms: at(0.5), p95Ms: at(0.95) };
}

export function report(rows: readonly Measurement[]): string {
  const header =
    "| benchmark | ops | seconds | ops/s | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |";
  const lines = rows.map(
    (r) =>
      `| ${r.name} | ${r.operations} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.p50Ms.toFixed(3)} | ${r.p95Ms.toFixed(3)} |`,
  );
  return [header, ...lines].join("\n");
}
