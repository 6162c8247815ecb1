import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createStore, type Store } from "../../../src/store/store";
import {
  startFaultyStorageProxy,
  type FaultMode,
  type FaultyStorageProxy,
} from "../../fixtures/faultyStorageProxy";
import {
  appProcessSettings,
  onboardPartner,
  spawnApp,
  type AppProcessSettings,
} from "../../support/appProcess";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import type { HostProcess } from "../../../devhost/test/support/hostProcess";
import { partnerClient, postConsent, titleOf, type Outcome } from "./retryingClient";

/**
 * The product's multi-step writes stay resumable when Azure Storage fails under them. The app runs
 * on the local host (a child process) whose storage connection points at a fault-injecting proxy in
 * front of Azurite; the tests drive it only through the partner API and the consent page, as a
 * well-behaved client does (same Idempotency-Key on every retry), and check what storage holds
 * afterwards on Azurite directly. Table Storage's SDK tries a request 4 times (3 retries with
 * backoff): "every SDK attempt" below means the request's storage call fails for good.
 */

interface View {
  id: string;
  status: string;
  customerTenantId: string;
  units?: string[];
  timeline?: { at: string; kind: string; to?: string; from?: string; actor: string; reason: string }[];
}

const poe = poeSubmissionFor();

const holdingStatuses = new Set([
  "Draft",
  "Submitted",
  "UnderReview",
  "PartnerActionRequired",
  "Approved",
  "Dispute",
]);

/** One app behind its own proxy, with its own tables, hub and queues. */
async function startAppBehindProxy(settings: AppProcessSettings) {
  const azurite = inject("storageConnectionString");
  const proxy = await startFaultyStorageProxy(azurite);
  const host = await spawnApp(proxy.connectionString, settings);
  const prefix = settings.env["TABLE_PREFIX"] ?? "";
  // Assertions read Azurite directly, past the proxy.
  const store = createStore(azurite, { prefix });
  return { proxy, host, store, prefix };
}

/** `/<account>/<prefix><table>` or, with a row key, the entity's own path. */
function tablePath(prefix: string, table: string, rowKey?: string): RegExp {
  const entity = rowKey === undefined ? "" : `\\(PartitionKey='[^']*',RowKey='${rowKey}'\\)`;
  return new RegExp(`^/[^/]+/${prefix}${table}${entity}$`);
}

function summary(outcome: Outcome): string {
  return JSON.stringify({
    status: outcome.status,
    attempts: outcome.attempts,
    body: outcome.body.slice(0, 400),
  });
}

/** The consent link of the association's one email, on this host (the email names the public base URL). */
function consentPageOf(emailText: string, hostUrl: string): string {
  const path = /\/api\/consent\/[A-Za-z0-9._~-]+/.exec(emailText)?.[0];
  if (!path) throw new Error(`no consent link in the email:\n${emailText}`);
  return `${hostUrl}${path}`;
}

