import { randomBytes, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connectionStringFor, startAzurite } from "devhost";
import { spawnHost, type HostProcess } from "../devhost/test/support/hostProcess";
import { callApi, onboardPartner } from "../test/support/appProcess";
import { isolatedAppSettings } from "../test/support/appSettings";
import { cporRequest, poeSubmissionFor } from "../test/support/builders";
import { startCountingProxy, type CountingProxy } from "./countingProxy";
import { rawAzuriteRates } from "./rawAzurite";

/**
 * `npm run bench:lifecycles -- [--claims 200] [--concurrency 16] [--json FILE]`: claims driven end to
 * end through the partner API on the real app and the local host (a child process), as a partner's
 * tool drives them:
 * 1. create a CPOR claim and submit its PoE (201, 202), `--concurrency` claims at a time; the
 *    lifecycle submits it, emails the customer and moves it to UnderReview. Reported: claims per
 *    second from the first create to the last UnderReview, and its ratio to Azurite's raw
 *    sequential upserts per second measured in the same run;
 * 2. record Partner Center's approval (`POST /review`) on each; the lifecycle records the baseline
 *    and waits in its usage loop. With step 1 this is one full lifecycle up to the daily readings.
 * Storage transactions are counted per claim and step by proxies in front of Azurite's table,
 * queue and blob ports (the host's idle polling and this bench's status polling included: a few
 * list pages a second). Exits 1 when a claim does not get there within `--timeout` seconds.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      claims: { type: "string", default: "200" },
      concurrency: { type: "string", default: "16" },
      timeout: { type: "string", default: "300" },
      json: { type: "string" },
    },
  });
  const claims = Number(values.claims);
  const concurrency = Number(values.concurrency);
  const timeoutMs = Number(values.timeout) * 1000;
  const azurite = await startAzurite();
  const proxies = {
    table: await startCountingProxy(azurite.ports.table),
    queue: await startCountingProxy(azurite.ports.queue),
    blob: await startCountingProxy(azurite.ports.blob),
  };
  let host: HostProcess | undefined;
  try {
    const raw = await rawAzuriteRates(azurite.connectionString);
    const settings: Record<string, string> = {
      ...isolatedAppSettings(randomBytes(4).toString("hex"), "bench"),
      // Each claim stays UnderReview until the bench records Partner Center's approval, as in
      // production (the tests' few-second window would move claims on by itself).
      LIFECYCLE_REFUSAL_WINDOW: "P10D",
      // One partner at the bench's rate is a load test, not the runaway script the per-partner limit
      // is for: the limiter still runs (its cost is in the figures), set far above the rate.
      PARTNER_RATE_LIMIT_PER_SECOND: "10000",
      PARTNER_RATE_LIMIT_BURST: "10000",
    };
    const connection = connectionStringFor({
      table: proxies.table.port,
      queue: proxies.queue.port,
      blob: proxies.blob.port,
    });
    host = await spawnHost(".", connection, settings, 60_000);
    const api = await partnerApi(host.url, settings["ADMIN_API_KEY"] ?? "");

    const toReview = await phase(proxies, claims, async () => {
      const ids = await pool(claims, concurrency, () => createAndSubmit(api));
      await waitUntil(
        () => countInStatus(api, "UnderReview").then((n) => n >= claims),
        timeoutMs,
        "UnderReview",
        () => statusesOf(api),
      );
      return ids;
    });
    const toUsageLoop = await phase(proxies, claims, async () => {
      const ids = toReview.result;
      await pool(ids.length, concurrency, (i) => approve(api, ids[i] as string));
      await waitForBaselines(api, ids, timeoutMs);
      return ids;
    });

    const lifecyclesPerSecond = claims / toReview.seconds;
    const perLifecycle = sumCounts(toReview.perClaim, toUsageLoop.perClaim);
    const figures = {
      claims,
      concurrency,
      lifecyclesPerSecond: round(lifecyclesPerSecond, 2),
      lifecyclesRatioToRaw: round(lifecyclesPerSecond / raw.upsertsPerSecond, 4),
      rawUpsertsPerSecond: round(raw.upsertsPerSecond, 0),
      underReviewSeconds: round(toReview.seconds, 2),
      approvedToUsageLoopSeconds: round(toUsageLoop.seconds, 2),
      transactionsToUnderReview: toReview.perClaim,
      transactionsApprovalToUsageLoop: toUsageLoop.perClaim,
      transactionsPerLifecycle: perLifecycle,
    };
    console.log(
      `Azurite raw: ${figures.rawUpsertsPerSecond} upserts/s (sequential)\n` +
        `create → UnderReview: ${claims} claims in ${figures.underReviewSeconds} s = ${figures.lifecyclesPerSecond} claims/s (${figures.lifecyclesRatioToRaw} × raw upserts/s); ` +
        `${describe(toReview.perClaim)} storage transactions per claim\n` +
        `approval → baseline, waiting for usage: ${figures.approvedToUsageLoopSeconds} s; ${describe(toUsageLoop.perClaim)} per claim\n` +
        `one lifecycle up to the usage loop: ${describe(perLifecycle)} storage transactions`,
    );
    console.log(JSON.stringify(figures));
    if (values.json) await writeFile(values.json, `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await host?.stop();
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    await azurite.stop();
  }
}

type Counts = Record<"table" | "queue" | "blob" | "total", number>;

interface Api {
  url: string;
  apiKey: string;
  locationId: string;
}

async function partnerApi(url: string, adminKey: string): Promise<Api> {
  const partner = await onboardPartner(url, adminKey);
  return { url, apiKey: partner.apiKey, locationId: partner.locationId };
}

/** Runs `work` and counts the storage transactions it caused, per claim. */
async function phase<T>(
  proxies: Record<"table" | "queue" | "blob", CountingProxy>,
  claims: number,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; perClaim: Counts }> {
  const before = countsOf(proxies);
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const after = countsOf(proxies);
  const perClaim = (key: keyof Counts) => round((after[key] - before[key]) / claims, 1);
  return {
    result,
    seconds,
    perClaim: {
      table: perClaim("table"),
      queue: perClaim("queue"),
      blob: perClaim("blob"),
      total: perClaim("total"),
    },
  };
}

