import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { unmeasurableWorkloads } from "../../../src/integrations/usage/graphWorkloadReaders";
import { startFakeGraph, type FakeGraph } from "../../fixtures/fakeGraph";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * Not-measurable workloads end to end on the local host: the real app reads the fake Graph and
 * Defender API through the usage-poll queue, records which claimed workloads cannot be measured
 * (and why), clears them once they are measured again, and `GET /associations/{id}/usage` shows them.
 */
interface NotMeasurableRow {
  workload: string;
  reason: string;
  since: string;
}

describe("not-measurable workloads: poll → store → GET /associations/{id}/usage", () => {
  let app: AppUnderTest;
  let graph: FakeGraph;
  let pollQueue: QueueClient;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    graph = await startFakeGraph({ tls: inject("fakeTls") });
    const queueName = `usage-poll-${randomBytes(4).toString("hex")}`;
    app = await startApp({
      USAGE_PROVIDER: "graph",
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      AZURE_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      DEFENDER_BASE_URL: graph.defenderBaseUrl,
      USAGE_POLL_QUEUE: queueName,
      USAGE_POLL_SCHEDULE: "0 0 0 1 1 *",
    });
    pollQueue = new QueueClient(inject("storageConnectionString"), queueName);
    await pollQueue.createIfNotExists();
    partner = await app.partner("Fabrikam Consulting");
  });

  afterAll(async () => {
    await app?.host.stop();
    await graph?.stop();
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

  /**
   * Microsoft 365 E5 seats, Exchange activity, one Intune user; Intune refused (403) until consent is
   * granted. (A permission missing from the token's roles is the other way in; it lasts as long as the
   * cached token, so the provider tests cover it.)
   */
  function tenantReads(tenant: string, intuneConsented: boolean) {
    graph.setTenant(tenant, {
      refreshDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      skus: [{ skuPartNumber: "SPE_E5", enabled: 100 }],
      counts: { getOffice365ServicesUserCounts: { "Exchange Active": 30, "Teams Active": 20 } },
      managedDevices: [{ userPrincipalName: "ann@contoso.com", lastSyncDateTime: daysAgo(1) }],
      faults: intuneConsented ? [] : [{ kind: "unauthorized", status: 403, target: "managedDevices" }],
    });
  }

  /** One poll message for the tenant, waited for until read and its writes are done. */
  async function poll(tenant: string) {
    const reads = graph.stats(tenant).subscribedSkusCalls;
    await pollQueue.sendMessage(Buffer.from(JSON.stringify({ customerTenantId: tenant })).toString("base64"));
    const deadline = Date.now() + 20_000;
    while (graph.stats(tenant).subscribedSkusCalls <= reads || (await queued()) > 0) {
      if (Date.now() > deadline) throw new Error(`tenant ${tenant} was not read`);
      await sleep(100);
    }
    await sleep(1000); // the read's writes
  }

  const queued = async () => (await pollQueue.getProperties()).approximateMessagesCount ?? 0;

  async function notMeasurable(id: string): Promise<NotMeasurableRow[]> {
    const response = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}/usage`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { notMeasurable: NotMeasurableRow[] }).notMeasurable;
  }

  it("lists claimed workloads the app cannot read with the reason, keeps `since`, and clears them once measured", async () => {
    const tenant = randomUUID();
    tenantReads(tenant, false);
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({
        partnerLocationId: partner.locationId,
        customerTenantId: tenant,
        workloads: ["teams", "intune", "information-protection"],
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await notMeasurable(id)).toEqual([]);

    await poll(tenant);
    const first = await notMeasurable(id);
    // Claimed workloads only (not the tenant's other unmeasurable ones), in claimed order; Teams is measured.
    expect(first.map((r) => [r.workload, r.reason])).toEqual([
      [
        "intune",
        "refused (HTTP 403 Authorization_RequestDenied): the app lacks DeviceManagementManagedDevices.Read.All in this tenant: grant admin consent",
      ],
      ["information-protection", unmeasurableWorkloads["information-protection"]],
    ]);
    for (const row of first) expect(Date.parse(row.since)).toBeGreaterThan(Date.now() - 60_000);

    // A redelivered or repeated poll changes nothing: same reasons, same `since`.
    await poll(tenant);
    expect(await notMeasurable(id)).toEqual(first);

    // Consent granted: Intune is measured and leaves the list; Information Protection stays.
    tenantReads(tenant, true);
    await poll(tenant);
    expect(await notMeasurable(id)).toEqual([first[1]]);
  });
});