function duplicatesOf(timeline: NonNullable<View["timeline"]>): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of timeline) {
    const key = `${e.at}|${e.kind}|${e.to ?? ""}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}

describe("storage faults, one at a time", () => {
  let proxy: FaultyStorageProxy;
  let host: HostProcess;
  let store: Store;
  let prefix: string;
  let partner: { partnerId: string; apiKey: string; locationId: string };
  let rival: { partnerId: string; apiKey: string; locationId: string };
  let client: ReturnType<typeof partnerClient>;

  let appSettings: AppProcessSettings;

  beforeAll(async () => {
    // Long windows: nothing moves by itself while a case sets up its fault.
    appSettings = appProcessSettings({ LIFECYCLE_POE_DEADLINE: "PT10M", LIFECYCLE_REFUSAL_WINDOW: "PT10M" });
    ({ proxy, host, store, prefix } = await startAppBehindProxy(appSettings));
    partner = await onboardPartner(host.url, appSettings.adminKey, "Fabrikam Consulting");
    rival = await onboardPartner(host.url, appSettings.adminKey, "Contoso Partners");
    client = partnerClient(host.url, partner.apiKey);
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
    await proxy?.close();
  });

  const associationInsert = () => ({
    service: "table" as const,
    method: "POST",
    path: tablePath(prefix, "associations"),
  });

  const read = (id: string) => client.get<View>(`/api/v1/associations/${id}`);

  async function waitForStatus(id: string, wanted: readonly string[], timeoutMs = 30_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    let last: View | undefined;
    while (Date.now() < deadline) {
      last = await read(id);
      if (wanted.includes(last.status)) return last;
      await sleep(200);
    }
    throw new Error(`association ${id} stayed ${last?.status}, wanted ${wanted.join(" or ")}`);
  }

  /** The units of the tenant as storage holds them: every one by `associationId`, each exactly once. */
  async function expectUnitsHeldBy(tenant: string, associationId: string, units: readonly string[]) {
    const claims = await store.claims.listByTenant(tenant);
    expect(claims.map((c) => c.unit).sort()).toEqual([...units].sort());
    expect(new Set(claims.map((c) => c.associationId))).toEqual(new Set([associationId]));
    const list = await client.get<{ items: View[] }>(`/api/v1/associations?customerTenantId=${tenant}`);
    expect(list.items.map((a) => a.id)).toEqual([associationId]);
    const taken = await partnerClient(host.url, rival.apiKey).post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: rival.locationId, customerTenantId: tenant }),
      randomUUID(),
    );
    expect(taken.status, summary(taken)).toBe(409);
  }

  async function underReview(): Promise<{ id: string; tenant: string; page: string }> {
    const tenant = randomUUID();
    const created = await client.post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
      randomUUID(),
    );
    expect(created.status, summary(created)).toBe(201);
    const { id } = JSON.parse(created.body) as View;
    const submitted = await client.post(`/api/v1/associations/${id}/poe`, poe, randomUUID());
    expect(submitted.status, summary(submitted)).toBe(202);
    await waitForStatus(id, ["UnderReview"]);
    const outbox = await client.get<{ items: { kind: string; text: string }[] }>(
      `/api/v1/outbox?associationId=${id}`,
    );
    expect(outbox.items).toHaveLength(1);
    return { id, tenant, page: consentPageOf(outbox.items[0]?.text ?? "", host.url) };
  }

  describe("1. the association insert's answer is lost after the write", () => {
    it.each<{ mode: FaultMode; times: number; label: string }>([
      { mode: "error-after-write", times: 1, label: "500 after the write, once" },
      { mode: "error-after-write", times: 4, label: "500 after the write, on every SDK attempt" },
      { mode: "drop-after-write", times: 1, label: "connection dropped after the write, once" },
      {
        mode: "drop-after-write",
        times: 4,
        label: "connection dropped after the write, on every SDK attempt",
      },
    ])(
      "$label: the retry answers 201 with the same Draft association, its workflow runs, units held once",
      async ({ mode, times }) => {
        const tenant = randomUUID();
        const key = randomUUID();
        const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant });
        const rule = proxy.failNext({ ...associationInsert(), mode, times });
        const first = await client.post("/api/v1/associations", body, key);
        expect(rule.remaining).toBe(0);
        expect(rule.hits[0]?.upstreamStatus).toBeGreaterThanOrEqual(200); // the insert did happen
        expect(rule.hits[0]?.upstreamStatus).toBeLessThan(300);
        if (times === 4) expect(first.attempts[0]?.status ?? 0, summary(first)).toBeGreaterThanOrEqual(500);
        expect(first.status, summary(first)).toBe(201);
        expect(
          first.attempts.filter((a) => a.status === 409),
          summary(first),
        ).toEqual([]);
        const created = JSON.parse(first.body) as View;
        expect(created.status).toBe("Draft");

        const again = await client.post("/api/v1/associations", body, key);
        expect(again.status, summary(again)).toBe(201);
        expect((JSON.parse(again.body) as View).id).toBe(created.id);
        expect((await read(created.id)).status).toBe("Draft");
        await expectUnitsHeldBy(tenant, created.id, created.units ?? []);

        const submitted = await client.post(`/api/v1/associations/${created.id}/poe`, poe, randomUUID());
        expect(submitted.status, summary(submitted)).toBe(202);
        const moved = await waitForStatus(created.id, ["Submitted", "UnderReview"]);
        expect(duplicatesOf(moved.timeline ?? [])).toEqual([]);
        await expectUnitsHeldBy(tenant, created.id, created.units ?? []);
      },
      60_000,
    );
  });

  it("2. claims written, association insert busy until the SDK gives up: the retry finishes the create (201, no 409)", async () => {
    const tenant = randomUUID();
    const key = randomUUID();
    const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant });
    const rule = proxy.failNext({ ...associationInsert(), mode: "busy", times: 4 });
    const outcome = await client.post("/api/v1/associations", body, key);
    expect(rule.hits).toHaveLength(4);
    expect(outcome.attempts[0]?.status ?? 0, summary(outcome)).toBeGreaterThanOrEqual(500);
    expect(outcome.status, summary(outcome)).toBe(201);
    expect(
      outcome.attempts.some((a) => a.status === 409),
      summary(outcome),
    ).toBe(false);
    const created = JSON.parse(outcome.body) as View;
    expect(created.status).toBe("Draft");
    await expectUnitsHeldBy(tenant, created.id, created.units ?? []);
  }, 60_000);

  describe("3. a customer's refusal while the association write fails", () => {
    it("busy until the SDK gives up: an error page, nothing recorded; the customer's retry is applied", async () => {
      const { id, tenant, page } = await underReview();
      const rule = proxy.failNext({
        service: "table",
        method: "PUT",
        path: tablePath(prefix, "associations", id),
        mode: "busy",
        times: 4,
      });
      const first = await postConsent(page, "action=refuse&reason=We+did+not+hire+them", { attempts: 1 });
      expect(rule.remaining).toBe(0);
      expect(first.status, summary(first)).toBeGreaterThanOrEqual(500);
      expect(first.body).not.toMatch(/recorded/i);
      expect((await read(id)).status).toBe("UnderReview");

      const retry = await postConsent(page, "action=refuse&reason=We+did+not+hire+them");
      expect(retry.status, summary(retry)).toBe(200);
      expect(titleOf(retry.body)).toBe("Your decision is recorded");
      const rejected = await waitForStatus(id, ["Rejected"]);
      const refusals = (rejected.timeline ?? []).filter((e) => e.to === "Rejected");
      expect(refusals.map((e) => e.actor)).toEqual(["customer"]);
      expect(duplicatesOf(rejected.timeline ?? [])).toEqual([]);
      expect(await store.claims.listByTenant(tenant)).toEqual([]);
    }, 60_000);

    it("500 after the write, once: the page says recorded, and it is", async () => {
      const { id, tenant, page } = await underReview();
      const rule = proxy.failNext({
        service: "table",
        method: "PUT",
        path: tablePath(prefix, "associations", id),
        mode: "error-after-write",
        times: 1,
      });
      const outcome = await postConsent(page, "action=refuse");
      expect(rule.hits).toHaveLength(1);
      expect(outcome.status, summary(outcome)).toBe(200);
      expect(titleOf(outcome.body)).toBe("Your decision is recorded");
      const view = await read(id);
      expect(view.status).toBe("Rejected");
      expect((view.timeline ?? []).filter((e) => e.to === "Rejected")).toHaveLength(1);
      expect(await store.claims.listByTenant(tenant)).toEqual([]);
    }, 60_000);

    it("connection dropped after the write on every SDK attempt: 'already recorded' only once it is applied, with its effects", async () => {
      const { id, tenant, page } = await underReview();
      const rule = proxy.failNext({
        service: "table",
        method: "PUT",
        path: tablePath(prefix, "associations", id),
        mode: "drop-after-write",
        times: 4,
      });
      const first = await postConsent(page, "action=refuse", { attempts: 1 });
      expect(rule.remaining).toBe(0);
      const afterFirst = await read(id);
      if (titleOf(first.body) === "Already recorded" || titleOf(first.body) === "Your decision is recorded")
        expect(afterFirst.status).toBe("Rejected");
      const retry = await postConsent(page, "action=refuse");
      expect(retry.status, summary(retry)).toBe(200);
      expect(["Your decision is recorded", "Already recorded"]).toContain(titleOf(retry.body));
      const view = await waitForStatus(id, ["Rejected"]);
      expect((view.timeline ?? []).filter((e) => e.to === "Rejected").map((e) => e.actor)).toEqual([
        "customer",
      ]);
      expect(duplicatesOf(view.timeline ?? [])).toEqual([]);
      expect(await store.claims.listByTenant(tenant)).toEqual([]);
    }, 60_000);
  });

  describe("4. the idempotency-key write that completes a request loses its answer", () => {
    it.each<{ mode: FaultMode; times: number; label: string }>([
      { mode: "drop-after-write", times: 1, label: "connection dropped after the write, once" },
      {
        mode: "drop-after-write",
        times: 4,
        label: "connection dropped after the write, on every SDK attempt",
      },
      { mode: "error-after-write", times: 1, label: "500 after the write, once" },
    ])(
      "$label: the client's retry gets the stored response",
      async ({ mode, times }) => {
        const key = randomUUID();
        const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() });
        const rule = proxy.failNext({
          service: "table",
          method: "PUT",
          path: tablePath(prefix, "idempotencyKeys", "[0-9a-f]{64}"),
          mode,
          times,
        });
        const first = await client.post("/api/v1/associations", body, key);
        expect(rule.remaining).toBe(0);
        expect(rule.hits[0]?.upstreamStatus).toBe(204);
        expect(first.status, summary(first)).toBe(201);
        const replay = await client.post("/api/v1/associations", body, key);
        expect(replay.status, summary(replay)).toBe(201);
        expect(replay.headers.get("idempotent-replayed")).toBe("true");
        expect(JSON.parse(replay.body)).toEqual(JSON.parse(first.body));
        expect([...first.attempts, ...replay.attempts].filter((a) => a.status === 409)).toEqual([]);
      },
      60_000,
    );
  });

  describe("4b. the idempotency-key insert that begins a request loses its answer", () => {
    it.each<{ mode: FaultMode; label: string }>([
      { mode: "drop-after-write", label: "connection dropped after the write" },
      { mode: "error-after-write", label: "500 after the write" },
    ])(
      "$label: the request is processed, not answered 409 'Request in progress'",
      async ({ mode }) => {
        const key = randomUUID();
        const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() });
        const rule = proxy.failNext({
          service: "table",
          method: "POST",
          path: tablePath(prefix, "idempotencyKeys"),
          mode,
          times: 1,
        });
        const outcome = await client.post("/api/v1/associations", body, key, { attempts: 4 });
        expect(rule.hits[0]?.upstreamStatus).toBeGreaterThanOrEqual(200); // the in-flight marker was written
        expect(rule.hits[0]?.upstreamStatus).toBeLessThan(300);
        expect(
          outcome.attempts.filter((a) => a.status === 409),
          summary(outcome),
        ).toEqual([]);
        expect(outcome.status, summary(outcome)).toBe(201);
      },
      60_000,
    );
  });

  describe("5. a failed first attempt releases its in-flight marker at once", () => {
    it("the immediate retry with the same key is processed", async () => {
      const key = randomUUID();
      const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() });
      proxy.failNext({ ...associationInsert(), mode: "busy", times: 4 });
      const failed = await client.postOnce("/api/v1/associations", body, key);
      expect(failed.status, summary(failed)).toBeGreaterThanOrEqual(500);
      const retry = await client.postOnce("/api/v1/associations", body, key);
      expect(retry.status, summary(retry)).toBe(201);
    }, 60_000);

    it("also when the release's delete loses its answer", async () => {
      const key = randomUUID();
      const body = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() });
      proxy.failNext({ ...associationInsert(), mode: "busy", times: 4 });
      const release = proxy.failNext({
        service: "table",
        method: "DELETE",
        path: tablePath(prefix, "idempotencyKeys", "[0-9a-f]{64}"),
        mode: "drop-after-write",
        times: 1,
      });
      const failed = await client.postOnce("/api/v1/associations", body, key);
      expect(failed.status, summary(failed)).toBeGreaterThanOrEqual(500);
      expect(release.hits).toHaveLength(1);
      const retry = await client.postOnce("/api/v1/associations", body, key);
      expect(retry.status, summary(retry)).toBe(201);
    }, 60_000);
  });
});

describe("storage faults at random", () => {
  const lifecycles = 40;
  /** Set STORAGE_FAULTS_SEED to replay another sequence of fault decisions. */
  const seed = Number(process.env["STORAGE_FAULTS_SEED"] ?? 20261201);
  let proxy: FaultyStorageProxy;
  let host: HostProcess;
  let store: Store;
  let partner: { partnerId: string; apiKey: string; locationId: string };
  let client: ReturnType<typeof partnerClient>;
  let queues: string[] = [];

  beforeAll(async () => {
    const settings = appProcessSettings({
      LIFECYCLE_POE_DEADLINE: "PT10M",
      // Long enough for the reviewers' outcome and the withdrawal to come while UnderReview.
      LIFECYCLE_REFUSAL_WINDOW: "PT15S",
    });
    queues = [
      settings.env["INBOUND_EMAIL_QUEUE"],
      settings.env["PARTNER_WEBHOOKS_QUEUE"],
      settings.env["USAGE_POLL_QUEUE"],
    ].filter((q): q is string => q !== undefined);
    ({ proxy, host, store } = await startAppBehindProxy(settings));
    partner = await onboardPartner(host.url, settings.adminKey, "Fabrikam Consulting");
    client = partnerClient(host.url, partner.apiKey);
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
    await proxy?.close();
  });

  /** What each lifecycle does after UnderReview, and where it must end. */
  const paths = [
    { name: "refused by the customer", expected: "Rejected" },
    { name: "approved when the refusal window passes", expected: "Approved" },
    { name: "withdrawn by the partner", expected: "RejectedFinal" },
    { name: "rejected by the reviewers, then disputed", expected: "Dispute" },
    { name: "approved by the reviewers", expected: "Approved" },
  ] as const;

  interface Run {
    i: number;
    path: (typeof paths)[number];
    tenant: string;
    id?: string;
    /** The consent page's last answer: "Your refusal is recorded", "Your cancellation…", "Already recorded". */
    page?: string;
    steps: string[];
  }

  async function waitForStatus(run: Run, wanted: readonly string[], timeoutMs: number): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    let last: View | undefined;
    while (Date.now() < deadline) {
      last = await client.get<View>(`/api/v1/associations/${run.id}`);
      if (wanted.includes(last.status)) return last;
      await sleep(400);
    }
    throw new Error(`stayed ${last?.status}, wanted ${wanted.join(" or ")}`);
  }

  /** A partner action that must succeed (each attempt under its own Idempotency-Key's retries). */
  async function act(run: Run, action: string, body: unknown): Promise<void> {
    const done = await client.post(`/api/v1/associations/${run.id}/${action}`, body, randomUUID());
    run.steps.push(`${action} ${summary(done)}`);
    if (done.status !== 200 && done.status !== 202) throw new Error(`${action} failed`);
  }

  /**
   * create → PoE → UnderReview → one of `paths`: a refusal on the consent page, the refusal window
   * passing, a withdrawal, the reviewers' rejection and the partner's dispute, the reviewers' approval.
   */
  async function lifecycle(run: Run): Promise<void> {
    await sleep(run.i * 150);
    const created = await client.post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: run.tenant }),
      randomUUID(),
    );
    run.steps.push(`create ${summary(created)}`);
    if (created.status !== 201) throw new Error("create failed");
    run.id = (JSON.parse(created.body) as View).id;
    const submitted = await client.post(`/api/v1/associations/${run.id}/poe`, poe, randomUUID());
    run.steps.push(`poe ${summary(submitted)}`);
    if (submitted.status !== 202) throw new Error("PoE failed");
    switch (run.path.name) {
      case "approved when the refusal window passes":
        await waitForStatus(run, ["Approved"], 90_000);
        return;
      case "withdrawn by the partner":
        await waitForStatus(run, ["UnderReview"], 60_000);
        await act(run, "withdraw", { reason: "the customer chose another partner" });
        await waitForStatus(run, ["RejectedFinal"], 30_000);
        return;
      case "rejected by the reviewers, then disputed":
        await waitForStatus(run, ["UnderReview"], 60_000);
        await act(run, "review", { outcome: "rejected", reasons: ["insufficient-poe"] });
        await waitForStatus(run, ["Rejected"], 30_000);
        await act(run, "dispute", { reason: "the PoE names every workload; see page 2" });
        await waitForStatus(run, ["Dispute"], 30_000);
        return;
      case "approved by the reviewers":
        await waitForStatus(run, ["UnderReview"], 60_000);
        await act(run, "review", { outcome: "approved" });
        await waitForStatus(run, ["Approved"], 30_000);
        return;
      case "refused by the customer":
        break;
    }
    const seen = await waitForStatus(run, ["UnderReview", "Approved"], 60_000);
    run.steps.push(`seen ${seen.status}`);
    const outbox = await client.get<{ items: { text: string }[] }>(`/api/v1/outbox?associationId=${run.id}`);
    const refused = await postConsent(consentPageOf(outbox.items[0]?.text ?? "", host.url), "action=refuse");
    run.steps.push(`consent ${refused.status} ${JSON.stringify(refused.attempts)}`);
    run.page = /<h1>([^<]*)<\/h1>/.exec(refused.body)?.[1];
    if (refused.status !== 200) throw new Error("refusal failed");
    await waitForStatus(run, ["Rejected"], 30_000);
  }

  it(`${lifecycles} lifecycles at 10% faults (refusals, approvals, withdrawals, review outcomes, disputes) reach their status, one consent email each, no duplicate entries or ledger rows, no stray units, no poison`, async () => {
    const started = Date.now();
    proxy.random({ rate: 0.1, seed });
    const runs: Run[] = Array.from({ length: lifecycles }, (_, i) => ({
      i,
      path: paths[i % paths.length] ?? paths[0],
      tenant: randomUUID(),
      steps: [],
    }));
    const settled = await Promise.allSettled(runs.map((run) => lifecycle(run)));
    proxy.random(undefined);
    const elapsed = Date.now() - started;

    const problems: string[] = [];
    settled.forEach((result, i) => {
      if (result.status === "rejected")
        problems.push(
          `#${i} ${runs[i]?.id ?? "(no id)"}: ${String(result.reason)}\n  ${runs[i]?.steps.join("\n  ")}`,
        );
    });
    for (const run of runs) {
      if (!run.id) continue;
      const view = await client.get<View>(`/api/v1/associations/${run.id}`);
      const expected = run.path.expected;
      if (view.status !== expected)
        problems.push(`#${run.i} ${run.id} (${run.path.name}): ${view.status}, expected ${expected}`);
      const outbox = await client.get<{ items: { kind: string; sequence?: number }[] }>(
        `/api/v1/outbox?associationId=${run.id}`,
      );
      const kinds = outbox.items.map((m) => `${m.kind}${m.sequence ?? ""}`);
      if (kinds.filter((k) => k === "consent").length !== 1 || new Set(kinds).size !== kinds.length)
        problems.push(`#${run.i} ${run.id}: outbox ${JSON.stringify(kinds)}`);
      const ledger = await store.incentiveLedger.list(partner.partnerId, { associationId: run.id });
      const milestones = ledger.items.map((e) => `${e.workload}/${e.milestoneKey}`);
      if (new Set(milestones).size !== milestones.length)
        problems.push(`#${run.i} ${run.id}: ledger rows ${JSON.stringify(milestones)}`);
      const twice = duplicatesOf(view.timeline ?? []);
      if (twice.length > 0)
        problems.push(`#${run.i} ${run.id}: duplicate timeline entries ${twice.join(", ")}`);
      for (const claim of await store.claims.listByTenant(run.tenant)) {
        const holder = await store.associations.find(claim.partnerId, claim.associationId);
        if (!holder || !holdingStatuses.has(holder.value.status))
          problems.push(
            `#${run.i} ${run.id}: ${claim.unit} held by ${claim.associationId} (${holder?.value.status ?? "no association"})`,
          );
      }
    }
    for (const queue of queues) {
      const poison = new QueueClient(inject("storageConnectionString"), `${queue}-poison`);
      const count = (await poison.exists())
        ? ((await poison.getProperties()).approximateMessagesCount ?? 0)
        : 0;
      if (count > 0) problems.push(`${queue}-poison holds ${count} message(s)`);
    }
    const byMode = new Map<string, number>();
    for (const f of proxy.faults)
      byMode.set(`${f.service}:${f.mode}`, (byMode.get(`${f.service}:${f.mode}`) ?? 0) + 1);
    const pages = new Map<string, number>();
    for (const run of runs) if (run.page) pages.set(run.page, (pages.get(run.page) ?? 0) + 1);
    console.log(
      `seed ${seed}: ${lifecycles} lifecycles in ${elapsed} ms; requests ${JSON.stringify(proxy.counts)}; faults ${JSON.stringify(Object.fromEntries(byMode))}; consent pages ${JSON.stringify(Object.fromEntries(pages))}`,
    );
    expect(problems, problems.join("\n")).toEqual([]);
  }, 170_000);
});
