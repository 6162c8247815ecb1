import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { QueueServiceClient } from "@azure/storage-queue";
import autocannon from "autocannon";
import { startAzurite } from "devhost";
import { spawnHost, type HostProcess } from "../devhost/test/support/hostProcess";
import { callApi, onboardPartner } from "../test/support/appProcess";
import { isolatedAppSettings } from "../test/support/appSettings";
import { cporRequest } from "../test/support/builders";
import { azuritePid, cpuSecondsOf } from "./processCpu";

/**
 * `npm run bench:api -- [--rate 200] [--seconds 15] [--associations 1000] [--json FILE] [--cpu-prof DIR]`:
 * the partner API under a steady load on the real app and the local host (a child process, so the
 * load generator does not share its event loop), driven by autocannon at `--rate` requests a second
 * in total, arriving evenly through each second (see `load`):
 * - `GET /api/v1/sign-in`, the floor: an anonymous answer without storage, what the host itself costs;
 * - `GET /associations/{id}`, a random one of the partner's `--associations` each time;
 * - `GET /associations?pageSize=20`, the first page.
 * Reports latency p50 / p90 / p99 / max in ms, the rate reached, and any non-2xx answer or error
 * (which exit 1), then one JSON line (`apiGetP99Ms`, `apiListP99Ms`, …) to compare runs by, also
 * written to `--json FILE`. The associations are created through the API beforehand (16 at a time),
 * so each has its claims and timeline as in production. Figures depend on the machine (Azurite, 2
 * cores here). The host's log goes to a file (its path is printed), not to a pipe this process,
 * busy generating load, would drain late: the host writes its log synchronously and would wait.
 * Each phase also reports the host's and Azurite's CPU time per request (Linux), the figures least
 * moved by a busy machine, and the load generator's own. `--cpu-prof DIR` has the host write a V8 CPU profile there when it stops.
 *
 * Azurite's housekeeping is watched and kept apart from the API's figures, never taken out of them.
 * Every 60 s Azurite's queue service runs a mark-and-sweep over its in-memory message extents (one
 * per message ever sent) and removes each unreferenced one from an indexed LokiJS collection, one
 * at a time, each removal costing in proportion to the extents held: the sweep grows with the
 * messages deleted since the last one times the extents held, and runs on the event loop that also
 * answers Table requests (on a busy 2-core machine, 5,000 messages sent and deleted stalled Azurite
 * 55 s; 5,000 waiting messages, never deleted, 0.2 s). After the seed, whose lifecycles sent and
 * deleted thousands of workflow messages, that sweep stalls Azurite for seconds; Azure Storage has
 * no such pause, and a phase of GETs sends no queue message, so the sweeps after it are
 * cheap. So: a probe asks Azurite's queue service for its properties every 100 ms through the run;
 * after the seed the bench waits (at most 85 s) for the first sweep that stalls the probe (an answer
 * of 1 s or more), then measures. A stall that still falls in a phase stays in that phase's latency,
 * and the phase's report names it (`emulatorStallMs`: the longest probe answer during the phase).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: "string", default: "200" },
      seconds: { type: "string", default: "15" },
      associations: { type: "string", default: "1000" },
      json: { type: "string" },
      "cpu-prof": { type: "string" },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const count = Number(values.associations);
  const azurite = await startAzurite();
  const probe = probeAzurite(azurite.connectionString);
  const settings: Record<string, string> = {
    ...isolatedAppSettings(randomBytes(4).toString("hex"), "bench"),
    // The claims wait for their PoE through the run, as Drafts do: the load measured is the API's,
    // not 1,000 lifecycles expiring at once.
    LIFECYCLE_POE_DEADLINE: "P30D",
    // One partner at the bench's rate is a load test, not the runaway script the per-partner limit
    // is for: the limiter still runs (its cost is in the figures), set far above the rate.
    PARTNER_RATE_LIMIT_PER_SECOND: "10000",
    PARTNER_RATE_LIMIT_BURST: "10000",
  };
  let host: HostProcess | undefined;
  try {
    const profile = values["cpu-prof"];
    const nodeFlags = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
    const logFile = path.join(await mkdtemp(path.join(tmpdir(), "bench-api-")), "host.log");
    console.log(`host log: ${logFile}`);
    host = await spawnHost(".", azurite.connectionString, settings, 60_000, { nodeFlags, logFile });
    const partner = await onboardPartner(host.url, settings["ADMIN_API_KEY"] ?? "");
    const seeding = performance.now();
    const ids = await seed(host.url, partner, count);
    console.log(
      `seeded ${ids.length} associations through the API in ${seconds1(performance.now() - seeding)} s`,
    );

    const seeded = performance.now();
    const sweep = probe.nextStall(85_000); // Azurite sweeps every 60 s, plus the sweep's own time
    await sleep(10_000); // the lifecycles' first turns, started by the creates, finish before measuring
    const stall = await sweep;
    console.log(
      stall === undefined
        ? `no emulator stall within ${seconds1(performance.now() - seeded)} s of the seed`
        : `emulator stalled ${Math.round(stall)} ms (its queue sweep), ` +
            `${seconds1(performance.now() - seeded)} s after the seed; measuring from here`,
    );
    const url = host.url;
    const headers = { authorization: `ApiKey ${partner.apiKey}` };
    await load(url, headers, 3, rate, () => `/api/v1/associations/${pick(ids)}`); // warm-up
    const pid = host.child.pid;
    const phase = (path: () => string, phaseHeaders: Record<string, string>) =>
      withCpu({ host: pid, azurite: azuritePid() }, () =>
        probe.during(() => load(url, phaseHeaders, seconds, rate, path)),
      );
    const floor = await phase(() => "/api/v1/sign-in", {});
    const get = await phase(() => `/api/v1/associations/${pick(ids)}`, headers);
    const list = await phase(() => "/api/v1/associations?pageSize=20", headers);
    report("GET /sign-in (floor)", floor);
    report("GET /associations/{id}", get);
    report("GET /associations?pageSize=20", list);
    const line = JSON.stringify({
      rate,
      seconds,
      associations: ids.length,
      apiGetP50Ms: get.latency.p50,
      apiGetP99Ms: get.latency.p99,
      apiGetRps: get.requests.average,
      apiListP50Ms: list.latency.p50,
      apiListP99Ms: list.latency.p99,
      apiListRps: list.requests.average,
      floorP50Ms: floor.latency.p50,
      floorP99Ms: floor.latency.p99,
      emulatorStallMs: { floor: floor.stallMs, get: get.stallMs, list: list.stallMs },
      hostCpuMsPerRequest: { floor: floor.cpuMs, get: get.cpuMs, list: list.cpuMs },
      azuriteCpuMsPerRequest: { floor: floor.azuriteCpuMs, get: get.azuriteCpuMs, list: list.azuriteCpuMs },
      loadGeneratorCpuMsPerRequest: { floor: floor.loadCpuMs, get: get.loadCpuMs, list: list.loadCpuMs },
    });
    console.log(line);
    if (values.json) await writeFile(values.json, `${line}\n`);
    if ([floor, get, list].some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)) process.exitCode = 1;
  } finally {
    probe.stop();
    await host?.stop();
    await azurite.stop();
  }
}

/** `count` CPOR claims of the partner, each on its own customer tenant, 16 requests at a time. */
async function seed(
  url: string,
  partner: { apiKey: string; locationId: string },
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 16) {
    const batch = Array.from({ length: Math.min(16, count - start) }, async () => {
      const response = await callApi(
        url,
        partner.apiKey,
        "POST",
        "/api/v1/associations",
        cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() }),
      );
      if (response.status !== 201) throw new Error(`create: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    });
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

/** Instances of autocannon that make up the load, each one connection, started evenly over a second. */
const streams = 50;

/**
 * `seconds` of GETs arriving evenly at `rate` a second in total, each to the path `next()` gives.
 *
 * Why not one autocannon instance at `overallRate`: its rate limit gives each connection a quota per
 * second, reset by a one-second interval, and the connection spends it back to back; the intervals
 * of all connections start together, so 20 connections at 200/s send all 200 requests at the top of
 * each second, 20 at a time, then nothing. That measures a burst at concurrency 20, not a service
 * at 200 requests a second. So the load is `streams` instances of one connection each, at
 * rate/streams a second (4 at 200/s), started 1000/streams ms apart: every 20 ms one connection
 * sends its few requests one after another. The instances' results are merged by autocannon's own
 * `aggregateResult` (latency histograms added, not averaged).
 */
async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  rate: number,
  next: () => string,
): Promise<autocannon.Result> {
  const options = (share: number): autocannon.Options => ({
    url,
    connections: 1,
    overallRate: share,
    duration: seconds,
    headers,
    skipAggregateResult: true,
    requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: next() }) }],
  });
  const runs: Promise<autocannon.Result>[] = [];
  for (let i = 0; i < streams; i++) {
    const share = Math.floor((rate * (i + 1)) / streams) - Math.floor((rate * i) / streams);
    if (share > 0) runs.push(autocannon(options(share)));
    await sleep(1000 / streams);
  }
  // With skipAggregateResult each result is autocannon's raw one, which counts what completed.
  const results = (await Promise.all(runs)) as (autocannon.Result & { totalCompletedRequests: number })[];
  const merged = aggregateResult(results, { url, connections: runs.length });
  // aggregateResult leaves the per-second request histogram empty: the rate is counted here, over
  // the `seconds` each instance ran.
  const total = results.reduce((sum, r) => sum + r.totalCompletedRequests, 0);
  return { ...merged, requests: { ...merged.requests, total, average: Math.round(total / seconds) } };
}

/** autocannon's documented `aggregateResult`, which its type definitions do not declare. */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult(
      this: void,
      results: autocannon.Result[],
      opts: { url: string; connections: number },
    ): autocannon.Result;
  }
).aggregateResult;

function report(
  what: string,
  result: autocannon.Result & {
    stallMs: number;
    cpuMs: number | undefined;
    azuriteCpuMs: number | undefined;
    loadCpuMs: number;
  },
): void {
  const { latency } = result;
  console.log(
    `${what}: p50 ${latency.p50} ms, p90 ${latency.p90} ms, p99 ${latency.p99} ms, max ${latency.max} ms; ` +
      `CPU a request: host ${result.cpuMs ?? "?"} ms, Azurite ${result.azuriteCpuMs ?? "?"} ms, load generator ${result.loadCpuMs} ms; ` +
      `${result.requests.average} requests/s; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}; ` +
      `longest emulator answer ${result.stallMs} ms${result.stallMs >= stallMs ? " (an emulator stall is in these figures)" : ""}`,
  );
}

/**
 * The CPU time (user + system, from /proc on Linux) the host and Azurite spend per request of a
 * phase, which a busy machine changes far less than the latency (undefined elsewhere), and this
 * process's own (the load generator and the probe).
 */
async function withCpu<T extends autocannon.Result>(
  pids: { host: number | undefined; azurite: number | undefined },
  phase: () => Promise<T>,
): Promise<T & { cpuMs: number | undefined; azuriteCpuMs: number | undefined; loadCpuMs: number }> {
  const before = { host: cpuSecondsOf(pids.host), azurite: cpuSecondsOf(pids.azurite) };
  const own = process.cpuUsage();
  const result = await phase();
  const perRequest = (seconds: number) => {
    const ms = (seconds * 1000) / result.requests.total;
    return Number.isFinite(ms) ? Math.round(ms * 100) / 100 : undefined;
  };
  const used = process.cpuUsage(own);
  return {
    ...result,
    cpuMs: perRequest(cpuSecondsOf(pids.host) - before.host),
    azuriteCpuMs: perRequest(cpuSecondsOf(pids.azurite) - before.azurite),
    loadCpuMs: perRequest((used.user + used.system) / 1e6) ?? 0,
  };
}

/** A probe answer this slow is Azurite stalled (its queue sweep), not a busy machine. */
const stallMs = 1000;

/**
 * Times a cheap Azurite request (the queue service's properties) every 100 ms, one at a time, until
 * stopped. `nextStall` waits for an answer slower than `stallMs`; `during` runs a phase and adds the
 * longest answer seen while it ran (an answer still pending at the end counts as long as it waited).
 */
function probeAzurite(connectionString: string) {
  const service = QueueServiceClient.fromConnectionString(connectionString);
  const listeners = new Set<(ms: number) => void>();
  let pendingSince: number | undefined;
  let stopped = false;
  void (async () => {
    while (!stopped) {
      pendingSince = performance.now();
      await service.getProperties().catch(() => undefined);
      const ms = performance.now() - pendingSince;
      pendingSince = undefined;
      for (const listener of listeners) listener(ms);
      await sleep(100);
    }
  })();
  const pendingMs = () => (pendingSince === undefined ? 0 : performance.now() - pendingSince);
  return {
    nextStall(timeoutMs: number): Promise<number | undefined> {
      return new Promise((resolve) => {
        const done = (ms: number | undefined) => {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(ms);
        };
        const listener = (ms: number) => (ms >= stallMs ? done(ms) : undefined);
        const timer = setTimeout(() => done(undefined), timeoutMs);
        listeners.add(listener);
      });
    },
    async during<T>(phase: () => Promise<T>): Promise<T & { stallMs: number }> {
      let longest = pendingMs();
      const listener = (ms: number) => (longest = Math.max(longest, ms));
      listeners.add(listener);
      try {
        const result = await phase();
        return { ...result, stallMs: Math.round(Math.max(longest, pendingMs())) };
      } finally {
        listeners.delete(listener);
      }
    },
    stop() {
      stopped = true;
    },
  };
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const seconds1 = (ms: number) => (ms / 1000).toFixed(1);

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
