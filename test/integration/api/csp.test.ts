import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startScheduledCspImports } from "../../../src/app/cspImport";
import { generateApiKey, hashApiKey } from "../../../src/auth/apiKeys";
import type { PartnerCenterAccess } from "../../../src/integrations/partnerCenter";
import { createStore, type Store } from "../../../src/store/store";
import {
  startFakePartnerCenter,
  type FakeCspCustomer,
  type FakePartnerCenter,
} from "../../fixtures/fakePartnerCenter";
import { startApp, type AppUnderTest } from "../../support/app";
import { RecordingWorkflows } from "../../support/recordingWorkflows";
import { testStore } from "../../support/storage";

/**
 * CSP imports end to end on the local host: the real app reads a fake Partner Center (HTTPS on
 * 127.0.0.1, its own token endpoint) with its Partner Center app, one tenant per partner
 * (PARTNER_CENTER_PARTNER_TENANTS). Partners are written to the app's tables before it starts, so
 * their IDs are known to the settings.
 */
describe("CSP imports from Partner Center", () => {
  const prefix = `csp${randomBytes(4).toString("hex")}`;
  const clientId = randomUUID();
  const clientSecret = `pc-secret-${randomUUID()}`;
  const tenants = {
    fabrikam: randomUUID(),
    northwind: randomUUID(),
    adatum: randomUUID(),
    litware: randomUUID(),
  };
  let app: AppUnderTest;
  let fake: FakePartnerCenter;
  const keys: Record<string, string> = {};

  interface JobView {
    id: string;
    kind: string;
    status: string;
    total: number;
    done: number;
    failed: number;
    error?: string;
    createdAt: string;
    results: { key: string; outcome: string; associationId?: string; note?: string }[];
  }
  interface View {
    id: string;
    type: string;
    kind: string;
    status: string;
    customerTenantId: string;
    customerDomain?: string;
    model?: string;
    indirectProviderLocationId?: string;
    source?: string;
    companyName?: string;
    subscriptions?: { id: string; offerName?: string; quantity?: number; status?: string }[];
    subscriptionCount?: number;
    lastImportedAt?: string;
    timeline?: { from?: string; to?: string; actor: string; reason: string }[];
  }

  const customer = (name: string, seats = 10): FakeCspCustomer => ({
    tenantId: randomUUID(),
    domain: `${name}.onmicrosoft.com`,
    companyName: `${name[0]?.toUpperCase()}${name.slice(1)} Ltd`,
    subscriptions: [
      { id: randomUUID(), offerName: "Microsoft 365 Business Premium", quantity: seats, status: "active" },
      { id: randomUUID(), offerName: "Microsoft Defender for Endpoint P2", quantity: 5, status: "suspended" },
    ],
  });

  const fabrikamCustomers = [
    "alpine",
    "blue-yonder",
    "coho",
    "datum",
    "fourth-coffee",
    "humongous",
    "lucerne",
  ].map((n, i) => customer(n, 10 + i));

  async function seedPartner(store: Store, id: string, locationId: string) {
    const apiKey = generateApiKey();
    const now = new Date().toISOString();
    await store.partners.put({ id, name: `${id} partner`, partnerLocationIds: [locationId], createdAt: now });
    await store.apiKeys.add(hashApiKey(apiKey), id, now);
    keys[id] = apiKey;
  }

  beforeAll(async () => {
    fake = await startFakePartnerCenter({
      tls: inject("fakeTls"),
      pageSize: 3,
      apps: [
        { tenantId: tenants.fabrikam, clientId, clientSecret },
        { tenantId: tenants.northwind, clientId, clientSecret },
        { tenantId: tenants.adatum, clientId, clientSecret },
        // The app in Litware's tenant has another secret than the one configured.
        { tenantId: tenants.litware, clientId, clientSecret: `rotated-${randomUUID()}` },
      ],
    });
    const store = createStore(inject("storageConnectionString"), { prefix });
    await seedPartner(store, "fabrikam", "4870001");
    await seedPartner(store, "northwind", "4870002");
    await seedPartner(store, "adatum", "4870003");
    await seedPartner(store, "litware", "4870004");
    await seedPartner(store, "contoso", "4870005");
    app = await startApp({
      TABLE_PREFIX: prefix,
      AZURE_AUTHORITY_HOST: fake.origin,
      PARTNER_CENTER_BASE_URL: fake.origin,
      PARTNER_CENTER_CLIENT_ID: clientId,
      PARTNER_CENTER_CLIENT_SECRET: clientSecret,
      // Contoso is in none: this deployment has no Partner Center access for it.
      PARTNER_CENTER_PARTNER_TENANTS: JSON.stringify(tenants),
    });
  });

  afterAll(async () => {
    await app?.host.stop();
    await fake?.stop();
  });

  const startImport = (partner: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    app.call(keys[partner] ?? "", "POST", "/api/v1/csp/imports", body, headers);

  async function waitForJob(partner: string, id: string): Promise<JobView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = (await (
        await app.call(keys[partner] ?? "", "GET", `/api/v1/jobs/${id}`)
      ).json()) as JobView;
      if (job.status !== "Running") return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still running: ${JSON.stringify(job)}`);
      await sleep(200);
    }
  }

  /** Starts an import, answers the finished job. */
  async function runImport(partner: string): Promise<JobView> {
    const response = await startImport(partner);
    expect(response.status).toBe(202);
    return waitForJob(partner, ((await response.json()) as JobView).id);
  }

  async function cspAssociations(partner: string): Promise<View[]> {
    const all: View[] = [];
    for (const kind of ["csp-direct-bill", "csp-indirect-reseller"]) {
      const response = await app.call(
        keys[partner] ?? "",
        "GET",
        `/api/v1/associations?type=${kind}&pageSize=500`,
      );
      expect(response.status).toBe(200);
      all.push(...((await response.json()) as { items: View[] }).items);
    }
    return all;
  }

  const byTenant = (views: readonly View[], tenantId: string) =>
    views.filter((v) => v.customerTenantId === tenantId.toLowerCase());

  const read = async (partner: string, id: string) =>
    (await (await app.call(keys[partner] ?? "", "GET", `/api/v1/associations/${id}`)).json()) as View;

  it("imports 7 customers over 3 pages as Active CSP associations, through a 429", async () => {
    fake.setCustomers(tenants.fabrikam, fabrikamCustomers);
    fake.throttle(1, 1);
    const response = await startImport("fabrikam");
    expect(response.status).toBe(202);
    const started = (await response.json()) as JobView;
    expect(started).toMatchObject({ kind: "csp-import", status: "Running", done: 0, failed: 0, results: [] });
    expect(started.createdAt).toEqual(expect.any(String));
    expect(response.headers.get("location")).toBe(`${app.url}/api/v1/jobs/${started.id}`);

    const job = await waitForJob("fabrikam", started.id);
    expect(job).toMatchObject({ status: "Completed", total: 7, done: 7, failed: 0 });
    expect(job.results.map((r) => r.key)).toEqual(fabrikamCustomers.map((c) => c.tenantId));
    expect(job.results.every((r) => r.outcome === "created" && r.associationId)).toBe(true);
    const pages = fake.requests.filter((r) => r.path === "/v1/customers" && r.status === 200);
    expect(
      pages.filter((r) => r.tenantId === tenants.fabrikam).map((r) => r.continuationToken !== undefined),
    ).toEqual([false, true, true]);

    const views = await cspAssociations("fabrikam");
    expect(views).toHaveLength(7);
    const [first] = fabrikamCustomers;
    expect(byTenant(views, first?.tenantId ?? "")).toEqual([
      expect.objectContaining({
        type: "csp",
        kind: "csp-direct-bill",
        status: "Active",
        model: "direct-bill",
        source: "import",
        customerDomain: "alpine.onmicrosoft.com",
        companyName: "Alpine Ltd",
        subscriptionCount: 2,
        lastImportedAt: expect.any(String) as unknown,
      }),
    ]);
    const subscriptions = byTenant(views, first?.tenantId ?? "")[0]?.subscriptions ?? [];
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        {
          id: first?.subscriptions?.[0]?.id,
          offerName: "Microsoft 365 Business Premium",
          quantity: 10,
          status: "active",
        },
        expect.objectContaining({ offerName: "Microsoft Defender for Endpoint P2", status: "suspended" }),
      ]),
    );
  });

  it("ends a customer that left the list, keeps or updates the others, and makes it Active when it returns", async () => {
    const gone = fabrikamCustomers[2];
    const changed = fabrikamCustomers[0];
    if (!gone || !changed) throw new Error("fixture");
    const others = fabrikamCustomers.filter((c) => c !== gone && c !== changed);
    const before = byTenant(await cspAssociations("fabrikam"), gone.tenantId)[0];
    const renamed = { ...changed, companyName: "Alpine Holdings" };
    fake.setCustomers(tenants.fabrikam, [renamed, ...others]);
    const second = await runImport("fabrikam");
    expect(second).toMatchObject({ status: "Completed", total: 7, done: 7, failed: 0 });
    const outcome = (tenantId: string) => second.results.find((r) => r.key === tenantId)?.outcome;
    expect(outcome(changed.tenantId)).toBe("updated");
    expect(outcome(gone.tenantId)).toBe("ended");
    expect(second.results.filter((r) => r.outcome === "unchanged")).toHaveLength(5);
    expect(second.results.at(-1)).toMatchObject({ key: gone.tenantId, associationId: before?.id });

    const ended = await read("fabrikam", before?.id ?? "");
    expect(ended.status).toBe("Ended");
    expect(ended.timeline?.at(-1)).toMatchObject({ from: "Active", to: "Ended", actor: "system" });
    expect(ended.timeline?.[0]).toMatchObject({ to: "Active", actor: "system" }); // made by the import
    const views = await cspAssociations("fabrikam");
    expect(byTenant(views, changed.tenantId)[0]?.companyName).toBe("Alpine Holdings");

    fake.setCustomers(tenants.fabrikam, [renamed, ...fabrikamCustomers.filter((c) => c !== changed)]);
    const third = await runImport("fabrikam");
    expect(third).toMatchObject({ status: "Completed", total: 7, done: 7, failed: 0 });
    expect(third.results.find((r) => r.key === gone.tenantId)).toMatchObject({
      outcome: "updated",
      associationId: before?.id,
      note: expect.stringContaining("Active again") as unknown,
    });
    const back = await read("fabrikam", before?.id ?? "");
    expect(back.status).toBe("Active");
    expect(back.timeline?.at(-1)).toMatchObject({ from: "Ended", to: "Active", actor: "system" });
    expect(byTenant(await cspAssociations("fabrikam"), gone.tenantId)).toHaveLength(1);
  });

  it("imports an indirect reseller's customers with its provider, beside another partner's for the same customer", async () => {
    const shared = fabrikamCustomers[1];
    if (!shared) throw new Error("fixture");
    fake.setIndirectProviders(tenants.northwind, [
      { id: randomUUID(), name: "Old Distributor", mpnId: "1111111", state: "Terminated" },
      { id: randomUUID(), name: "Contoso Distribution", mpnId: "7654321", state: "Active" },
    ]);
    fake.setCustomers(tenants.northwind, [shared, customer("tailspin")]);
    const job = await runImport("northwind");
    expect(job).toMatchObject({ status: "Completed", total: 2, done: 2, failed: 0 });
    const views = await cspAssociations("northwind");
    expect(views).toHaveLength(2);
    expect(
      views.every(
        (v) =>
          v.kind === "csp-indirect-reseller" &&
          v.model === "indirect-reseller" &&
          v.indirectProviderLocationId === "7654321",
      ),
    ).toBe(true);
    const theirs = byTenant(views, shared.tenantId)[0];
    const ours = byTenant(await cspAssociations("fabrikam"), shared.tenantId)[0];
    expect(theirs?.status).toBe("Active");
    expect(ours?.status).toBe("Active");
    expect(theirs?.id).not.toBe(ours?.id);
  });

  it("takes over a manual association the list names, and never ends a manual one", async () => {
    const listed = customer("wingtip");
    const manualBody = (tenantId: string, domain: string) => ({
      type: "csp",
      model: "direct-bill",
      partnerLocationId: "4870003",
      customerTenantId: tenantId,
      customerDomain: domain,
    });
    const created = await Promise.all([
      app.call(keys.adatum ?? "", "POST", "/api/v1/associations", manualBody(listed.tenantId, listed.domain)),
      app.call(
        keys.adatum ?? "",
        "POST",
        "/api/v1/associations",
        manualBody(randomUUID(), "unlisted.onmicrosoft.com"),
      ),
    ]);
    const [takenOver, untouched] = (await Promise.all(created.map((r) => r.json()))) as View[];
    expect(takenOver?.source).toBe("manual");
    fake.setCustomers(tenants.adatum, [listed]);
    const job = await runImport("adatum");
    expect(job).toMatchObject({ status: "Completed", total: 1, done: 1, failed: 0 });
    expect(job.results).toEqual([
      expect.objectContaining({ key: listed.tenantId, outcome: "updated", associationId: takenOver?.id }),
    ]);
    expect(await read("adatum", takenOver?.id ?? "")).toMatchObject({
      status: "Active",
      source: "import",
      companyName: "Wingtip Ltd",
      subscriptionCount: 2,
    });
    expect(await read("adatum", untouched?.id ?? "")).toMatchObject({ status: "Active", source: "manual" });
  });

  it("fails the job with a reason that names the refusal, never the secret, when the token is refused", async () => {
    fake.setCustomers(tenants.litware, [customer("proseware")]);
    const job = await runImport("litware");
    expect(job).toMatchObject({ status: "Failed", results: [] });
    expect(job.error).toMatch(/invalid_client, AADSTS7000215/);
    expect(job.error).not.toContain(clientSecret);
    expect(JSON.stringify(job)).not.toContain(clientSecret);
    expect(await cspAssociations("litware")).toEqual([]);
  });

  it("answers 503 naming the setting for a partner without Partner Center access, before any job", async () => {
    const response = await startImport("contoso");
    expect(response.status).toBe(503);
    const problem = (await response.json()) as { detail: string };
    expect(problem.detail).toContain("PARTNER_CENTER_TENANT_ID");
    expect(problem.detail).not.toContain(clientSecret);
  });

  it("hides another partner's job, replays a retried start, and refuses bodies it does not take", async () => {
    const key = `import-${randomUUID()}`;
    const first = await startImport("fabrikam", {}, { "idempotency-key": key });
    const again = await startImport("fabrikam", {}, { "idempotency-key": key });
    const job = (await first.json()) as JobView;
    expect(((await again.json()) as JobView).id).toBe(job.id);
    expect((await app.call(keys.northwind ?? "", "GET", `/api/v1/jobs/${job.id}`)).status).toBe(404);
    await waitForJob("fabrikam", job.id);

    const notJson = await startImport("fabrikam", "import please", { "content-type": "text/plain" });
    expect(notJson.status).toBe(415);
    const bad = await startImport("fabrikam", { force: true });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { message: string }[] }).errors[0]?.message).toContain("force");
    const none = await app.call(keys.fabrikam ?? "", "POST", "/api/v1/csp/imports", undefined, {
      "content-type": "",
    });
    expect(none.status).toBe(202);
    await waitForJob("fabrikam", ((await none.json()) as JobView).id);
  });
});

describe("the daily CSP re-import", () => {
  const access = (tenants: Record<string, string>, tenantId?: string): PartnerCenterAccess => ({
    forPartner: () => ({}) as ReturnType<PartnerCenterAccess["forPartner"]>,
    missingSettings: (partnerId) => ((tenants[partnerId] ?? tenantId) ? [] : ["PARTNER_CENTER_TENANT_ID"]),
    hasOwnTenant: (partnerId) => partnerId in tenants,
  });

  async function partners(store: Store, ...ids: string[]) {
    for (const id of ids)
      await store.partners.put({
        id,
        name: id,
        partnerLocationIds: ["4870001"],
        createdAt: new Date().toISOString(),
      });
  }

  it("imports the partners with a tenant of their own and skips the others with a log line", async () => {
    const store = testStore();
    await partners(store, "fabrikam", "northwind", "contoso");
    const workflows = new RecordingWorkflows();
    workflows.running = undefined; // no instance yet
    const lines: string[] = [];
    const ports = { store, clock: () => new Date("2026-11-02T04:00:00.000Z") };
    const run = await startScheduledCspImports(
      { ...ports, partnerCenter: access({ fabrikam: randomUUID() }, randomUUID()) },
      workflows,
      (line) => lines.push(line),
    );
    expect(run).toEqual({ started: ["fabrikam"], skipped: ["contoso", "northwind"] });
    expect(workflows.starts).toEqual([
      { orchestrator: "cspImport", instanceId: expect.any(String) as unknown },
    ]);
    expect(lines.filter((l) => l.includes("skipped"))).toHaveLength(2);
    const [instanceId] = workflows.starts.map((s) => s.instanceId);
    expect((await store.jobs.get("fabrikam", instanceId ?? "")).value).toMatchObject({ kind: "csp-import" });
    // The same occurrence delivered again starts nothing new.
    await startScheduledCspImports(
      { ...ports, partnerCenter: access({ fabrikam: randomUUID() }) },
      workflows,
      () => undefined,
    );
    expect(workflows.starts).toHaveLength(1);
  });

  it("with one partner and only the deployment's tenant, imports that partner", async () => {
    const store = testStore();
    await partners(store, "solo");
    const workflows = new RecordingWorkflows();
    workflows.running = undefined; // no instance yet
    const run = await startScheduledCspImports(
      { store, clock: () => new Date(), partnerCenter: access({}, randomUUID()) },
      workflows,
      () => undefined,
    );
    expect(run).toEqual({ started: ["solo"], skipped: [] });
  });
});
