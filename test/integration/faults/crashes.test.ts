import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TaskHub } from "devhost";
import { createStore, type Store } from "../../../src/store/store";
import {
  startFaultyStorageProxy,
  type FaultyStorageProxy,
  type RequestMatch,
  type RuleHandle,
} from "../../fixtures/faultyStorageProxy";
import {
  appProcessSettings,
  onboardPartner,
  spawnApp,
  type AppProcessSettings,
} from "../../support/appProcess";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import type { HostProcess } from "../../../devhost/test/support/hostProcess";
import { partnerClient, postConsent, withRetries, type Outcome } from "./retryingClient";

/**
 * kill -9 of the host in the middle of a multi-step write never loses a decision or strands work.
 * The app runs on the local host as a child process whose storage goes through a fault-injecting
 * proxy in front of Azurite. One storage write of a request is held by the proxy (`delay`), the host
 * is killed while it is held, and the host is started again with the same settings; then the client
 * retries as a well-behaved one does (the partner with the same Idempotency-Key, the customer by
 * posting the form again). A step is either held before it reaches storage (the crash comes before
 * the write), or written with its answer lost and the SDK's retry of it held (the crash comes after
 * the write, before the host learned of it). Everything is driven through the partner API and the
 * consent page; what storage holds is read on Azurite directly.
 *
 * One proxy and one app for the whole file. The creates of case 3 are crashed first and retried
 * last: a crashed request keeps its Idempotency-Key in flight for a minute, and the client's retry
 * meets "Request in progress" until then.
 */

interface TimelineEntry {
  at: string;
  kind: string;
  to?: string;
  from?: string;
  actor: string;
  reason: string;
}

interface View {
  id: string;
  status: string;
  customerTenantId: string;
  units?: string[];
  timeline?: TimelineEntry[];
}

interface Partner {
  partnerId: string;
  apiKey: string;
  locationId: string;
}

/** An association waiting in UnderReview, with the path of its consent page. */
interface UnderReview {
  id: string;
  tenant: string;
  consentPath: string;
}

/** Held for longer than the test: a held request dies with the host's connection. */
const heldMs = 15 * 60_000;

const refusal = "action=refuse&reason=We+never+hired+this+partner";

function summary(outcome: Outcome | { error: string }): string {
  if ("error" in outcome) return outcome.error;
  return JSON.stringify({
    status: outcome.status,
    attempts: outcome.attempts,
    body: outcome.body.slice(0, 300),
  });
}

function headingOf(body: string): string | undefined {
  return /<h1>([^<]*)<\/h1>/.exec(body)?.[1]?.trim();
}