function countsOf(proxies: Record<"table" | "queue" | "blob", CountingProxy>): Counts {
  const { table, queue, blob } = {
    table: proxies.table.count,
    queue: proxies.queue.count,
    blob: proxies.blob.count,
  };
  return { table, queue, blob, total: table + queue + blob };
}

function sumCounts(a: Counts, b: Counts): Counts {
  return {
    table: round(a.table + b.table, 1),
    queue: round(a.queue + b.queue, 1),
    blob: round(a.blob + b.blob, 1),
    total: round(a.total + b.total, 1),
  };
}

/** One claim on a customer tenant of its own, with its PoE submitted; its ID. */
async function createAndSubmit(api: Api): Promise<string> {
  const created = await expectStatus(
    callApi(
      api.url,
      api.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: api.locationId, customerTenantId: randomUUID() }),
    ),
    201,
    "create",
  );
  const { id } = (await created.json()) as { id: string };
  await expectStatus(
    callApi(api.url, api.apiKey, "POST", `/api/v1/associations/${id}/poe`, poeSubmissionFor()),
    202,
    "poe",
  );
  return id;
}

async function approve(api: Api, id: string): Promise<void> {
  await expectStatus(
    callApi(api.url, api.apiKey, "POST", `/api/v1/associations/${id}/review`, { outcome: "approved" }),
    200,
    "review",
  );
}

/** How many of the partner's associations are in `status` (every page). */
async function countInStatus(api: Api, status: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const query = new URLSearchParams({
      status,
      pageSize: "500",
      ...(token ? { continuationToken: token } : {}),
    });
    const response = await expectStatus(
      callApi(api.url, api.apiKey, "GET", `/api/v1/associations?${query.toString()}`),
      200,
      "list",
    );
    const page = (await response.json()) as { items: unknown[]; continuationToken?: string };
    count += page.items.length;
    token = page.continuationToken;
  } while (token);
  return count;
}

/** The partner's associations by status, e.g. `{"UnderReview":38,"Submitted":2}`. */
async function statusesOf(api: Api): Promise<string> {
  const response = await callApi(api.url, api.apiKey, "GET", "/api/v1/associations?pageSize=500");
  const page = (await response.json()) as { items: { status: string }[] };
  const counts: Record<string, number> = {};
  for (const { status } of page.items) counts[status] = (counts[status] ?? 0) + 1;
  return JSON.stringify(counts);
}

/** Until every claim's usage view shows its baseline (recorded by the lifecycle at approval). */
async function waitForBaselines(api: Api, ids: readonly string[], timeoutMs: number): Promise<void> {
  let waiting = [...ids];
  await waitUntil(
    async () => {
      const done = await Promise.all(waiting.map((id) => hasBaseline(api, id)));
      waiting = waiting.filter((_, i) => !done[i]);
      return waiting.length === 0;
    },
    timeoutMs,
    "baseline recorded",
  );
}

async function hasBaseline(api: Api, id: string): Promise<boolean> {
  const response = await expectStatus(
    callApi(api.url, api.apiKey, "GET", `/api/v1/associations/${id}/usage`),
    200,
    "usage",
  );
  return ((await response.json()) as { baseline: unknown }).baseline !== null;
}

/** Polls `done` 4 times a second; after `timeoutMs`, throws with what `state` says of the claims. */
async function waitUntil(
  done: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  state: () => Promise<string> = () => Promise.resolve(""),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`not every claim reached "${what}" within ${timeoutMs / 1000} s ${await state()}`);
    await sleep(250);
  }
}

/** Runs `work(i)` for i in [0, count), at most `concurrency` at once; the results in order. */
async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

async function expectStatus(pending: Promise<Response>, status: number, what: string): Promise<Response> {
  const response = await pending;
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

const describe = (c: Counts) => `${c.total} (table ${c.table}, queue ${c.queue}, blob ${c.blob})`;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
