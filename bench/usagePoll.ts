import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { TableClient, TransactionAction } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { association as associationSchema, type Association } from "../src/domain/association";
import { lifecycleEvents, lifecycleInput } from "../src/domain/lifecycle";
import type { WorkloadId } from "../src/domain/workloads";
import { connectionStringFor, startAzurite, type RunningAzurite } from "devhost";
import { startHost, type RunningHost } from "devhost";
import { Invoker, type Logger } from "devhost";
import { writeOutputBindings } from "devhost";
import { timerInput } from "devhost";
import { TaskHub } from "devhost";
import { hostNodeArguments } from "devhost";
import { defenderCallsPerTenant, graphCallsPerTenant } from "../src/integrations/usage/graphUsageProvider";
import { createStore, type Store } from "../src/store/store";
import { checked } from "../src/store/tableStore";
import {
  createFakeTlsCertificate,
  startFakeGraph,
  type FakeGraph,
  type FakeGraphTenant,
} from "../test/fixtures/fakeGraph";
import { isolatedAppSettings } from "../test/support/appSettings";
import { cporRequest } from "../test/support/builders";
import { startCountingProxy, type CountingProxy } from "./countingProxy";
import { azuritePid, cpuSecondsOf } from "./processCpu";
import { cloneOrchestrations, readTemplate, type HubTables } from "./seedOrchestrations";

/**
 * `npm run bench:usage -- [--scale 0.2] [--timeout 15] [--without-lifecycles] [--breakdown]
 * [--reaching 0.05] [--json FILE]`: ONE usage-polling cycle at scale, on the real app and the local
 * host, reported (not a test: a Graph call count that does not match, or a poisoned message, is
 * printed and exits 1; the time limit exits 2). `--json FILE` also writes the figures as one JSON
 * object (usageCycleSeconds, usagePollSeconds, usageTransactionsPerAssociation and its table and
 * queue parts, usageGraphCalls, usageExpectedGraphCalls, usageDefenderCalls, hostPeakRssMiB,
 * tenants, associations, lifecycleTurns, usageReportedRaised).
 *
 * Scale 1.0 = 5,000 customer tenants × 4 Approved Modern Work & Security CPOR associations (20,000),
 * each association of a tenant with another of 8 partners and its own workload. What the poller
 * reads is seeded straight into Azurite through the store's tables (entity-group transactions of up
 * to 100 rows, one partition each): the associations (Approved, baseline, program, an empty
 * projection of the ledger, as recordBaseline leaves them) and the claims index rows (PartitionKey =
 * tenant); and, through the usage store itself, each tenant's previous reading (the day before,
 * as the daily poll left it since the claim was under review). Every association also gets what it
 * has in production: a lifecycle orchestration waiting in its usage loop (status Approved, baseline
 * recorded), so every UsageReported the poller raises is accepted (202) and then processed
 * (recordMilestones, then continueAsNew), exactly as it would be. One of them is started through the
 * host's Durable HTTP API and runs its first turn; the others are its storage rows cloned straight
 * into the task hub's tables (bench/seedOrchestrations.ts), the same state without 20,000 starts.
 *
 * The reading: every tenant as `steadyTenant` below (new, reaching no milestone: the poller judges
 * each association and raises nothing, so no orchestrator turns); with `--reaching F`, that fraction
 * of the tenants reports 20 % active, a new milestone on each of its associations (raised, then a
 * lifecycle turn and recordMilestones each).
 *
 * Processes: this one (Azurite's parent, the counting proxies, the fake Graph and Entra ID, and the
 * seeding) and a CHILD running the local host with the app (this same file, role "host"). The child
 * exists because Node reads NODE_EXTRA_CA_CERTS only at start (test/integration/fakeGraphTls.ts): it
 * starts with the fake token endpoint's certificate trusted, and its peak RSS is the host's alone.
 *
 * The cycle is started the way the host's timer loop starts it: the registered `usagePoll` timer
 * function (the real app's, with its own ports) is invoked once through the local host's Invoker
 * with a TimerInfo input, inside the host process, while its queue triggers run. The schedule itself
 * never fires (`0 0 0 1 1 *`). The devhost has no admin endpoint to run a timer, so the child takes
 * that one command over IPC.
 *
 * Reported: cycle time (the timer's start → the last tenant's message processed, every association
 * judged and every UsageReported raised, the queue empty), then the downstream work (every lifecycle
 * turn and recordMilestones done); Graph calls per cycle from the fake against tenants ×
 * `graphCallsPerTenant` (beside the issue's tenants × 6: five reports and subscribedSkus, before
 * the optional workload readers); storage
 * transactions per association, counted by proxies in front of Azurite's table and queue ports
 * (the host's idle polling included; an estimate without it beside); the host's peak RSS (VmHWM,
 * reset after seeding). The whole run stops after `--timeout` minutes with a message saying where.
 *
 * Scale. Azurite answers table queries by scanning the whole table (point reads are indexed), and
 * the local host loads an orchestration's history with a PartitionKey query on every turn, so each
 * query on a tenant's path costs more as the data grows. The poller's path is point reads and one
 * transaction per tenant (the usage summary, the associations the timer's message names, their
 * projection of the ledger), so a cycle that changes nothing runs no turn and no query. The cloned
 * orchestrations are not in the host's in-process history cache (as after a host restart): the first
 * turn of each (`--reaching`) reads its history from storage. `--without-lifecycles` leaves the
 * orchestrations out (each raise is answered 404 and skipped): the poller's own work.
 * Storage transactions per association do not depend on the speed: `--breakdown` splits them by
 * table and queue (one more proxy hop in front of the counting proxies; figures otherwise the same).
 */

// ---------------------------------------------------------------------------------------------
// The parent: storage, fakes, seeding, the cycle, the report.

const tenantsAtFullScale = 5_000;
const associationsPerTenant = 4;
const partnerCount = 8;
/** One workload per association of a tenant: each holds its own claim unit. */
const workloadsByIndex: readonly WorkloadId[] = ["teams", "exchange", "sharepoint", "m365-apps"];
const polledKind = "cpor-osu-modern-work-security";
const programId = "fy20-osu-milestones";
/** Graph calls per tenant as the issue counted them: five usage reports and subscribedSkus. */
const issueGraphCallsPerTenant = 6;

interface Options {
  scale: number;
  timeoutMinutes: number;
  /** Classify the host's storage requests by table / queue (one more proxy hop in front of the counters). */
  breakdown: boolean;
  /**
   * No lifecycle orchestrations: each raise is answered 404 and skipped (the poller's own work only,
   * without the Durable turns that Azurite's table scans slow down as the task hub grows).
   */
  withoutLifecycles: boolean;
  /** The fraction of tenants whose reading reaches a new milestone on each association. */
  reaching: number;
  /** Where to write the figures as one JSON object, if anywhere. */
  json: string | undefined;
}