function duplicatesOf(timeline: readonly TimelineEntry[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of timeline) {
    const key = `${e.kind}|${e.from ?? ""}|${e.to ?? ""}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}

/** A small seeded PRNG, so a round's crash moment can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A POST whose answer may never come (the host dies under it). */
async function settle(outcome: Promise<Outcome>): Promise<Outcome | { error: string }> {
  return outcome.catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
}

describe("kill -9 of the host in the middle of a multi-step write", () => {
  const azurite = inject("storageConnectionString");
  /** Set CRASHES_SEED to replay another sequence of crash moments (CRASHES_WINDOW_MS: their range; a refusal POST takes tens of milliseconds). */
  const seed = Number(process.env["CRASHES_SEED"] ?? 20261207);
  const crashWindowMs = Number(process.env["CRASHES_WINDOW_MS"] ?? 60);
  let proxy: FaultyStorageProxy;
  let settings: AppProcessSettings;
  let host: HostProcess | undefined;
  let store: Store;
  let hub: TaskHub;
  let prefix: string;
  let partner: Partner;
  let rival: Partner;
  const restarts: number[] = [];

  beforeAll(async () => {
    settings = appProcessSettings({
      // Nothing moves by itself before a case is done with it, except the dispute window.
      LIFECYCLE_POE_DEADLINE: "PT10M",
      LIFECYCLE_REFUSAL_WINDOW: "PT10M",
      LIFECYCLE_DISPUTE_WINDOW: "PT5S",
    });
    prefix = settings.env["TABLE_PREFIX"] ?? "";
    proxy = await startFaultyStorageProxy(azurite);
    // Assertions read Azurite directly, past the proxy.
    store = createStore(azurite, { prefix });
    hub = new TaskHub(azurite, settings.env["DURABLE_HUB_NAME"] ?? "");
    await start();
    partner = await onboardPartner(url(), settings.adminKey, "Fabrikam Consulting");
    rival = await onboardPartner(url(), settings.adminKey, "Contoso Partners");
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
    await proxy?.close();
    if (restarts.length > 0)
      console.log(
        `host starts: ${restarts.length}, ${Math.min(...restarts)}-${Math.max(...restarts)} ms each`,
      );
  });

  async function start(): Promise<void> {
    const started = Date.now();
    host = await spawnApp(proxy.connectionString, settings);
    restarts.push(Date.now() - started);
  }

  /** kill -9, then the same app with the same settings. */
  async function crashAndRestart(): Promise<void> {
    await host?.crash();
    host = undefined;
    await start();
  }

  function url(): string {
    if (!host) throw new Error("the host is not running");
    return host.url;
  }

  const api = (who: Partner = partner) => partnerClient(url(), who.apiKey);
  const read = (id: string) => api().get<View>(`/api/v1/associations/${id}`);

  async function waitForStatus(id: string, wanted: readonly string[], timeoutMs = 30_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    let last: View | undefined;
    while (Date.now() < deadline) {
      last = await read(id);
      if (wanted.includes(last.status)) return last;
      await sleep(250);
    }
    throw new Error(`association ${id} stayed ${last?.status}, wanted ${wanted.join(" or ")}`);
  }

  /** The association's workflow has ended (nothing of it is still writing). */
  async function waitForWorkflowEnd(id: string, timeoutMs = 15_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let status: string | undefined;
    while (Date.now() < deadline) {
      status = (await hub.getInstance(id))?.runtimeStatus;
      if (status === "Completed" || status === "Failed" || status === "Terminated") return status;
      await sleep(250);
    }
    return status;
  }

  async function waitForHit(rule: RuleHandle, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (rule.hits.length === 0) {
      if (Date.now() > deadline) throw new Error(`the request never reached ${what}`);
      await sleep(5);
    }
  }

  /**
   * Arms the proxy for one step: held before it is written, or (`written`) written with its answer
   * lost and the SDK's retry of it held.
   */
  function arm(match: RequestMatch, written: boolean): { held: RuleHandle; lost?: RuleHandle } {
    const lost = written ? proxy.failNext({ ...match, mode: "drop-after-write", times: 1 }) : undefined;
    const held = proxy.failNext({ ...match, mode: "delay", times: 1, delayMs: heldMs });
    return lost ? { held, lost } : { held };
  }

  /** The step is held now (and, when written, its write was accepted by storage). */
  async function untilHeld(armed: { held: RuleHandle; lost?: RuleHandle }, what: string): Promise<void> {
    await waitForHit(armed.held, what);
    if (!armed.lost) return;
    const written = armed.lost.hits[0]?.upstreamStatus ?? 0;
    if (written < 200 || written >= 300) throw new Error(`${what}: storage answered ${written} to the write`);
  }

  const tableRow = (table: string, partitionKey: string, rowKey: string) =>
    new RegExp(`^/[^/]+/${table}\\(PartitionKey='${partitionKey}',RowKey='${rowKey}'\\)$`);
  const tableInsert = (table: string) => new RegExp(`^/[^/]+/${table}$`);
  const queueMessages = (queue: string) => new RegExp(`^/[^/]+/${queue}/messages$`);

  async function createUnderReview(): Promise<UnderReview> {
    const tenant = randomUUID();
    const created = await api().post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
      randomUUID(),
    );
    expect(created.status, summary(created)).toBe(201);
    const { id } = JSON.parse(created.body) as View;
    const submitted = await api().post(`/api/v1/associations/${id}/poe`, poeSubmissionFor(), randomUUID());
    expect(submitted.status, summary(submitted)).toBe(202);
    await waitForStatus(id, ["UnderReview"]);
    const outbox = await api().get<{ items: { text: string }[] }>(`/api/v1/outbox?associationId=${id}`);
    expect(outbox.items).toHaveLength(1);
    const consentPath = /\/api\/consent\/[A-Za-z0-9._~-]+/.exec(outbox.items[0]?.text ?? "")?.[0];
    if (!consentPath) throw new Error(`no consent link in the email of ${id}`);
    return { id, tenant, consentPath };
  }

  /** The customer posts the form once (the page on the host as it runs now). */
  const refuseOnce = (a: UnderReview) => postConsent(`${url()}${a.consentPath}`, refusal, { attempts: 1 });

  /**
   * What every crashed refusal must end as, once the customer has posted the form again: the page
   * says it is recorded, the association is Rejected with one customer entry to Rejected, and the
   * units are free (another partner claims them). Returns the retry's page heading.
   */
  async function expectRefusalApplied(a: UnderReview, opts: { allowFinal: boolean }): Promise<string> {
    const retry = await postConsent(`${url()}${a.consentPath}`, refusal);
    expect(retry.status, summary(retry)).toBe(200);
    const heading = headingOf(retry.body) ?? "";
    expect(["Your refusal is recorded", "Already recorded"], summary(retry)).toContain(heading);

    const view = await read(a.id);
    expect(opts.allowFinal ? ["Rejected", "RejectedFinal"] : ["Rejected"]).toContain(view.status);
    const refusals = (view.timeline ?? []).filter((e) => e.kind === "status-changed" && e.to === "Rejected");
    expect(
      refusals.map((e) => e.actor),
      JSON.stringify(view.timeline),
    ).toEqual(["customer"]);
    expect(duplicatesOf(view.timeline ?? [])).toEqual([]);

    expect(await store.claims.listByTenant(a.tenant)).toEqual([]);
    const taken = await api(rival).post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: rival.locationId, customerTenantId: a.tenant }),
      randomUUID(),
    );
    expect(taken.status, summary(taken)).toBe(201);
    return heading;
  }

  /** The workflow followed the refusal: the dispute window closes on its own. */
  async function expectDisputeWindowClosed(a: UnderReview): Promise<void> {
    const final = await waitForStatus(a.id, ["RejectedFinal"], 30_000);
    const timeline = final.timeline ?? [];
    const closed = timeline.filter((e) => e.kind === "status-changed" && e.to === "RejectedFinal");
    expect(closed.map((e) => e.reason)).toEqual([expect.stringContaining("dispute window closed")]);
    expect(
      timeline.filter((e) => e.kind === "status-changed" && e.to === "Rejected").map((e) => e.actor),
    ).toEqual(["customer"]);
    expect(duplicatesOf(timeline)).toEqual([]);
  }

  // ---------------------------------------------------------------------------------------------
  // 3, first half: creates in flight when the host dies, one held at each step.

  interface CrashedCreate {
    label: string;
    key: string;
    tenant: string;
    body: ReturnType<typeof cporRequest>;
    first?: Outcome | { error: string };
    armed?: { held: RuleHandle; lost?: RuleHandle };
    sentAt?: number;
  }
  const creates: CrashedCreate[] = [];
  let createsCrashedAt = 0;

  it("3. (the first attempts) creates held at the claims insert, the association insert and the workflow start die with the host", async () => {
    const hubName = (settings.env["DURABLE_HUB_NAME"] ?? "").toLowerCase();
    const batch: RequestMatch = { service: "table", method: "POST", path: /^\/[^/]+\/\$batch$/ };
    const associationInsert: RequestMatch = {
      service: "table",
      method: "POST",
      path: tableInsert(`${prefix}associations`),
    };
    const instanceRow: RequestMatch = {
      service: "table",
      method: "PUT",
      path: new RegExp(`^/[^/]+/${hubName}Instances\\(`, "i"),
    };
    const startMessage: RequestMatch = {
      service: "queue",
      method: "POST",
      path: queueMessages(`${hubName}-control-\\d\\d`),
    };
    const steps: { label: string; match: RequestMatch; written: boolean }[] = [
      { label: "claims insert, held", match: batch, written: false },
      { label: "claims insert, written, answer lost", match: batch, written: true },
      { label: "association insert, held", match: associationInsert, written: false },
      { label: "association insert, written, answer lost", match: associationInsert, written: true },
      { label: "workflow start: instance row, held", match: instanceRow, written: false },
      { label: "workflow start: instance row, written, answer lost", match: instanceRow, written: true },
      { label: "workflow start: start message, held", match: startMessage, written: false },
      { label: "workflow start: start message, written, answer lost", match: startMessage, written: true },
    ];
    const inFlight: Promise<void>[] = [];
    for (const step of steps) {
      const tenant = randomUUID();
      const create: CrashedCreate = {
        label: step.label,
        key: randomUUID(),
        tenant,
        body: cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
      };
      creates.push(create);
      const armed = arm(step.match, step.written);
      create.armed = armed;
      create.sentAt = Date.now();
      inFlight.push(
        settle(api().postOnce("/api/v1/associations", create.body, create.key)).then((first) => {
          create.first = first;
        }),
      );
      await untilHeld(armed, step.label);
    }
    createsCrashedAt = Date.now();
    await crashAndRestart();
    await Promise.all(inFlight);
    for (const create of creates) {
      expect(
        create.first && "error" in create.first,
        `${create.label}: ${summary(create.first ?? { error: "?" })}`,
      ).toBe(true);
    }
  }, 60_000);

  // ---------------------------------------------------------------------------------------------

  describe("1. a customer's refusal POST in flight, the host killed at one step of the write", () => {
    const associationUpdate = (a: UnderReview): RequestMatch => ({
      service: "table",
      method: "PUT",
      path: tableRow(`${prefix}associations`, "[^']*", a.id),
    });
    const statusChanged = (a: UnderReview): RequestMatch => ({
      service: "queue",
      method: "POST",
      path: queueMessages(hub.controlQueueFor(a.id).name),
    });
    const cases: { label: string; written: boolean; match: (a: UnderReview) => RequestMatch }[] = [
      { label: "the association update, held", written: false, match: associationUpdate },
      { label: "the association update, written, answer lost", written: true, match: associationUpdate },
      {
        label: "the timeline insert, held",
        written: false,
        match: () => ({ service: "table", method: "POST", path: tableInsert(`${prefix}auditEvents`) }),
      },
      {
        label: "the partner-webhooks queue message, held",
        written: false,
        match: () => ({
          service: "queue",
          method: "POST",
          path: queueMessages(settings.env["PARTNER_WEBHOOKS_QUEUE"] ?? ""),
        }),
      },
      {
        label: "the release of the units, held",
        written: false,
        match: (a) => ({
          service: "table",
          method: "DELETE",
          path: tableRow(`${prefix}claims`, a.tenant, "[^']*"),
        }),
      },
      { label: "the StatusChanged control-queue message, held", written: false, match: statusChanged },
      {
        label: "the StatusChanged control-queue message, written, answer lost",
        written: true,
        match: statusChanged,
      },
    ];
    const prepared: UnderReview[] = [];

    beforeAll(async () => {
      prepared.push(...(await Promise.all(cases.map(() => createUnderReview()))));
    }, 60_000);

    it.each(cases.map((c, i) => ({ ...c, i })))(
      "$label: the retry says recorded, Rejected once, units free, the dispute window closes",
      async ({ written, match, label, i }) => {
        const a = prepared[i];
        if (!a) throw new Error("not prepared");
        const armed = arm(match(a), written);
        const first = settle(refuseOnce(a));
        await untilHeld(armed, label);
        await crashAndRestart();
        const firstAnswer = await first;
        expect("error" in firstAnswer, summary(firstAnswer)).toBe(true); // it died mid-way
        expect(armed.held.hits).toHaveLength(1);

        const heading = await expectRefusalApplied(a, { allowFinal: false });
        console.log(`case 1, ${label}: retry page "${heading}"`);
        await expectDisputeWindowClosed(a);
        // Quiet before the next case arms its rule: this workflow has nothing left to write.
        expect(await waitForWorkflowEnd(a.id)).toBe("Completed");
      },
      60_000,
    );
  });

  // ---------------------------------------------------------------------------------------------

  it("2. ten refusals crashed at a random moment (seeded) all end Rejected once, units free, then RejectedFinal", async () => {
    const rounds = 10;
    const random = mulberry32(seed);
    const prepared = await Promise.all(Array.from({ length: rounds }, () => createUnderReview()));
    const log: string[] = [];
    for (const [round, a] of prepared.entries()) {
      const afterMs = Math.floor(random() * (crashWindowMs + 1));
      const sent = Date.now();
      let answeredAfter: number | undefined;
      const first = settle(
        refuseOnce(a).then((outcome) => {
          answeredAfter = Date.now() - sent;
          return outcome;
        }),
      );
      await sleep(afterMs);
      await crashAndRestart();
      const firstAnswer = await first;
      const firstSaid =
        "error" in firstAnswer ? "no answer" : `${firstAnswer.status} "${headingOf(firstAnswer.body)}"`;
      let heading: string;
      try {
        heading = await expectRefusalApplied(a, { allowFinal: true });
      } catch (err) {
        throw new Error(
          `round ${round} (seed ${seed}, crash ${afterMs} ms after sending; first attempt: ${firstSaid}) ${a.id}: ${String(err)}`,
          { cause: err },
        );
      }
      log.push(
        `round ${round}: crash at ${afterMs} ms, first attempt ${firstSaid}${answeredAfter === undefined ? "" : ` after ${answeredAfter} ms`}, retry "${heading}"`,
      );
    }
    console.log(`case 2 (seed ${seed}):\n  ${log.join("\n  ")}`);
    for (const a of prepared) await expectDisputeWindowClosed(a);
  }, 120_000);

  // ---------------------------------------------------------------------------------------------

  it("3. the retries of the crashed creates answer 201 with the same Draft association, its units held by it alone, its workflow running", async () => {
    expect(creates.length, "the first half of case 3 did not run").toBeGreaterThan(0);
    const problems: string[] = [];
    await Promise.all(
      creates.map(async (create) => {
        try {
          const stored = await api().get<{ items: View[] }>(
            `/api/v1/associations?customerTenantId=${create.tenant}`,
          );
          const send = () =>
            fetch(`${url()}/api/v1/associations`, {
              method: "POST",
              headers: {
                authorization: `ApiKey ${partner.apiKey}`,
                "idempotency-key": create.key,
                "content-type": "application/json",
              },
              body: JSON.stringify(create.body),
            });
          // A client keeps retrying "Request in progress" until the dead attempt's key lapses.
          const retry = await withRetries(send, { attempts: 45 });
          if (retry.status !== 201) throw new Error(`retry: ${summary(retry)}`);
          const created = JSON.parse(retry.body) as View;
          if (stored.items.length > 0 && stored.items[0]?.id !== created.id)
            throw new Error(`retry answered ${created.id}, storage held ${stored.items[0]?.id}`);
          if (created.status !== "Draft") throw new Error(`answered ${created.status}`);
          const replay = await withRetries(send);
          if (replay.status !== 201 || (JSON.parse(replay.body) as View).id !== created.id)
            throw new Error(`replay: ${summary(replay)}`);
          if ((await read(created.id)).status !== "Draft") throw new Error("not Draft when read");

          const claims = await store.claims.listByTenant(create.tenant);
          const holders = new Set(claims.map((c) => c.associationId));
          if (
            JSON.stringify(claims.map((c) => c.unit).sort()) !==
              JSON.stringify([...(created.units ?? [])].sort()) ||
            holders.size !== 1 ||
            !holders.has(created.id)
          )
            throw new Error(`claims ${JSON.stringify(claims)}`);
          const list = await api().get<{ items: View[] }>(
            `/api/v1/associations?customerTenantId=${create.tenant}`,
          );
          if (JSON.stringify(list.items.map((i) => i.id)) !== JSON.stringify([created.id]))
            throw new Error(`associations of the tenant: ${JSON.stringify(list.items.map((i) => i.id))}`);
          const taken = await api(rival).post(
            "/api/v1/associations",
            cporRequest({ partnerLocationId: rival.locationId, customerTenantId: create.tenant }),
            randomUUID(),
          );
          if (taken.status !== 409) throw new Error(`a rival's claim: ${summary(taken)}`);

          // Its workflow runs: the PoE's consent email is sent and the review starts.
          const submitted = await api().post(
            `/api/v1/associations/${created.id}/poe`,
            poeSubmissionFor(),
            randomUUID(),
          );
          if (submitted.status !== 202) throw new Error(`PoE: ${summary(submitted)}`);
          try {
            await waitForStatus(created.id, ["UnderReview"], 25_000);
          } catch (err) {
            const instance = await hub.getInstance(created.id);
            throw new Error(
              `${String(err)}; workflow instance ${instance ? `${instance.runtimeStatus} since ${instance.createdTime}` : "absent"}`,
              { cause: err },
            );
          }
          const outbox = await api().get<{ items: { kind: string }[] }>(
            `/api/v1/outbox?associationId=${created.id}`,
          );
          if (outbox.items.length !== 1) throw new Error(`outbox: ${JSON.stringify(outbox.items)}`);
        } catch (err) {
          problems.push(
            `${create.label} (held: ${create.armed?.held.hits.map((h) => `${h.method} ${h.path}`).join(", ")}; first attempt: ${summary(create.first ?? { error: "?" })}): ${String(err)}`,
          );
        }
      }),
    );
    console.log(`case 3: retried ${Math.round((Date.now() - createsCrashedAt) / 1000)} s after the crash`);
    expect(problems, problems.join("\n")).toEqual([]);
  }, 120_000);
});
