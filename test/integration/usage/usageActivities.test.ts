import { randomUUID } from "node:crypto";
import type { InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createRecordBaseline } from "../../../functions/activities/recordBaseline";
import {
  createRecordMilestones,
  type RecordMilestonesInput,
} from "../../../functions/activities/recordMilestones";
import { createUsagePollTenantHandler } from "../../../functions/queues/usagePoll";
import { createUsagePollTimerHandler } from "../../../functions/timers/usagePoll";
import { milestoneEventId } from "../../../src/app/milestones";
import type { Association } from "../../../src/domain/association";
import { NonRetriableError, TransientDependencyError } from "../../../src/domain/errors";
import { lifecycleEvents, type UsageReading } from "../../../src/domain/lifecycle";
import type { TenantUsage, UsageProvider } from "../../../src/integrations/usage/usageProvider";
import {
  tenantsOf,
  type UsagePollMessage,
  type UsagePollTenant,
} from "../../../src/integrations/usage/usagePollQueue";
import type { PartnerWebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../../src/store/store";
import { cporRequest, draftAssociation } from "../../support/builders";
import { testStore } from "../../support/storage";

const approvedAt = "2026-11-10T09:00:00.000Z";
const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T12:00:00.000Z`;

/** An association with its units claimed, Approved on 10 November unless told otherwise. */
async function seed(
  store: Store,
  options: {
    partnerId?: string;
    tenant?: string;
    workloads?: ("teams" | "exchange" | "sharepoint")[];
  } & Partial<Pick<Association, "status">> = {},
): Promise<Association> {
  const partnerId = options.partnerId ?? "partner-a";
  const customerTenantId = options.tenant ?? randomUUID();
  const workloads = options.workloads ?? ["teams", "exchange"];
  const association = draftAssociation(partnerId, {
    customerTenantId,
    request: cporRequest({ customerTenantId, workloads }),
    units: workloads.map((w) => `workload:${w}`),
    status: options.status ?? "Approved",
    statusChangedAt: approvedAt,
  });
  await store.associations.create(association);
  await store.claims.claim(customerTenantId, association.units, {
    partnerId,
    associationId: association.id,
    claimedAt: association.createdAt,
  });
  return association;
}

/** Stores one reading per workload, as the poller would. */
async function snapshot(store: Store, tenant: string, date: string, usage: UsageReading["workloads"]) {
  for (const [workload, counts] of Object.entries(usage))
    await store.usageSnapshots.record({
      customerTenantId: tenant,
      workload: workload as "teams",
      reportRefreshDate: date,
      ...counts,
      fetchedAt: `${date}T06:00:00.000Z`,
    });
}

function recordingWebhooks() {
  const events: PartnerWebhookEvent[] = [];
  return {
    events,
    enqueue(event: PartnerWebhookEvent) {
      events.push(event);
      return Promise.resolve();
    },
  };
}

const milestonesOf = (store: Store) =>
  createRecordMilestones({ store, defaultProgramId: "fy20-osu-milestones", webhooks: recordingWebhooks() });

const usage = (teams: [number, number], exchange: [number, number]): UsageReading["workloads"] => ({
  teams: { paidSeats: teams[0], activeUsers: teams[1] },
  exchange: { paidSeats: exchange[0], activeUsers: exchange[1] },
});

const call = (
  association: Association,
  date: string,
  workloads: UsageReading["workloads"],
  when: string,
): RecordMilestonesInput => ({
  associationId: association.id,
  partnerId: association.partnerId,
  reading: { reportRefreshDate: date, workloads },
  at: when,
});

const timelineOf = async (store: Store, association: Association, kind: string) =>
  (await store.auditEvents.timeline(association.partnerId, association.id)).filter((e) => e.kind === kind);

const ledgerKeys = async (store: Store, association: Association) =>
  (await store.incentiveLedger.list(association.partnerId, { associationId: association.id })).items.map(
    (e) => `${e.workload}:${e.milestoneKey}`,
  );

describe("recordBaseline activity", () => {
  it("starts from zeros when the tenant was never read, and pins the program", async () => {
    const store = testStore();
    const association = await seed(store);
    const result = await createRecordBaseline({ store, programId: "fy20-osu-milestones" })({
      associationId: association.id,
      partnerId: association.partnerId,
      at: at(11),
    });
    expect(result).toEqual({ workloads: 2, flagged: 0 });
    const { value } = await store.associations.get(association.partnerId, association.id);
    expect(value).toMatchObject({
      incentiveProgramId: "fy20-osu-milestones",
      incentiveProgramVersion: 1,
      baseline: {
        approvedAt,
        workloads: {
          teams: { paidSeats: 0, activeUsers: 0, highWaterMark: 0 },
          exchange: { paidSeats: 0, activeUsers: 0, highWaterMark: 0 },
        },
      },
      milestoneFlags: [],
      recordedMilestones: [],
    });
  });

  it("flags thresholds already met at claim time once, and keeps the first baseline", async () => {
    const store = testStore();
    const association = await seed(store);
    await snapshot(store, association.customerTenantId, "2026-11-08", usage([400, 180], [400, 20]));
    const record = createRecordBaseline({ store, programId: "fy20-osu-milestones" });
    const input = { associationId: association.id, partnerId: association.partnerId, at: at(11) };

    expect(await record(input)).toEqual({ workloads: 2, flagged: 2 });
    await snapshot(store, association.customerTenantId, "2026-11-09", usage([500, 10], [500, 10]));
    expect(await record(input)).toEqual({ workloads: 2, flagged: 2 });

    const { value } = await store.associations.get(association.partnerId, association.id);
    expect(value.baseline?.workloads["teams"]).toEqual({
      paidSeats: 400,
      activeUsers: 180,
      highWaterMark: 400,
    });
    expect(value.milestoneFlags?.map((f) => `${f.workload}:${f.key}:${f.reason}`)).toEqual([
      "teams:active-15:exceeded-at-claim",
      "teams:active-40:exceeded-at-claim",
    ]);
    expect((await timelineOf(store, association, "milestone-flagged")).map((e) => e.eventId)).toEqual([
      "flag|exceeded-at-claim|teams|active-15",
      "flag|exceeded-at-claim|teams|active-40",
    ]);
  });

  it("fails without retrying for an unknown association", async () => {
    const store = testStore();
    await expect(
      createRecordBaseline({ store, programId: "fy20-osu-milestones" })({
        associationId: randomUUID(),
        partnerId: "partner-a",
        at: at(11),
      }),
    ).rejects.toBeInstanceOf(NonRetriableError);
  });
});

describe("recordMilestones activity", () => {
  async function approved(store: Store, workloads?: ("teams" | "exchange" | "sharepoint")[]) {
    const association = await seed(store, workloads ? { workloads } : {});
    await createRecordBaseline({ store, programId: "fy20-osu-milestones" })({
      associationId: association.id,
      partnerId: association.partnerId,
      at: at(10),
    });
    return association;
  }

  it("records each milestone once, tells the timeline and the partner, and counts what remains", async () => {
    const store = testStore();
    const association = await approved(store);
    const webhooks = recordingWebhooks();
    const record = createRecordMilestones({ store, webhooks, defaultProgramId: "fy20-osu-milestones" });

    expect(await record(call(association, "2026-11-12", usage([400, 80], [400, 20]), at(12)))).toEqual({
      reached: 1,
      remaining: 2,
    });
    expect(await record(call(association, "2026-11-12", usage([400, 80], [400, 20]), at(13)))).toEqual({
      reached: 0,
      remaining: 2,
    });
    expect(await record(call(association, "2026-11-20", usage([400, 170], [400, 70]), at(20)))).toEqual({
      reached: 2,
      remaining: 0,
    });

    expect(await ledgerKeys(store, association)).toEqual([
      "exchange:active-15",
      "teams:active-15",
      "teams:active-40",
    ]);
    const reached = await timelineOf(store, association, "milestone-reached");
    expect(reached.map((e) => e.eventId).sort()).toEqual(
      [
        milestoneEventId(association.id, "teams", "active-15"),
        milestoneEventId(association.id, "teams", "active-40"),
        milestoneEventId(association.id, "exchange", "active-15"),
      ].sort(),
    );
    expect(webhooks.events).toHaveLength(3);
    expect(webhooks.events[0]).toMatchObject({
      type: "association.milestone_reached",
      eventId: milestoneEventId(association.id, "teams", "active-15"),
      partnerId: association.partnerId,
      associationId: association.id,
      customerTenantId: association.customerTenantId,
      workload: "teams",
      milestoneKey: "active-15",
      activeShare: 0.2,
      paidSeats: 400,
      activeUsers: 80,
      amount: 4000,
      currency: "USD",
      reportRefreshDate: "2026-11-12",
      payableOn: "2026-12-16",
      at: at(12),
    });
  });

  it("repairs a call that stopped after the ledger insert: the retry tells the timeline and the partner", async () => {
    const store = testStore();
    const association = await approved(store);
    const input = call(association, "2026-11-12", usage([400, 80], [400, 20]), at(12));
    await store.incentiveLedger.recordOnce({
      partnerId: association.partnerId,
      associationId: association.id,
      customerTenantId: association.customerTenantId,
      workload: "teams",
      milestoneKey: "active-15",
      programId: "fy20-osu-milestones",
      programVersion: 1,
      units: 1,
      amount: 4000,
      currency: "USD",
      reportRefreshDate: "2026-11-12",
      earnedAt: at(12),
      payableOn: "2026-12-16",
    });
    const webhooks = recordingWebhooks();
    const record = createRecordMilestones({ store, webhooks, defaultProgramId: "fy20-osu-milestones" });

    expect(await record(input)).toEqual({ reached: 1, remaining: 2 });
    expect(await record(input)).toEqual({ reached: 1, remaining: 2 }); // and again: still one of each
    expect(await ledgerKeys(store, association)).toEqual(["teams:active-15"]);
    expect(await timelineOf(store, association, "milestone-reached")).toHaveLength(1);
    expect(webhooks.events.map((e) => e.eventId)).toEqual([
      milestoneEventId(association.id, "teams", "active-15"),
      milestoneEventId(association.id, "teams", "active-15"),
    ]);
  });

  it("records nothing for a reading refreshed before approval, or once the association is not Approved", async () => {
    const store = testStore();
    const association = await approved(store);
    const record = milestonesOf(store);
    expect(await record(call(association, "2026-11-09", usage([400, 200], [400, 200]), at(12)))).toEqual({
      reached: 0,
      remaining: 3,
    });
    await store.associations.update(association.partnerId, association.id, (a) => ({
      ...a,
      status: "Rejected",
    }));
    expect(await record(call(association, "2026-11-12", usage([400, 200], [400, 200]), at(13)))).toEqual({
      reached: 0,
      remaining: 3,
    });
    expect(await ledgerKeys(store, association)).toEqual([]);
  });

  it("flags a milestone reached with too few seats once, and drops the flag when it pays later", async () => {
    const store = testStore();
    const association = await approved(store, ["sharepoint"]);
    const record = milestonesOf(store);
    const sharepoint = (seats: number, active: number) => ({
      sharepoint: { paidSeats: seats, activeUsers: active },
    });

    expect(await record(call(association, "2026-11-12", sharepoint(8, 4), at(12)))).toEqual({
      reached: 0,
      remaining: 1,
    });
    await record(call(association, "2026-11-13", sharepoint(9, 5), at(13)));
    expect(await timelineOf(store, association, "milestone-flagged")).toHaveLength(1);
    expect(
      (await store.associations.get(association.partnerId, association.id)).value.milestoneFlags,
    ).toMatchObject([{ workload: "sharepoint", key: "active-15", reason: "below-seat-band" }]);

    expect(await record(call(association, "2026-11-20", sharepoint(40, 10), at(20)))).toEqual({
      reached: 1,
      remaining: 0,
    });
    expect(
      (await store.associations.get(association.partnerId, association.id)).value.milestoneFlags,
    ).toEqual([]);
  });

  it("counts flagged-at-claim thresholds as settled", async () => {
    const store = testStore();
    const association = await seed(store);
    await snapshot(store, association.customerTenantId, "2026-11-08", usage([400, 180], [400, 20]));
    await createRecordBaseline({ store, programId: "fy20-osu-milestones" })({
      associationId: association.id,
      partnerId: association.partnerId,
      at: at(10),
    });
    expect(
      await milestonesOf(store)(call(association, "2026-11-12", usage([400, 200], [400, 80]), at(12))),
    ).toEqual({
      reached: 1,
      remaining: 0,
    });
    expect(await ledgerKeys(store, association)).toEqual(["exchange:active-15"]);
  });

  it("fails without retrying when the association has no baseline", async () => {
    const store = testStore();
    const association = await seed(store);
    await expect(
      milestonesOf(store)(call(association, "2026-11-12", usage([400, 80], [400, 20]), at(12))),
    ).rejects.toThrow(/no baseline/);
  });
});

/** A provider that answers the readings it is given, in turn (the last one again when they run out). */
function scriptedProvider(...answers: (Omit<TenantUsage, "customerTenantId" | "fetchedAt"> | Error)[]) {
  const reads: string[] = [];
  const provider: UsageProvider = {
    readTenant(customerTenantId, now) {
      reads.push(customerTenantId);
      const answer = answers[Math.min(reads.length, answers.length) - 1];
      if (answer === undefined || answer instanceof Error)
        return Promise.reject(answer ?? new Error("no answer"));
      return Promise.resolve({ ...answer, customerTenantId, fetchedAt: now.toISOString() });
    },
  };
  return { provider, reads };
}

function invocation(dequeueCount = 1) {
  const lines: string[] = [];
  const log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  const context = {
    log,
    warn: log,
    error: log,
    triggerMetadata: { dequeueCount },
  } as unknown as InvocationContext;
  return { context, lines };
}

describe("usage poll: one tenant", () => {
  async function tenantWithAssociations(store: Store) {
    const tenant = randomUUID();
    const teams = await seed(store, { tenant, partnerId: "partner-a", workloads: ["teams"] });
    const exchange = await seed(store, { tenant, partnerId: "partner-b", workloads: ["exchange"] });
    const draft = await seed(store, {
      tenant,
      partnerId: "partner-c",
      workloads: ["sharepoint"],
      status: "Draft",
    });
    return { tenant, teams, exchange, draft };
  }

  function handler(
    store: Store,
    provider: UsageProvider,
    raiseFails?: (associationId: string) => Error | undefined,
    enqueueFails?: Error,
  ) {
    const raised: { associationId: string; eventName: string; payload: unknown }[] = [];
    const sentBack: UsagePollMessage[] = [];
    const handle = createUsagePollTenantHandler(() => ({
      store,
      usageProvider: provider,
      clock: () => new Date("2026-11-12T06:00:00.000Z"),
      defaultProgramId: "fy20-osu-milestones",
      raise: (associationId, eventName, payload) => {
        const failure = raiseFails?.(associationId);
        if (failure) return Promise.reject(failure);
        raised.push({ associationId, eventName, payload });
        return Promise.resolve();
      },
      queue: {
        enqueue: (message) => {
          if (enqueueFails) return Promise.reject(enqueueFails);
          sentBack.push(message);
          return Promise.resolve();
        },
      },
    }));
    return { handle, raised, sentBack };
  }

  const r1 = { reportRefreshDate: "2026-11-12", workloads: usage([400, 80], [400, 20]) };
  const r0 = { reportRefreshDate: "2026-11-11", workloads: usage([400, 70], [400, 10]) };

  it("reads the tenant once, stores the reading and raises it on each Approved association", async () => {
    const store = testStore();
    const { tenant, teams, exchange } = await tenantWithAssociations(store);
    const { provider, reads } = scriptedProvider(r1);
    const { handle, raised } = handler(store, provider);

    await handle(JSON.stringify({ customerTenantId: tenant }), invocation().context);

    expect(reads).toEqual([tenant]);
    expect(raised.map((r) => r.associationId).sort()).toEqual([teams.id, exchange.id].sort());
    expect(raised[0]).toMatchObject({ eventName: lifecycleEvents.usageReported, payload: r1 });
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.activeUsers).toBe(80);
  });

  it("raises nothing for the same report again, or for a stale one", async () => {
    const store = testStore();
    const { tenant } = await tenantWithAssociations(store);
    const { provider } = scriptedProvider(r1, r1, r0);
    const { handle, raised } = handler(store, provider);
    for (let i = 0; i < 3; i++) await handle({ customerTenantId: tenant }, invocation().context);
    expect(raised).toHaveLength(2); // the first delivery, on two associations
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate).toBe("2026-11-12");
  });

  it("raises a duplicate again on a redelivered message (the attempt before may have failed to raise)", async () => {
    const store = testStore();
    const { tenant } = await tenantWithAssociations(store);
    const { provider } = scriptedProvider(r1);
    await snapshot(store, tenant, r1.reportRefreshDate, r1.workloads);
    const { handle, raised } = handler(store, provider);
    await handle({ customerTenantId: tenant }, invocation(1).context);
    expect(raised).toHaveLength(0);
    await handle({ customerTenantId: tenant }, invocation(2).context);
    expect(raised).toHaveLength(2);
  });

  it("completes on a NonRetriableError and throws a TransientDependencyError for the host to retry", async () => {
    const store = testStore();
    const { tenant } = await tenantWithAssociations(store);
    const refused = handler(store, scriptedProvider(new NonRetriableError("403 from Graph")).provider);
    const { context, lines } = invocation();
    await refused.handle({ customerTenantId: tenant }, context);
    expect(lines.join("\n")).toMatch(/usage cannot be read.*403 from Graph/);
    const throttled = handler(store, scriptedProvider(new TransientDependencyError("429")).provider);
    await expect(throttled.handle({ customerTenantId: tenant }, invocation().context)).rejects.toBeInstanceOf(
      TransientDependencyError,
    );
    expect(await store.usageSnapshots.latest(tenant, "teams")).toBeUndefined();
  });

  it("skips an association without an orchestration and fails for other raise errors, after trying all", async () => {
    const store = testStore();
    const { tenant, teams, exchange } = await tenantWithAssociations(store);
    const missing = handler(store, scriptedProvider(r1).provider, (id) =>
      id === teams.id ? new Error(`No instance with ID '${id}' found.`) : undefined,
    );
    await missing.handle({ customerTenantId: tenant }, invocation().context);
    expect(missing.raised.map((r) => r.associationId)).toEqual([exchange.id]);

    const down = handler(
      store,
      scriptedProvider({ ...r1, reportRefreshDate: "2026-11-13" }).provider,
      (id) => (id === teams.id ? new Error("503 from the task hub") : undefined),
    );
    await expect(down.handle({ customerTenantId: tenant }, invocation().context)).rejects.toThrow(/503/);
    expect(down.raised.map((r) => r.associationId)).toEqual([exchange.id]);
  });

  it("reads the associations the message names instead of the claims index, and checks each", async () => {
    const store = testStore();
    const { tenant, teams, exchange, draft } = await tenantWithAssociations(store);
    const claimsRead: string[] = [];
    const claims = {
      listByTenant: (id: string) => {
        claimsRead.push(id);
        return store.claims.listByTenant(id);
      },
    } as unknown as Store["claims"];
    const { handle, raised } = handler({ ...store, claims }, scriptedProvider(r1).provider);
    const names = [teams, exchange, draft].map(({ id, partnerId }) => ({ id, partnerId }));

    await handle({ customerTenantId: tenant, associations: names }, invocation().context);
    expect(claimsRead).toEqual([]);
    expect(raised.map((r) => r.associationId).sort()).toEqual([teams.id, exchange.id].sort()); // not the Draft

    await handle({ customerTenantId: tenant }, invocation(2).context); // no list: the claims index
    expect(claimsRead).toEqual([tenant]);
    expect(raised).toHaveLength(4);
  });

  /** A provider that answers each tenant its own reading, or fails it. */
  function providerByTenant(answers: Map<string, typeof r1 | Error>) {
    const reads: string[] = [];
    const provider: UsageProvider = {
      readTenant(customerTenantId, now) {
        reads.push(customerTenantId);
        const answer = answers.get(customerTenantId);
        if (answer === undefined || answer instanceof Error)
          return Promise.reject(answer ?? new Error("unknown tenant"));
        return Promise.resolve({ ...answer, customerTenantId, fetchedAt: now.toISOString() });
      },
    };
    return { provider, reads };
  }

  it("reads each tenant of a message once and in turn, one log line each, and sends nothing back", async () => {
    const store = testStore();
    const first = await tenantWithAssociations(store);
    const second = await tenantWithAssociations(store);
    const { provider, reads } = providerByTenant(
      new Map([
        [first.tenant, r1],
        [second.tenant, r1],
      ]),
    );
    const { handle, raised, sentBack } = handler(store, provider);
    const { context, lines } = invocation();

    await handle(
      { tenants: [{ customerTenantId: first.tenant }, { customerTenantId: second.tenant }] },
      context,
    );

    expect(reads).toEqual([first.tenant, second.tenant]);
    expect(raised.map((r) => r.associationId).sort()).toEqual(
      [first.teams.id, first.exchange.id, second.teams.id, second.exchange.id].sort(),
    );
    expect(lines.filter((l) => /Approved association\(s\) judged/.test(l))).toEqual([
      expect.stringContaining(`tenant ${first.tenant}:`),
      expect.stringContaining(`tenant ${second.tenant}:`),
    ]);
    expect(sentBack).toEqual([]);
  });

  it("sends a tenant that fails beside others back alone, marked retried, and completes the message", async () => {
    const store = testStore();
    const throttled = await tenantWithAssociations(store);
    const failing = await tenantWithAssociations(store);
    const fine = await tenantWithAssociations(store);
    const answers = new Map<string, typeof r1 | Error>([
      [throttled.tenant, new TransientDependencyError("429 from Graph")],
      [failing.tenant, r1],
      [fine.tenant, r1],
    ]);
    // The failing tenant's reading is stored, then one raise fails: its retry must raise again.
    const { handle, raised, sentBack } = handler(store, providerByTenant(answers).provider, (id) =>
      id === failing.teams.id ? new Error("503 from the task hub") : undefined,
    );
    const listed = { id: failing.teams.id, partnerId: failing.teams.partnerId };
    const { context, lines } = invocation();

    await handle(
      {
        tenants: [
          { customerTenantId: throttled.tenant },
          { customerTenantId: failing.tenant, associations: [listed] },
          { customerTenantId: fine.tenant },
        ],
      },
      context,
    );

    expect(sentBack).toEqual([
      { customerTenantId: throttled.tenant, retried: true },
      { customerTenantId: failing.tenant, associations: [listed], retried: true },
    ]);
    expect(lines.filter((l) => l.includes("reading failed, to be tried again"))).toHaveLength(2);
    expect(raised.map((r) => r.associationId).sort()).toEqual([fine.teams.id, fine.exchange.id].sort());

    // Sent back alone, the tenant's stored reading is a duplicate now, and still raised.
    const retry = handler(store, providerByTenant(answers).provider);
    await retry.handle(sentBack[1], invocation().context);
    expect(retry.raised.map((r) => r.associationId)).toEqual([failing.teams.id]);
    // The same duplicate on a first delivery of an ordinary message raises nothing.
    const again = handler(store, providerByTenant(answers).provider);
    await again.handle({ tenants: [{ customerTenantId: failing.tenant }] }, invocation().context);
    expect(again.raised).toEqual([]);
  });

  it("throws for the host to retry when every tenant fails, or when a failed tenant cannot be sent back", async () => {
    const store = testStore();
    const a = await tenantWithAssociations(store);
    const b = await tenantWithAssociations(store);
    const message = { tenants: [{ customerTenantId: a.tenant }, { customerTenantId: b.tenant }] };
    const down = new TransientDependencyError("503 from Graph");
    const allDown = handler(
      store,
      providerByTenant(
        new Map([
          [a.tenant, down],
          [b.tenant, down],
        ]),
      ).provider,
    );
    await expect(allDown.handle(message, invocation().context)).rejects.toBe(down);
    expect(allDown.sentBack).toEqual([]);

    const queueDown = handler(
      store,
      providerByTenant(
        new Map<string, typeof r1 | Error>([
          [a.tenant, down],
          [b.tenant, r1],
        ]),
      ).provider,
      undefined,
      new Error("503 from the queue"),
    );
    await expect(queueDown.handle(message, invocation().context)).rejects.toThrow(/503 from the queue/);
    expect((await store.usageSnapshots.latest(b.tenant, "teams"))?.activeUsers).toBe(80);
  });

  it.each([
    ["not JSON", "{"],
    ["no tenant", "{}"],
    ["not a GUID", '{"customerTenantId":"contoso"}'],
    ["a message of no tenant", '{"tenants":[]}'],
  ])("sends a message that is %s to the poison queue", async (_what, message) => {
    const { handle } = handler(testStore(), scriptedProvider(r1).provider);
    await expect(handle(message, invocation().context)).rejects.toBeInstanceOf(NonRetriableError);
  });
});

describe("usage poll: events only on change", () => {
  const program = "fy20-osu-milestones";

  /** One association of a fresh tenant, Approved on 10 November with its baseline (nothing at approval). */
  async function baselined(store: Store, workloads: ("teams" | "exchange" | "sharepoint")[]) {
    const association = await seed(store, { workloads });
    await createRecordBaseline({ store, programId: program })({
      associationId: association.id,
      partnerId: association.partnerId,
      at: at(10),
    });
    return association;
  }

  /** Polls the tenant with one reading, as the queue trigger does; answers the raised association IDs. */
  async function poll(store: Store, association: Association, reading: UsageReading, dequeueCount = 1) {
    const raised: string[] = [];
    const { context, lines } = invocation(dequeueCount);
    const handle = createUsagePollTenantHandler(() => ({
      store,
      usageProvider: scriptedProvider(reading).provider,
      clock: () => new Date(`${reading.reportRefreshDate}T06:00:00.000Z`),
      defaultProgramId: program,
      raise: (associationId) => {
        raised.push(associationId);
        return Promise.resolve();
      },
      queue: { enqueue: () => Promise.reject(new Error("nothing is sent back from one tenant")) },
    }));
    await handle({ customerTenantId: association.customerTenantId }, context);
    return { raised, log: lines.join("\n") };
  }

  /** What the lifecycle does with a raised reading. */
  const lifecycleRecords = (store: Store, association: Association, reading: UsageReading, when: string) =>
    milestonesOf(store)(call(association, reading.reportRefreshDate, reading.workloads, when));

  const projectionOf = async (store: Store, association: Association) =>
    (await store.associations.get(association.partnerId, association.id)).value.recordedMilestones;

  /** One workload's reading: `active` users of `seats` paid seats. */
  const readingOf = (workload: string, date: string, active: number, seats = 400): UsageReading => ({
    reportRefreshDate: date,
    workloads: { [workload]: { paidSeats: seats, activeUsers: active } },
  });
  const teamsAt = (date: string, active: number) => readingOf("teams", date, active);

  it("raises nothing for a new reading that reaches nothing new", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    const { raised, log } = await poll(store, association, teamsAt("2026-11-12", 40));
    expect(raised).toEqual([]);
    expect(log).toMatch(
      /1 stored.*1 Approved association\(s\) judged: UsageReported raised on 0 association\(s\), 1 unchanged/,
    );
  });

  it("raises a new milestone once: after the lifecycle recorded it, the next reading is unchanged", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    const reaching = teamsAt("2026-11-12", 80);
    expect((await poll(store, association, reaching)).raised).toEqual([association.id]);
    expect(await lifecycleRecords(store, association, reaching, at(12))).toEqual({
      reached: 1,
      remaining: 1,
    });
    expect(await projectionOf(store, association)).toEqual([{ workload: "teams", key: "active-15" }]);
    expect((await poll(store, association, teamsAt("2026-11-13", 90))).raised).toEqual([]);
    expect((await poll(store, association, teamsAt("2026-11-14", 170))).raised).toEqual([association.id]);
  });

  it("raises a flag not stored yet, and not once it is stored", async () => {
    const store = testStore();
    const association = await baselined(store, ["sharepoint"]);
    const few = (date: string, active: number) => readingOf("sharepoint", date, active, 8);
    expect((await poll(store, association, few("2026-11-12", 4))).raised).toEqual([association.id]);
    await lifecycleRecords(store, association, few("2026-11-12", 4), at(12));
    expect((await poll(store, association, few("2026-11-13", 5))).raised).toEqual([]);
  });

  it("raises when nothing is left to earn, so the lifecycle completes", async () => {
    const store = testStore();
    const association = await baselined(store, ["exchange"]);
    const reading = (date: string, active: number) => readingOf("exchange", date, active);
    await lifecycleRecords(store, association, reading("2026-11-11", 80), at(11)); // exchange's only milestone
    expect((await poll(store, association, reading("2026-11-12", 10))).raised).toEqual([association.id]);
  });

  it("a lagging projection costs one event, and the ledger still holds one row", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    const reaching = teamsAt("2026-11-12", 80);
    await lifecycleRecords(store, association, reaching, at(12));
    // As if recordMilestones had stopped between its ledger insert and the projection.
    await store.associations.update(association.partnerId, association.id, (a) => ({
      ...a,
      recordedMilestones: [],
    }));
    const again = teamsAt("2026-11-13", 85);
    expect((await poll(store, association, again)).raised).toEqual([association.id]);
    expect(await lifecycleRecords(store, association, again, at(13))).toEqual({ reached: 0, remaining: 1 });
    expect(await ledgerKeys(store, association)).toEqual(["teams:active-15"]);
    expect(await projectionOf(store, association)).toEqual([{ workload: "teams", key: "active-15" }]);
  });

  it("writes the projection after the ledger: a crash in between is repaired by the retry", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    const failing = {
      ...store.associations,
      get: store.associations.get.bind(store.associations),
      update: () => Promise.reject(new Error("storage went away")),
    } as unknown as Store["associations"];
    const input = call(association, "2026-11-12", teamsAt("2026-11-12", 80).workloads, at(12));
    const crashing = createRecordMilestones({
      store: { ...store, associations: failing },
      defaultProgramId: program,
    });
    await expect(crashing(input)).rejects.toThrow(/storage went away/);
    expect(await ledgerKeys(store, association)).toEqual(["teams:active-15"]);
    expect(await projectionOf(store, association)).toEqual([]);

    expect(await milestonesOf(store)(input)).toEqual({ reached: 1, remaining: 1 });
    expect(await ledgerKeys(store, association)).toEqual(["teams:active-15"]);
    expect(await projectionOf(store, association)).toEqual([{ workload: "teams", key: "active-15" }]);
  });

  it("judges a row without a projection against the ledger, and projects it on its next event", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    await lifecycleRecords(store, association, teamsAt("2026-11-12", 80), at(12));
    // A row written before the projection existed.
    await store.associations.update(
      association.partnerId,
      association.id,
      ({ recordedMilestones: _r, ...a }) => a,
    );
    expect(await projectionOf(store, association)).toBeUndefined();
    expect((await poll(store, association, teamsAt("2026-11-13", 90))).raised).toEqual([]);
    const forty = teamsAt("2026-11-14", 170);
    expect((await poll(store, association, forty)).raised).toEqual([association.id]);
    await lifecycleRecords(store, association, forty, at(14));
    expect(await projectionOf(store, association)).toEqual([
      { workload: "teams", key: "active-15" },
      { workload: "teams", key: "active-40" },
    ]);
  });

  it("judges a redelivered duplicate again, and raises it only where it is news", async () => {
    const store = testStore();
    const association = await baselined(store, ["teams"]);
    const reaching = teamsAt("2026-11-12", 80);
    await snapshot(store, association.customerTenantId, reaching.reportRefreshDate, reaching.workloads);
    expect((await poll(store, association, reaching, 1)).raised).toEqual([]); // nothing new stored
    expect((await poll(store, association, reaching, 2)).raised).toEqual([association.id]);
  });
});

describe("usage poll: the timer", () => {
  it("enqueues each tenant with a Modern Work & Security association under review or Approved once", async () => {
    const store = testStore();
    const shared = randomUUID();
    await seed(store, { tenant: shared, partnerId: "partner-a", workloads: ["teams"] });
    await seed(store, { tenant: shared, partnerId: "partner-b", workloads: ["exchange"] });
    const other = await seed(store, { partnerId: "partner-b" });
    // Under review: polled before approval, so the baseline at approval has a reading.
    const reviewed = await seed(store, { status: "UnderReview" });
    await seed(store, { status: "Draft" });
    await seed(store, { status: "Rejected" });
    const enqueued: UsagePollMessage[] = [];
    const handle = createUsagePollTimerHandler(() => ({
      store,
      queue: {
        enqueue: (message) => {
          enqueued.push(message);
          return Promise.resolve();
        },
      },
    }));
    await handle({ isPastDue: false, scheduleStatus: undefined } as never, invocation().context);
    // Three tenants fit one message of the timer's form.
    expect(enqueued).toHaveLength(1);
    expect(enqueued.every((m) => "tenants" in m)).toBe(true);
    const tenants: UsagePollTenant[] = enqueued.flatMap((m) => tenantsOf(m).tenants);
    expect(tenants.map((t) => t.customerTenantId).sort()).toEqual(
      [shared, other.customerTenantId, reviewed.customerTenantId].sort(),
    );
    // Each tenant names its listed associations: the reader needs no claims query.
    const sharedTenant = tenants.find((t) => t.customerTenantId === shared);
    expect(sharedTenant?.associations?.map((a) => a.partnerId).sort()).toEqual(["partner-a", "partner-b"]);
    expect(tenants.find((t) => t.customerTenantId === reviewed.customerTenantId)?.associations).toEqual([
      { id: reviewed.id, partnerId: reviewed.partnerId },
    ]);
  });
});