interface Seeded {
  tenants: string[];
  /** The tenants whose reading reaches a milestone (`--reaching`). */
  reaching: string[];
  associations: Association[];
  seconds: number;
  transactions: number;
}

/** What the host child counts from its own log lines (one per invocation, plus the app's logs). */
interface HostStats {
  succeeded: Record<string, number>;
  failed: Record<string, number>;
  /** Date.now() of each function's last successful invocation. */
  lastSucceededAt: Record<string, number>;
  /** Tenants whose reading came to a result: judged, nothing new, or unreadable (one line each). */
  tenantsRead: number;
  /** Sum of "N Approved association(s) judged". */
  judged: number;
  /** Sum of "UsageReported raised on N association(s)". */
  raised: number;
  /** Sum of "M unchanged": judged, nothing raised. */
  unchanged: number;
  tenantsRaised: number;
  nothingRaised: number;
  noOrchestration: number;
  raiseFailures: number;
  poisoned: number;
  errorLines: number;
  timerEnqueued?: { tenants: number; messages: number; associations: number };
  /** usagePollTenant invocation durations (one message: up to 10 tenants), ms: p50 / p95 / max. */
  tenantMs?: { p50: number; p95: number; max: number };
}

class Deadline {
  private readonly at: number;
  constructor(readonly minutes: number) {
    this.at = Date.now() + minutes * 60_000;
  }
  get remainingMs(): number {
    return this.at - Date.now();
  }
  check(phase: string, progress: () => string = () => ""): void {
    if (Date.now() < this.at) return;
    const detail = progress();
    throw new BenchTimeout(
      `bench:usage stopped: the ${this.minutes}-minute limit (--timeout) passed during "${phase}"` +
        `${detail ? ` (${detail})` : ""}. Try a smaller --scale or a larger --timeout.`,
    );
  }
}

class BenchTimeout extends Error {}

async function main(): Promise<void> {
  const options = readOptions();
  const deadline = new Deadline(options.timeoutMinutes);
  const tenantCount = Math.max(1, Math.round(tenantsAtFullScale * options.scale));
  const associationCount = tenantCount * associationsPerTenant;
  const run = randomBytes(4).toString("hex");
  const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  log(
    `bench:usage: scale ${options.scale} = ${tenantCount} tenants × ${associationsPerTenant} = ` +
      `${associationCount} associations, ${partnerCount} partners; limit ${options.timeoutMinutes} min`,
  );

  const cleanups: (() => Promise<unknown>)[] = [];
  let failure: unknown;
  const classifiers: ClassifyingProxy[] = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    cleanups.length = 0;
  };
  const onSignal = () => {
    log("interrupted: stopping the host, Azurite and the fakes");
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    // The fake token endpoint's certificate, trusted by the host child from its start.
    const tls = await createFakeTlsCertificate();
    const dir = await mkdtemp(join(tmpdir(), "bench-usage-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const caFile = join(dir, "extra-ca.pem");
    const inherited = process.env["NODE_EXTRA_CA_CERTS"]
      ? await readFile(process.env["NODE_EXTRA_CA_CERTS"], "utf8").catch(() => "")
      : "";
    await writeFile(caFile, `${inherited.trimEnd()}\n${tls.cert}`.trimStart());

    const azurite: RunningAzurite = await startAzurite();
    cleanups.push(() => azurite.stop());
    const tables = await startCountingProxy(azurite.ports.table);
    const queues = await startCountingProxy(azurite.ports.queue);
    cleanups.push(() => Promise.all([tables.close(), queues.close()]));
    const proxied = await (async () => {
      if (!options.breakdown)
        return connectionStringFor({ blob: azurite.ports.blob, queue: queues.port, table: tables.port });
      const tableKinds = await startClassifyingProxy(tables.port);
      const queueKinds = await startClassifyingProxy(queues.port);
      cleanups.push(() => Promise.all([tableKinds.close(), queueKinds.close()]));
      classifiers.push(tableKinds, queueKinds);
      return connectionStringFor({
        blob: azurite.ports.blob,
        queue: queueKinds.port,
        table: tableKinds.port,
      });
    })();

    const graph = await startFakeGraph({ tls, defaultTenant: steadyTenant() });
    cleanups.push(() => graph.stop());

    const settings = appSettings(run, graph);
    const prefix = settings["TABLE_PREFIX"] as string;
    // Seeding and watching go straight to Azurite: the proxies count the host's requests only.
    const store = createStore(azurite.connectionString, { prefix });

    log(`seeding ${associationCount} associations and their claims through the store's tables…`);
    const seeded = await seed(store, tenantCount, options.reaching, deadline);
    for (const tenant of seeded.reaching) graph.setTenant(tenant, reachingTenant());
    log(
      `seeded in ${seeded.seconds.toFixed(1)} s (${seeded.transactions} storage transactions, ` +
        `${Math.round((associationCount * 2) / seeded.seconds)} rows/s)`,
    );
    await checkSeed(store, seeded);

    log("starting the host (child process, real app from dist/)…");
    const host = await HostChild.spawn(
      { ...settings, NODE_EXTRA_CA_CERTS: caFile, BENCH_CONNECTION: proxied },
      Math.min(120_000, Math.max(1_000, deadline.remainingMs)),
    );
    cleanups.push(() => host.stop());
    log(`host ${host.pid} on ${host.url}`);

    const hub = hubQueues(azurite.connectionString, settings["DURABLE_HUB_NAME"] as string);
    // The task hub's tables under the engine's own names, straight to Azurite (seeding is not counted).
    const hubTables = new TaskHub(azurite.connectionString, settings["DURABLE_HUB_NAME"] as string);
    const pollQueue = new QueueClient(azurite.connectionString, settings["USAGE_POLL_QUEUE"] as string);
    const poisonQueue = new QueueClient(
      azurite.connectionString,
      `${settings["USAGE_POLL_QUEUE"] as string}-poison`,
    );

    const lifecycles = !options.withoutLifecycles;
    let started = { seconds: 0, cloned: 0 };
    if (lifecycles) {
      log(`starting ${associationCount} lifecycle orchestrations in their usage loop (baseline recorded)…`);
      started = await startOrchestrations(host, seeded.associations, hub, hubTables, deadline, log);
      log(
        `orchestrations waiting after ${started.seconds.toFixed(1)} s ` +
          `(1 started through the API, ${started.cloned} cloned in storage)`,
      );
    } else log("--without-lifecycles: no orchestrations; every raise will be answered 404 and skipped");

    // Idle: what the host's pollers cost with nothing to do, to tell the cycle's own transactions apart.
    const idle = await idleRate(tables, queues, 5_000);
    log(`idle polling: ${idle.perSecond.toFixed(1)} storage transactions/s`);
    const hwmReset = resetPeakRss(host.pid);
    const rssBefore = memoryOf(host.pid);

    // ---- the cycle ----
    const before = { tables: tables.count, queues: queues.count };
    const kindsBefore = classifiers.map((c) => new Map(c.counts));
    const cpuBefore = cpuSeconds(host.pid, azuritePid());
    const statsBefore = await host.stats();
    graph.resetStats();
    const t0 = Date.now();
    log("cycle: invoking the usagePoll timer function once in the host…");
    const fired = host.fireTimer();
    let timer: { ok: boolean; durationMs: number; error?: string } | undefined;
    void fired.then((t) => {
      timer = t;
      log(`timer ${t.ok ? "done" : `FAILED: ${t.error}`} in ${(t.durationMs / 1000).toFixed(2)} s`);
    });

    let stats = statsBefore;
    /** Associations the poller is done with: judged, and raised on where the reading is news. */
    const handled = (s: HostStats) => s.judged - statsBefore.judged;
    const pollProgress = () =>
      `${stats.tenantsRead - statsBefore.tenantsRead}/${tenantCount} tenants read, ` +
      `${handled(stats)}/${associationCount} associations judged, ${stats.raised - statsBefore.raised} UsageReported raised`;
    let lastReport = Date.now();
    let pollDone: { at: number; queued: number; poison: number; unread: number } | undefined;
    while (!pollDone) {
      deadline.check("the polling cycle", pollProgress);
      await sleep(200);
      stats = await host.stats();
      if (Date.now() - lastReport > 10_000) {
        log(`cycle: ${pollProgress()}`);
        lastReport = Date.now();
      }
      if (timer && !timer.ok) throw new Error(`the usagePoll timer failed: ${timer.error}`);
      if (!timer || stats.tenantsRead - statsBefore.tenantsRead < tenantCount) continue;
      if (handled(stats) < associationCount && stats.poisoned === statsBefore.poisoned) continue;
      const queued = await approximateCount(pollQueue);
      if (queued > 0) continue;
      const unread = seeded.tenants.filter((t) => graph.stats(t).subscribedSkusCalls === 0).length;
      if (unread > 0) continue;
      pollDone = {
        at: stats.lastSucceededAt["usagePollTenant"] ?? Date.now(),
        queued,
        poison: await approximateCount(poisonQueue),
        unread,
      };
    }
    const afterPoll = { tables: tables.count, queues: queues.count };
    const cpuAtPoll = cpuSeconds(host.pid, azuritePid());
    const graphStats = graph.stats();
    const rssAtPoll = memoryOf(host.pid);
    const pollStats = stats;
    const cycleSeconds = (pollDone.at - t0) / 1000;
    log(`cycle: every tenant read after ${cycleSeconds.toFixed(1)} s`);

    // ---- downstream: each UsageReported → a lifecycle turn → recordMilestones → continueAsNew ----
    const raisedInCycle = pollStats.raised - statsBefore.raised;
    const downstreamProgress = () =>
      `${delta(stats, statsBefore, "recordMilestones")}/${raisedInCycle} recordMilestones done`;
    let downstreamAt = lifecycles ? undefined : pollDone.at;
    if (lifecycles) log("waiting for the lifecycles' turns…");
    while (downstreamAt === undefined) {
      deadline.check("the lifecycles' turns after the cycle", downstreamProgress);
      await sleep(500);
      stats = await host.stats();
      if (Date.now() - lastReport > 10_000) {
        log(`downstream: ${downstreamProgress()}`);
        lastReport = Date.now();
      }
      if (delta(stats, statsBefore, "recordMilestones") < raisedInCycle) continue;
      if ((await hub.pending()) > 0) continue;
      const settled = stats.lastSucceededAt["associationLifecycle"];
      await sleep(1_000);
      const again = await host.stats();
      if (again.lastSucceededAt["associationLifecycle"] !== settled) continue;
      if ((await hub.pending()) > 0) continue;
      stats = again;
      // No turn in the cycle: the lifecycles had nothing to do, the cycle ended with the poll.
      downstreamAt =
        delta(stats, statsBefore, "associationLifecycle") === 0
          ? pollDone.at
          : Math.max(settled ?? 0, stats.lastSucceededAt["recordMilestones"] ?? 0);
    }
    const afterAll = { tables: tables.count, queues: queues.count };
    const kindsAfter = classifiers.map((c) => new Map(c.counts));
    const rssAtEnd = memoryOf(host.pid);
    const downstreamSeconds = (downstreamAt - t0) / 1000;
    const timerResult = timer ?? (await fired);

    // The timer's listing alone (same query, same pages), to split its time into listing and enqueueing.
    const listing = await timeListing(store);

    // ---- report ----
    const pollTransactions = afterPoll.tables + afterPoll.queues - before.tables - before.queues;
    const allTransactions = afterAll.tables + afterAll.queues - before.tables - before.queues;
    const expectedGraphCalls = tenantCount * graphCallsPerTenant;
    const expectedDefenderCalls = tenantCount * defenderCallsPerTenant;
    const lifecycleTurns = delta(stats, statsBefore, "associationLifecycle");
    const lines: string[] = [];
    const fmt = (n: number, digits = 1) => n.toFixed(digits);
    lines.push(
      `## usage poll, one cycle: ${tenantCount} tenants, ${associationCount} associations (scale ${options.scale})`,
    );
    lines.push("");
    lines.push(
      `trigger: the app's registered usagePoll timer function, invoked once in the host process through the devhost Invoker (TimerInfo input, as the timer loop does); schedule "0 0 0 1 1 *" never fires`,
    );
    lines.push(
      `timer run: ${fmt(timerResult.durationMs / 1000, 2)} s (${pollStats.timerEnqueued?.tenants ?? "?"} tenants enqueued in ${pollStats.timerEnqueued?.messages ?? "?"} messages for ${pollStats.timerEnqueued?.associations ?? "?"} associations); listing alone ${fmt(listing.seconds, 2)} s (${listing.pages} pages of ≤1000), so enqueueing ≈ ${fmt(Math.max(0, timerResult.durationMs / 1000 - listing.seconds), 2)} s`,
    );
    lines.push(
      `cycle time: ${fmt(cycleSeconds)} s (timer start → last tenant processed) = ${fmt(tenantCount / cycleSeconds)} tenants/s, ${fmt(associationCount / cycleSeconds)} associations/s; usagePollTenant message p50 ${pollStats.tenantMs?.p50 ?? "?"} ms, p95 ${pollStats.tenantMs?.p95 ?? "?"} ms, max ${pollStats.tenantMs?.max ?? "?"} ms`,
    );
    lines.push(
      `  processed: ${pollStats.tenantsRead - statsBefore.tenantsRead} tenants read in ${delta(pollStats, statsBefore, "usagePollTenant")} messages ok, ${fdelta(pollStats, statsBefore, "usagePollTenant")} failed attempts, ${pollStats.poisoned - statsBefore.poisoned} poisoned; queue ${pollDone.queued}, poison queue ${pollDone.poison}; ${pollStats.judged - statsBefore.judged}/${associationCount} associations judged: UsageReported raised on ${raisedInCycle} (${seeded.reaching.length} tenants reaching a milestone), ${pollStats.unchanged - statsBefore.unchanged} unchanged (tenants with no new report: ${pollStats.nothingRaised - statsBefore.nothingRaised}, without orchestration: ${pollStats.noOrchestration - statsBefore.noOrchestration}, failed raises: ${pollStats.raiseFailures - statsBefore.raiseFailures})`,
    );
    if (lifecycles)
      lines.push(
        `with the lifecycles' work: ${fmt(downstreamSeconds)} s until every UsageReported was handled (${delta(stats, statsBefore, "recordMilestones")} recordMilestones, ${lifecycleTurns} orchestrator turns, ${fdelta(stats, statsBefore, "associationLifecycle") + fdelta(stats, statsBefore, "recordMilestones")} failed)`,
      );
    const match =
      graphStats.graphCalls === expectedGraphCalls && graphStats.defenderCalls === expectedDefenderCalls;
    lines.push(
      `Graph calls per cycle: ${graphStats.graphCalls} (expected ${tenantCount} tenants × ${graphCallsPerTenant} = ${expectedGraphCalls}; the issue's ${tenantCount} × ${issueGraphCallsPerTenant} = ${tenantCount * issueGraphCallsPerTenant} counted five usage reports and subscribedSkus, before the optional workload readers), Defender API calls ${graphStats.defenderCalls} (expected ${tenantCount} × ${defenderCallsPerTenant}): ${match ? "MATCH" : "MISMATCH"}; ${graphStats.reportCalls} report calls + ${graphStats.subscribedSkusCalls} subscribedSkus, ${graphStats.downloads} downloads, ${graphStats.tokenRequests} token requests, ${graphStats.discoveryRequests} discovery requests; ${seeded.tenants.length - pollDone.unread} of ${seeded.tenants.length} tenants read`,
    );
    const idleDuring = (seconds: number) => idle.perSecond * seconds;
    lines.push(
      `storage transactions per association, poll cycle: ${fmt(pollTransactions / associationCount, 2)} (${pollTransactions} = ${afterPoll.tables - before.tables} table + ${afterPoll.queues - before.queues} queue, over ${associationCount}); without idle polling (${fmt(idle.perSecond)}/s) ≈ ${fmt((pollTransactions - idleDuring(cycleSeconds)) / associationCount, 2)}; per tenant ${fmt(pollTransactions / tenantCount)}`,
    );
    if (lifecycles)
      lines.push(
        `storage transactions per association, with the lifecycles' work: ${fmt(allTransactions / associationCount, 2)} (${allTransactions} = ${afterAll.tables - before.tables} table + ${afterAll.queues - before.queues} queue); without idle polling ≈ ${fmt((allTransactions - idleDuring(downstreamSeconds)) / associationCount, 2)}`,
      );
    if (classifiers.length > 0) {
      const perKind = new Map<string, number>();
      kindsAfter.forEach((after, i) => {
        for (const [kind, n] of after)
          perKind.set(kind, (perKind.get(kind) ?? 0) + n - (kindsBefore[i]?.get(kind) ?? 0));
      });
      const rows = [...perKind].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
      lines.push(
        `  by table / queue, whole cycle${lifecycles ? " with the lifecycles' work" : ""}, per association: ${rows
          .map(([kind, n]) => `${kind} ${fmt(n / associationCount, 2)}`)
          .join(", ")}`,
      );
    }
    const cpu = (key: keyof typeof cpuBefore) => fmt(cpuAtPoll[key] - cpuBefore[key]);
    lines.push(
      `CPU during the poll cycle (${fmt(cycleSeconds)} s on ${availableParallelism()} cores): host ${cpu("host")} s, Azurite ${cpu("azurite")} s, this process (fake Graph and Entra ID, proxies, watching) ${cpu("bench")} s`,
    );
    lines.push(
      `host peak RSS (VmHWM of pid ${host.pid}${hwmReset ? ", reset after seeding" : ", NOT reset: includes seeding"}): ${mib(rssAtEnd.hwmKb)} MiB at the end, ${mib(rssAtPoll.hwmKb)} MiB when the poll finished; RSS ${mib(rssBefore.rssKb)} MiB before the cycle, ${mib(rssAtEnd.rssKb)} MiB after`,
    );
    lines.push(
      `setup (not in the figures): seeding ${fmt(seeded.seconds)} s (${seeded.transactions} transactions)${lifecycles ? `, ${associationCount} orchestrations started and waiting in ${fmt(started.seconds)} s (1 through the API, ${started.cloned} cloned in storage)` : ", no orchestrations (--without-lifecycles)"}`,
    );
    if (options.scale < 1) {
      const factor = 1 / options.scale;
      lines.push("");
      lines.push(
        `projected to scale 1.0 (${tenantsAtFullScale} tenants, ${tenantsAtFullScale * associationsPerTenant} associations), linear in tenants: cycle ≈ ${fmt(cycleSeconds * factor, 0)} s${lifecycles ? `, with the lifecycles' work ≈ ${fmt(downstreamSeconds * factor, 0)} s` : ""} — a lower bound on Azurite, whose table queries scan the whole table (the task hub's History on every lifecycle turn), so each turn costs more as the data grows; Graph calls ${tenantsAtFullScale * graphCallsPerTenant} (${tenantsAtFullScale} × ${graphCallsPerTenant}); storage transactions per association as measured (a per-tenant constant; the listing adds 1 request per 1000 rows); peak RSS is not linear (measure it)`,
      );
    }
    if (pollStats.errorLines > 0) lines.push(`host error lines: ${pollStats.errorLines} (first ones above)`);
    console.log(lines.join("\n"));
    if (options.json)
      await writeFile(
        options.json,
        `${JSON.stringify({
          usageCycleSeconds: round(downstreamSeconds),
          usagePollSeconds: round(cycleSeconds),
          usageTransactionsPerAssociation: round(allTransactions / associationCount),
          usageTableTransactionsPerAssociation: round((afterAll.tables - before.tables) / associationCount),
          usageQueueTransactionsPerAssociation: round((afterAll.queues - before.queues) / associationCount),
          usageGraphCalls: graphStats.graphCalls,
          usageExpectedGraphCalls: expectedGraphCalls,
          usageDefenderCalls: graphStats.defenderCalls,
          hostPeakRssMiB: Math.round(rssAtEnd.hwmKb / 1024),
          tenants: tenantCount,
          associations: associationCount,
          lifecycleTurns,
          usageReportedRaised: raisedInCycle,
        })}\n`,
      );
    if (!match || pollDone.poison > 0) process.exitCode = 1;
  } catch (err) {
    failure = err instanceof BenchTimeout ? err.message : err;
    process.exitCode = err instanceof BenchTimeout ? 2 : 1;
  } finally {
    await cleanUp();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // Last, after the host's shutdown: what stopped the run.
    if (failure !== undefined) console.error(failure);
  }
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "1" },
      timeout: { type: "string", default: "15" },
      breakdown: { type: "boolean", default: false },
      "without-lifecycles": { type: "boolean", default: false },
      reaching: { type: "string", default: "0" },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: tsx bench/usagePoll.ts [--scale 1.0] [--timeout 15] [--without-lifecycles] [--breakdown] [--reaching 0] [--json FILE]\n" +
        `  --scale    1.0 = ${tenantsAtFullScale} tenants × ${associationsPerTenant} associations\n` +
        "  --timeout  minutes for the whole run (seeding included); then it stops, saying where\n" +
        "  --breakdown  also count the host's storage requests per table and queue (one more proxy hop)\n" +
        "  --without-lifecycles  no orchestrations: raises are answered 404 and skipped (the poller alone)\n" +
        "  --reaching  the fraction of tenants whose reading reaches a new milestone (raised on each association)\n" +
        "  --json     also write the figures to FILE as one JSON object",
    );
    process.exit(0);
  }
  const scale = Number(values.scale);
  const timeoutMinutes = Number(values.timeout);
  if (!(scale > 0 && scale <= 10)) throw new Error("--scale must be a number in (0, 10]");
  if (!(timeoutMinutes > 0)) throw new Error("--timeout must be a positive number of minutes");
  const reaching = Number(values.reaching);
  if (!(reaching >= 0 && reaching <= 1)) throw new Error("--reaching must be a fraction in [0, 1]");
  return {
    scale,
    timeoutMinutes,
    breakdown: values.breakdown === true,
    withoutLifecycles: values["without-lifecycles"] === true,
    reaching,
    json: values.json,
  };
}

/** The app's settings for the host child: as test/support/app.ts, with Graph usage from the fake. */
function appSettings(run: string, graph: FakeGraph): Record<string, string> {
  return {
    ...isolatedAppSettings(run, "bench"),
    INCENTIVE_PROGRAM: programId,
    USAGE_PROVIDER: "graph",
    GRAPH_CLIENT_ID: graph.clientId,
    GRAPH_CLIENT_SECRET: graph.clientSecret,
    AZURE_AUTHORITY_HOST: graph.authorityHost,
    GRAPH_BASE_URL: graph.graphBaseUrl,
    DEFENDER_BASE_URL: graph.defenderBaseUrl,
  };
}

const dayMs = 86_400_000;
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);

/**
 * Every tenant as the fake Graph reports it: yesterday's reports, 400 Microsoft 365 E3 seats and 40
 * active users (10 %) in each claimed workload. Against the seeded baselines (20 active, 5 %) that is
 * a new reading that reaches no milestone and raises no flag: the everyday cycle, where the poller
 * judges each association and raises nothing (no orchestrator turn, no ledger, timeline or webhook
 * writes).
 */
function steadyTenant(): FakeGraphTenant {
  return tenantReporting(40);
}

/** A tenant at 80 active of 400 (20 %): the 15 % milestone, new on each claimed workload. */
function reachingTenant(): FakeGraphTenant {
  return tenantReporting(80);
}

/** Yesterday's reports: 400 E3 seats, `active` users in each claimed workload's report. */
function tenantReporting(active: number): FakeGraphTenant {
  const part = (share: number) => Math.round(active * share);
  return {
    refreshDate: isoDay(-1),
    skus: [{ skuPartNumber: "SPE_E3", enabled: 400 }],
    counts: {
      getOffice365ServicesUserCounts: {
        "Exchange Active": active,
        "SharePoint Active": active,
        "Teams Active": active,
        "Yammer Active": part(0.2),
      },
      getTeamsUserActivityUserCounts: {
        "Team Chat Messages": part(0.75),
        "Private Chat Messages": part(0.875),
        Meetings: part(0.5),
      },
      getM365AppUserCounts: {
        Outlook: active,
        Word: part(0.75),
        Excel: part(0.625),
        PowerPoint: part(0.25),
        OneNote: part(0.125),
      },
      getSharePointActivityUserCounts: { "Visited Page": part(0.75), "Viewed Or Edited": part(0.625) },
      getEmailActivityUserCounts: { Send: part(0.875), Read: active },
    },
  };
}

/**
 * The associations and claims as the approval path leaves them: Approved, baseline at approval
 * (5 % active of 400 seats), the program pinned, no flags, nothing recorded in the ledger (the
 * projection empty); one claims row per workload unit in the tenant's partition. Rows go in
 * entity-group transactions of up to 100 (associations by partner, claims by tenant), the entities
 * being exactly what the repositories write (checked on read below). Each tenant's previous reading
 * (the day before yesterday's report: 20 active of 400 in each claimed workload) is recorded
 * through the usage store itself, as the daily poll left it.
 */
async function seed(
  store: Store,
  tenantCount: number,
  reachingFraction: number,
  deadline: Deadline,
): Promise<Seeded> {
  const started = performance.now();
  const partners = Array.from({ length: partnerCount }, (_, i) => `bench-partner-${i + 1}`);
  const approvedAt = new Date(Date.now() - 30 * dayMs).toISOString();
  const createdAt = new Date(Date.now() - 40 * dayMs).toISOString();
  const tenants: string[] = [];
  const associations: Association[] = [];
  const claimsByTenant: TransactionAction[][] = [];
  for (let t = 0; t < tenantCount; t++) {
    const tenant = randomUUID();
    tenants.push(tenant);
    const claims: TransactionAction[] = [];
    for (let k = 0; k < associationsPerTenant; k++) {
      const partnerId = partners[(t + k) % partnerCount] as string;
      const workload = workloadsByIndex[k] as WorkloadId;
      const value = associationSchema.parse({
        id: randomUUID(),
        partnerId,
        kind: polledKind,
        status: "Approved",
        customerTenantId: tenant,
        units: [`workload:${workload}`],
        request: cporRequest({
          partnerLocationId: String(4_000_001 + ((t + k) % partnerCount)),
          customerTenantId: tenant,
          customerDomain: `tenant${t}.onmicrosoft.com`,
          workloads: [workload],
          claimName: `Tenant ${t} ${workload}`,
        }),
        createdAt,
        updatedAt: approvedAt,
        statusChangedAt: approvedAt,
        lastChangeId: randomUUID(),
        incentiveProgramId: programId,
        incentiveProgramVersion: 1,
        baseline: {
          approvedAt,
          workloads: { [workload]: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 } },
        },
        milestoneFlags: [],
        recordedMilestones: [],
      } satisfies Association);
      associations.push(value);
      claims.push([
        "create",
        checked({
          partitionKey: tenant,
          rowKey: `workload:${workload}`,
          partnerId,
          associationId: value.id,
          claimedAt: createdAt,
        }),
      ]);
    }
    claimsByTenant.push(claims);
  }

  const byPartner = new Map<string, TransactionAction[]>();
  for (const value of associations) {
    const actions = byPartner.get(value.partnerId) ?? [];
    actions.push(["create", checked(associationEntity(value))]);
    byPartner.set(value.partnerId, actions);
  }
  const batches: { table: TableClient; actions: TransactionAction[] }[] = [];
  const associationTable = await store.tables.table("associations");
  const claimTable = await store.tables.table("claims");
  for (const actions of byPartner.values())
    for (let i = 0; i < actions.length; i += 100)
      batches.push({ table: associationTable, actions: actions.slice(i, i + 100) });
  for (const actions of claimsByTenant) batches.push({ table: claimTable, actions });

  let done = 0;
  await pool(batches, 16, async (batch) => {
    deadline.check("seeding", () => `${done}/${batches.length} transactions`);
    await batch.table.submitTransaction(batch.actions);
    done++;
  });
  const previous = { paidSeats: 400, activeUsers: 20 };
  await pool(tenants, 16, async (customerTenantId) => {
    deadline.check("seeding the previous readings");
    await store.usageSnapshots.recordTenant({
      customerTenantId,
      reportRefreshDate: isoDay(-2),
      fetchedAt: new Date(Date.now() - dayMs).toISOString(),
      workloads: Object.fromEntries(workloadsByIndex.map((w) => [w, previous])),
      notMeasurable: {},
    });
  });
  return {
    tenants,
    reaching: tenants.slice(0, Math.round(tenants.length * reachingFraction)),
    associations,
    seconds: (performance.now() - started) / 1000,
    // Each previous reading: one point read and one entity-group transaction.
    transactions: batches.length + tenants.length * 2,
  };
}

/** The association's entity as AssociationRepository writes it (src/store/associations.ts codec). */
function associationEntity(value: Association) {
  const { units, request, baseline, milestoneFlags, recordedMilestones, ...rest } = value;
  return {
    partitionKey: rest.partnerId,
    rowKey: rest.id,
    ...rest,
    unitsJson: JSON.stringify(units),
    requestJson: JSON.stringify(request),
    ...(baseline ? { baselineJson: JSON.stringify(baseline) } : {}),
    ...(milestoneFlags ? { milestoneFlagsJson: JSON.stringify(milestoneFlags) } : {}),
    ...(recordedMilestones ? { recordedMilestonesJson: JSON.stringify(recordedMilestones) } : {}),
  };
}

/** Reads one tenant back the way the poller does (claims → associations), through the repositories. */
async function checkSeed(store: Store, seeded: Seeded): Promise<void> {
  const tenant = seeded.tenants[seeded.tenants.length - 1] as string;
  const claims = (await store.claims.listByTenant(tenant)).filter((c) => c.unit.startsWith("workload:"));
  const found = await Promise.all(claims.map((c) => store.associations.find(c.partnerId, c.associationId)));
  const approved = found.filter((f) => f?.value.status === "Approved" && f.value.kind === polledKind);
  if (approved.length !== associationsPerTenant)
    throw new Error(
      `seed check: tenant ${tenant} has ${approved.length} Approved associations through its claims`,
    );
  const page = await store.associations.listApproved({ kind: polledKind }, { pageSize: 10 });
  if (page.items.length === 0) throw new Error("seed check: listApproved finds nothing");
}

interface HubQueues {
  pending(): Promise<number>;
}

/** The task hub's control and work-item queues (devhost/src/durable/taskHub.ts names), read directly. */
function hubQueues(connection: string, hubName: string): HubQueues {
  const prefix = hubName.toLowerCase();
  const clients = [
    ...[0, 1, 2, 3].map((i) => new QueueClient(connection, `${prefix}-control-0${i}`)),
    new QueueClient(connection, `${prefix}-workitems`),
  ];
  return {
    async pending() {
      const counts = await Promise.all(clients.map((c) => approximateCount(c)));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

/** Messages in the queue, leased ones included; 0 for a queue that does not exist. */
async function approximateCount(queue: QueueClient): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 0;
    throw err;
  }
}

/** The lifecycle input each association's orchestration is started with (the same for template and clones). */
function lifecycleStart(a: Association) {
  return lifecycleInput.parse({
    associationId: a.id,
    partnerId: a.partnerId,
    status: "Approved",
    baselineRecorded: true,
    durations: {
      poeDeadlineMs: 6_000,
      refusalWindowMs: 3_000,
      partnerActionWindowMs: 3_000,
      disputeWindowMs: 3_000,
    },
  });
}

/**
 * Each association's lifecycle as production has it after approval: status Approved, baseline
 * recorded, waiting for UsageReported or StatusChanged (no timer, no activity in flight). The first
 * association's is started through the host's Durable HTTP API (what the DurableClient calls) and
 * runs its first turn in the host; once it has and the task hub's queues are empty, its storage rows
 * are cloned for every other association (bench/seedOrchestrations.ts: instance ID, execution ID and
 * input substituted), straight into Azurite, not through the proxies. Then a few clones are read
 * back through the host's status API, and one more clone (an instance ID that is no association, so
 * the cycle never sees it) is sent a UsageReported that is no reading: the host loads its history
 * from storage, replays it, drops the payload and continues it as new, which must leave it Running in
 * a new execution with the queues empty again. All before the cycle, so its figures do not see it.
 */
async function startOrchestrations(
  host: HostChild,
  associations: readonly Association[],
  hub: HubQueues,
  tables: HubTables,
  deadline: Deadline,
  log: (line: string) => void,
): Promise<{ seconds: number; cloned: number }> {
  const started = performance.now();
  const [template, ...others] = associations;
  if (!template) return { seconds: 0, cloned: 0 };
  const before = await host.stats();
  const input = lifecycleStart(template);
  const response = await fetch(
    `${host.url}/runtime/webhooks/durabletask/orchestrators/associationLifecycle/${template.id}`,
    { method: "POST", body: JSON.stringify(input), headers: { "content-type": "application/json" } },
  );
  await response.arrayBuffer();
  if (response.status !== 202)
    throw new Error(`starting orchestration ${template.id}: HTTP ${response.status}`);
  await waitForTurns(host, hub, before, 1, deadline, "waiting for the template orchestration's first turn");

  // The status row is written just after the commit (with the start message's delete): wait for it.
  const read = await (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await readTemplate(tables, template.id);
      } catch (err) {
        if (attempt >= 50) throw err;
        await sleep(100);
      }
    }
  })();
  if (read.historyRows.length > maxTransactionRows)
    log(
      `note: the template has ${read.historyRows.length} storage rows: more than one transaction per clone`,
    );
  const cloneStarted = performance.now();
  const targets = others.map((a) => ({ instanceId: a.id, input: lifecycleStart(a) }));
  let lastReport = Date.now();
  const { cloned, requests } = await cloneOrchestrations(tables, read, targets, {
    concurrency: 96,
    beforeEach: () => deadline.check("cloning orchestrations"),
    onProgress: (done) => {
      if (Date.now() - lastReport < 10_000) return;
      log(`orchestrations: ${done}/${targets.length} cloned`);
      lastReport = Date.now();
    },
  });
  const cloneSeconds = (performance.now() - cloneStarted) / 1000;
  log(
    `${cloned} orchestrations cloned from ${template.id} in ${cloneSeconds.toFixed(1)} s ` +
      `(${read.historyRows.length} history rows each, ${requests} storage requests, ` +
      `${Math.round(cloned / Math.max(cloneSeconds, 0.001))} instances/s)`,
  );

  // Read back through the host: a few clones, first, middle and last.
  const sample = [others[0], others[Math.floor(others.length / 2)], others.at(-1)].filter(
    (a): a is Association => a !== undefined,
  );
  for (const a of sample) await expectWaiting(host, a.id, lifecycleStart(a));

  // One more clone that the cycle never sees, run through a turn of the engine (see above).
  const check = `bench-seed-check-${randomUUID()}`;
  const checkInput = lifecycleInput.parse({ ...input, associationId: check, partnerId: "bench-seed-check" });
  await cloneOrchestrations(tables, read, [{ instanceId: check, input: checkInput }]);
  await expectWaiting(host, check, checkInput);
  const clonedExecution = String((await tables.instances.getEntity(check, ""))["ExecutionId"]);
  const beforeCheck = await host.stats();
  const raised = await fetch(
    `${host.url}/runtime/webhooks/durabletask/instances/${check}/raiseEvent/${lifecycleEvents.usageReported}`,
    {
      method: "POST",
      body: JSON.stringify({ check: "not a reading" }),
      headers: { "content-type": "application/json" },
    },
  );
  await raised.arrayBuffer();
  if (raised.status !== 202) throw new Error(`seed check: raising on ${check}: HTTP ${raised.status}`);
  // The raised event's turn (continueAsNew), then the new execution's first turn.
  await waitForTurns(host, hub, beforeCheck, 2, deadline, "the seeded clone check's turns");
  const after = await tables.instances.getEntity(check, "");
  if (after["ExecutionId"] === clonedExecution || after["RuntimeStatus"] !== "Running")
    throw new Error(
      `seed check: ${check} is ${String(after["RuntimeStatus"])} in execution ${String(after["ExecutionId"])} ` +
        `(cloned as ${clonedExecution}): the host did not continue it as new`,
    );
  await expectWaiting(host, check, checkInput);
  log(
    `seed check: ${sample.length} clones read back Running through the status API; clone ${check} ` +
      "replayed by the host and continued as new on an event",
  );
  return { seconds: (performance.now() - started) / 1000, cloned };
}

/** An entity-group transaction's limit: a template above it costs more than one per clone. */
const maxTransactionRows = 100;

/** Waits until `count` more associationLifecycle turns succeeded and the task hub's queues are empty. */
async function waitForTurns(
  host: HostChild,
  hub: HubQueues,
  before: HostStats,
  count: number,
  deadline: Deadline,
  phase: string,
): Promise<void> {
  for (;;) {
    const turns = delta(await host.stats(), before, "associationLifecycle");
    deadline.check(phase, () => `${turns}/${count} turns`);
    if (turns >= count && (await hub.pending()) === 0) return;
    await sleep(200);
  }
}

/** The instance as the host's status API answers it: Running, in the usage loop, with `input`. */
async function expectWaiting(host: HostChild, instanceId: string, input: unknown): Promise<void> {
  const response = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${instanceId}`);
  const body = (await response.json()) as Record<string, unknown>;
  const expected = {
    name: "associationLifecycle",
    instanceId,
    runtimeStatus: "Running",
    input,
    customStatus: { status: "Approved" },
  };
  const got = Object.fromEntries(Object.keys(expected).map((k) => [k, body[k]]));
  if (JSON.stringify(got) !== JSON.stringify(expected))
    throw new Error(
      `seed check: ${instanceId} answers ${response.status} ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
    );
}

async function idleRate(tables: CountingProxy, queues: CountingProxy, ms: number) {
  const before = tables.count + queues.count;
  await sleep(ms);
  return { perSecond: ((tables.count + queues.count - before) * 1000) / ms };
}

/** The timer's cross-partition scan alone (same filter, pages of 1000), straight to Azurite. */
async function timeListing(store: Store): Promise<{ seconds: number; pages: number; rows: number }> {
  const started = performance.now();
  let pages = 0;
  let rows = 0;
  let continuationToken: string | undefined;
  do {
    const page = await store.associations.listApproved(
      { kind: polledKind },
      { pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) },
    );
    pages++;
    rows += page.items.length;
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return { seconds: (performance.now() - started) / 1000, pages, rows };
}

/** Linux: writing 5 to clear_refs resets VmHWM to the current RSS. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) of the host, of Azurite and of this process so far. */
function cpuSeconds(hostPid: number, azurite: number | undefined) {
  const own = process.cpuUsage();
  return {
    host: cpuSecondsOf(hostPid),
    azurite: cpuSecondsOf(azurite),
    bench: (own.user + own.system) / 1e6,
  };
}

interface ClassifyingProxy {
  port: number;
  /** Requests per table or queue kind (`table usageSnapshots`, `queue usage-poll`, `task hub History`…). */
  counts: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A pass-through proxy (like bench/countingProxy.ts, placed in front of it) that counts requests by
 * the table or queue they address, the run's prefixes taken off. Only with --breakdown.
 */
async function startClassifyingProxy(targetPort: number): Promise<ClassifyingProxy> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const kind = storageKind(req.method ?? "GET", req.url ?? "/");
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const upstream = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `/devstoreaccount1/<table>(…)` or `/devstoreaccount1/<queue>/messages…` → a kind without the run's names. */
function storageKind(method: string, url: string): string {
  const segment = decodeURIComponent(url.split("?")[0]?.split("/")[2] ?? "");
  const name = segment.replace(/\(.*$/, "");
  if (name === "" || name === "Tables" || name === "$batch") return `table ${name || "service"}`;
  const hub = /^bench[0-9a-f]{8}(History|Instances)$/i.exec(name);
  if (hub) return `task hub ${hub[1]}`;
  const table = /^bench[0-9a-f]{8}(\w+)$/.exec(name);
  if (table) return `table ${table[1]}`;
  const control = /^bench[0-9a-f]{8}-(control|workitems)/.exec(name);
  if (control) return `task hub ${control[1]} queues`;
  const queue = /^(.*?)-[0-9a-f]{8}(-poison)?$/.exec(name);
  if (queue) return `queue ${queue[1]}${queue[2] ?? ""}`;
  return `${method} ${name}`;
}

function memoryOf(pid: number): { hwmKb: number; rssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { hwmKb: kb("VmHWM"), rssKb: kb("VmRSS") };
}

const mib = (kb: number) => (kb / 1024).toFixed(0);
const round = (n: number) => Math.round(n * 100) / 100;

const delta = (now: HostStats, before: HostStats, fn: string) =>
  (now.succeeded[fn] ?? 0) - (before.succeeded[fn] ?? 0);
const fdelta = (now: HostStats, before: HostStats, fn: string) =>
  (now.failed[fn] ?? 0) - (before.failed[fn] ?? 0);

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** The host child and the few commands it takes over IPC. */
class HostChild {
  private readonly waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  private nextId = 1;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
    );
    child.on("message", (message: Record<string, unknown>) => {
      const id = message["id"];
      if (typeof id !== "number") return;
      this.waiting.get(id)?.(message);
      this.waiting.delete(id);
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  static async spawn(env: Record<string, string>, timeoutMs: number): Promise<HostChild> {
    // The host's Node arguments as `npm start` gives them (its old-space cap included).
    const nodeArguments = hostNodeArguments((name) => env[name] ?? process.env[name]);
    const child = spawn(process.execPath, [...nodeArguments, "--import", "tsx", __filename], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...env, BENCH_USAGE_ROLE: "host" },
    });
    const output: string[] = [];
    const keep = (line: string) => {
      output.push(line);
      if (output.length > 40) output.shift();
      console.error(`[host] ${line}`);
    };
    if (child.stdout) createInterface({ input: child.stdout }).on("line", keep);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", keep);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the host did not start within ${timeoutMs} ms:\n${output.join("\n")}`));
      }, timeoutMs);
      child.once("message", (message: { type?: string; url?: string }) => {
        if (message.type !== "ready" || !message.url) return;
        clearTimeout(timer);
        resolve(message.url);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the host exited with ${code}:\n${output.join("\n")}`));
      });
    });
    return new HostChild(child, url);
  }

  private request(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the host did not answer "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.send({ id, type });
    });
  }

  async stats(): Promise<HostStats> {
    return (await this.request("stats", 30_000))["stats"] as HostStats;
  }

  async fireTimer(): Promise<{ ok: boolean; durationMs: number; error?: string }> {
    const reply = await this.request("fire", 3_600_000);
    return {
      ok: reply["ok"] === true,
      durationMs: Number(reply["durationMs"]),
      ...(typeof reply["error"] === "string" ? { error: reply["error"] } : {}),
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const force = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    this.child.kill("SIGTERM");
    await this.exited;
    clearTimeout(force);
  }
}

// ---------------------------------------------------------------------------------------------
// The child: the local host with the real app, counting its own log lines.

async function hostRole(): Promise<void> {
  const connection = process.env["BENCH_CONNECTION"];
  if (!connection || !process.send) {
    console.error("bench/usagePoll.ts: the host role needs BENCH_CONNECTION and an IPC channel");
    process.exit(1);
  }
  const stats: HostStats = {
    succeeded: {},
    failed: {},
    lastSucceededAt: {},
    tenantsRead: 0,
    judged: 0,
    raised: 0,
    unchanged: 0,
    tenantsRaised: 0,
    nothingRaised: 0,
    noOrchestration: 0,
    raiseFailures: 0,
    poisoned: 0,
    errorLines: 0,
  };
  const tenantDurations: number[] = [];
  let printed = 0;
  const tally = (line: string) => {
    const invocation = /^(\S+) \S+ ([\d.]+)ms (Succeeded|Failed)/.exec(line);
    if (invocation) {
      const [, fn = "", ms = "0", outcome] = invocation;
      if (outcome === "Succeeded") {
        stats.succeeded[fn] = (stats.succeeded[fn] ?? 0) + 1;
        stats.lastSucceededAt[fn] = Date.now();
        if (fn === "usagePollTenant") tenantDurations.push(Number(ms));
      } else stats.failed[fn] = (stats.failed[fn] ?? 0) + 1;
      return;
    }
    const judged =
      /(\d+) Approved association\(s\) judged: UsageReported raised on (\d+) association\(s\), (\d+) unchanged/.exec(
        line,
      );
    if (judged || line.includes("nothing new, nothing raised") || line.includes("usage cannot be read"))
      stats.tenantsRead++;
    if (judged) {
      stats.judged += Number(judged[1]);
      stats.raised += Number(judged[2]);
      stats.unchanged += Number(judged[3]);
      if (Number(judged[2]) > 0) stats.tenantsRaised++;
    } else if (line.includes("nothing new, nothing raised")) stats.nothingRaised++;
    else if (line.includes("has no lifecycle orchestration")) stats.noOrchestration++;
    else if (/raising UsageReported on association \S+ failed/.test(line)) stats.raiseFailures++;
    else if (/queue usagePollTenant: moving message/.test(line)) stats.poisoned++;
    const enqueued = /usagePoll: (\d+) tenant\(s\) enqueued in (\d+) message\(s\) for (\d+) association/.exec(
      line,
    );
    if (enqueued)
      stats.timerEnqueued = {
        tenants: Number(enqueued[1]),
        messages: Number(enqueued[2]),
        associations: Number(enqueued[3]),
      };
  };
  const logger: Logger = {
    info: tally,
    error: (line) => {
      tally(line);
      stats.errorLines++;
      if (printed++ < 20) console.error(line.slice(0, 400));
    },
  };

  let host: RunningHost;
  try {
    host = await startHost({ appDir: ".", port: 0, connection, logger });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  const invoker = new Invoker(host.app.core, logger, host.config.functionTimeoutMs);
  const timerFn = host.app.registry.find("usagePoll");

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    printed = Number.POSITIVE_INFINITY; // invocations cut short by the stop are not news
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent gone (crashed or killed): do not outlive it.
  process.on("disconnect", stop);

  process.on("message", (message: { id: number; type: string }) => {
    const reply = (body: Record<string, unknown>): void => {
      process.send?.({ id: message.id, ...body });
    };
    if (message.type === "stats") {
      const sorted = [...tenantDurations].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      reply({
        stats: {
          ...stats,
          ...(sorted.length > 0 ? { tenantMs: { p50: at(0.5), p95: at(0.95), max: at(1) } } : {}),
        },
      });
    } else if (message.type === "fire") {
      if (!timerFn) {
        reply({ ok: false, durationMs: 0, error: "the app has no usagePoll function" });
        return;
      }
      // What the timer loop does for one occurrence (devhost/src/triggers/timerTriggers.ts `attempt`).
      const now = new Date();
      const never = new Date("0001-01-01T00:00:00.000Z");
      void invoker
        .invoke(timerFn, {
          inputData: [
            {
              name: timerFn.trigger.name,
              data: timerInput({ last: never, next: now, lastUpdated: never }, false),
            },
          ],
        })
        .then(async (result) => {
          if (result.ok) await writeOutputBindings(timerFn, result.response, process.env);
          reply({
            ok: result.ok,
            durationMs: result.durationMs,
            ...(result.ok ? {} : { error: result.error.message }),
          });
        })
        .catch((err: unknown) => reply({ ok: false, durationMs: 0, error: String(err) }));
    }
  });
  process.send({ type: "ready", url: host.url });
}

// Declared last: both roles use the constants above.
if (process.env["BENCH_USAGE_ROLE"] === "host") void hostRole();
else
  void main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
