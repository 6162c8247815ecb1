import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NonRetriableError, TransientDependencyError } from "../../../src/domain/errors";
import {
  createGraphUsageProvider,
  defenderCallsPerTenant,
  graphCallsPerTenant,
  graphUsageReports,
  parseRetryAfter,
  type GraphUsageProviderOptions,
} from "../../../src/integrations/usage/graphUsageProvider";
import { unmeasurableWorkloads } from "../../../src/integrations/usage/graphWorkloadReaders";
import { startFakeGraph, type FakeGraph, type FakeGraphTenant } from "../../fixtures/fakeGraph";

/**
 * The real adapter (@azure/identity's ClientSecretCredential, fetch, csv-parse) against a fake
 * Entra ID (HTTPS, trusted through NODE_EXTRA_CA_CERTS by the fakeGraphTls global setup) and a
 * fake Graph on 127.0.0.1.
 */
let fake: FakeGraph;

beforeAll(async () => {
  const tls = inject("fakeTls");
  if (!tls)
    throw new Error(
      "no fakeTls: add test/integration/fakeGraphTls.ts to the integration project's globalSetup",
    );
  fake = await startFakeGraph({ tls });
});

afterAll(async () => {
  await fake?.stop();
});

const now = new Date("2026-11-22T06:00:00.000Z");

function provider(options: Partial<GraphUsageProviderOptions> = {}) {
  return createGraphUsageProvider({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    authorityHost: fake.authorityHost,
    baseUrl: fake.graphBaseUrl,
    defenderBaseUrl: fake.defenderBaseUrl,
    period: "D7",
    retry: { baseDelayMs: 5 },
    ...options,
  });
}

/** A tenant with every report populated; the Teams and Apps reports lag, as they do. */
function contoso(overrides: Partial<FakeGraphTenant> = {}): FakeGraphTenant {
  return {
    refreshDate: "2026-11-20",
    refreshDates: { getTeamsUserActivityUserCounts: "2026-11-14", getM365AppUserCounts: "2026-11-16" },
    counts: {
      getOffice365ServicesUserCounts: {
        "Exchange Active": 812,
        "Exchange Inactive": 188,
        "OneDrive Active": 600,
        "SharePoint Active": 540,
        "Yammer Active": 90,
        "Teams Active": 705,
        "Office 365 Active": 900,
      },
      getTeamsUserActivityUserCounts: {
        "Team Chat Messages": 300,
        "Private Chat Messages": 520,
        Calls: 200,
        Meetings: 410,
        "Other Actions": 100,
      },
      getM365AppUserCounts: { Outlook: 640, Word: 420, Excel: 380, PowerPoint: 150, OneNote: 40, Teams: 950 },
      getSharePointActivityUserCounts: {
        "Visited Page": 200,
        "Viewed Or Edited": 330,
        Synced: 120,
        "Shared Internally": 60,
        "Shared Externally": 10,
      },
      getEmailActivityUserCounts: {
        Send: 700,
        Receive: 990,
        Read: 760,
        "Meeting Created": 100,
        "Meeting Interacted": 300,
      },
    },
    skus: [
      { skuPartNumber: "SPE_E5", enabled: 600 },
      { skuPartNumber: "ENTERPRISEPACK", enabled: 400 },
      { skuPartNumber: "MCOEV", enabled: 50 },
      // Not paid for now, and not in the SKU table: neither counts.
      { skuPartNumber: "EMS", enabled: 1000, capabilityStatus: "Warning" },
      { skuPartNumber: "POWER_BI_STANDARD", enabled: 10_000 },
    ],
    ...overrides,
  };
}

function tenantWith(tenant: FakeGraphTenant): string {
  const tenantId = randomUUID();
  fake.setTenant(tenantId, tenant);
  return tenantId;
}

function callsTo(tenantId: string, route: string): number {
  return fake.requests().filter((r) => r.tenantId === tenantId && r.path.includes(route)).length;
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the reading to fail");
}

function expectNoSecrets(err: Error): void {
  for (const text of [err.message, err.stack ?? ""]) {
    expect(text).not.toContain(fake.clientSecret);
    for (const token of fake.issuedTokens()) expect(text).not.toContain(token);
  }
}

describe("Graph usage provider", () => {
  it("reads active users per workload, paid seats from the SKU table, and the latest refresh date", async () => {
    const tenantId = tenantWith(contoso());
    const reading = await provider().readTenant(tenantId, now);

    expect(reading).toEqual({
      customerTenantId: tenantId,
      reportRefreshDate: "2026-11-20",
      fetchedAt: "2026-11-22T06:00:00.000Z",
      workloads: {
        // Exchange Active (812) beats the email report's best action column, Read (760); Receive (990) is no action.
        exchange: { paidSeats: 1000, activeUsers: 812 },
        sharepoint: { paidSeats: 1000, activeUsers: 540 },
        teams: { paidSeats: 1000, activeUsers: 705 },
        // The latest day's row only: older rows count more.
        "teams-meetings": { paidSeats: 1000, activeUsers: 410 },
        "viva-engage": { paidSeats: 1000, activeUsers: 90 },
        // Outlook, not the Teams app column (950).
        "m365-apps": { paidSeats: 1000, activeUsers: 640 },
        // Paid for by SPE_E5 (and MCOEV), read by the workload readers: nobody active in this tenant.
        intune: { paidSeats: 600, activeUsers: 0 },
        "entra-id-p2": { paidSeats: 600, activeUsers: 0 },
        "teams-phone": { paidSeats: 650, activeUsers: 0 },
        "defender-endpoint": { paidSeats: 600, activeUsers: 0 },
      },
      // Microsoft documents no per-user signal for these: not measurable, never 0 %.
      notMeasurable: unmeasurableWorkloads,
    });
    expect(fake.stats(tenantId)).toMatchObject({
      // One Graph token, one Defender for Endpoint API token.
      tokenRequests: 2,
      defenderCalls: 1,
      graphCalls: graphCallsPerTenant,
      reportCalls: graphUsageReports.length,
      subscribedSkusCalls: 1,
    });
  });

  it("sends the bearer token to Graph but never to the report download", async () => {
    fake.resetStats();
    const tenantId = tenantWith(contoso());
    await provider().readTenant(tenantId, now);

    const graphRequests = fake.requests().filter((r) => r.server === "graph");
    const api = graphRequests.filter((r) => r.path.startsWith("/v1.0/"));
    const downloads = graphRequests.filter((r) => r.path.startsWith("/downloads/"));
    expect(api).toHaveLength(graphCallsPerTenant);
    expect(api.every((r) => r.authorization && r.status < 400)).toBe(true);
    expect(downloads).toHaveLength(graphUsageReports.length);
    expect(downloads.every((r) => !r.authorization && r.status === 200)).toBe(true);
    expect(fake.stats().downloadsWithAuthorization).toBe(0);
  });

  it("makes tenants × calls-per-tenant Graph calls a cycle, with one token per tenant across cycles", async () => {
    fake.resetStats();
    const tenants = [tenantWith(contoso()), tenantWith(contoso()), tenantWith(contoso())];
    const usage = provider();
    for (let cycle = 1; cycle <= 2; cycle++) {
      for (const tenantId of tenants) await usage.readTenant(tenantId, now);
      expect(fake.stats()).toMatchObject({
        graphCalls: cycle * tenants.length * graphCallsPerTenant,
        downloads: cycle * tenants.length * graphUsageReports.length,
        defenderCalls: cycle * tenants.length * defenderCallsPerTenant,
        // Graph's and the Defender API's, once per tenant: MSAL caches both.
        tokenRequests: 2 * tenants.length,
      });
    }
  });

  it("keeps the credentials of the tenants read lately only: the least recent one is made again", async () => {
    fake.resetStats();
    const kept = 256;
    const tenants = Array.from({ length: kept + 1 }, () => tenantWith(contoso()));
    const usage = provider();
    for (const tenantId of tenants) await usage.readTenant(tenantId, now);
    const [first, second] = tenants as [string, string];
    await usage.readTenant(tenants[kept] as string, now); // the most recent: still cached
    expect(fake.stats().tokenRequests).toBe(2 * tenants.length);
    await usage.readTenant(first, now); // dropped when the last one came: asks again
    expect(fake.stats().tokenRequests).toBe(2 * tenants.length + 2);
    await usage.readTenant(second, now); // dropped in turn to keep the first
    expect(fake.stats().tokenRequests).toBe(2 * tenants.length + 4);
  });

  it("asks for the configured period", async () => {
    const tenantId = tenantWith(contoso());
    const reading = await provider({ period: "D30" }).readTenant(tenantId, now);
    expect(reading.workloads["teams-meetings"]).toEqual({ paidSeats: 1000, activeUsers: 410 });
    expect(fake.requests().some((r) => r.tenantId === tenantId && r.path.includes("(period='D30')"))).toBe(
      true,
    );
  });

  it("parses a BOM, quoted fields with commas and quotes, unknown columns and blank cells", async () => {
    const base = contoso();
    const tenantId = tenantWith({
      ...base,
      extraColumns: { "Data Boundary": 'Contoso, "EU" region' },
      counts: {
        ...base.counts,
        getOffice365ServicesUserCounts: {
          ...base.counts?.getOffice365ServicesUserCounts,
          "Teams Active": "",
          "Yammer Active": "",
        },
      },
    });

    // What the adapter is given really has a BOM and quoted fields.
    const answer = await fetch(`${fake.graphBaseUrl}/reports/getOffice365ServicesUserCounts(period='D7')`, {
      headers: { authorization: `Bearer ${fake.tokenFor(tenantId)}` },
      redirect: "manual",
    });
    expect(answer.status).toBe(302);
    const raw = new Uint8Array(await (await fetch(answer.headers.get("location")!)).arrayBuffer());
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(raw);
    expect(text).toContain('"Report Refresh Date","Exchange Active"');
    expect(text).toContain('"Contoso, ""EU"" region"');

    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads.exchange).toEqual({ paidSeats: 1000, activeUsers: 812 });
    // A blank "Teams Active" leaves the Teams report's busiest column (Private Chat Messages).
    expect(reading.workloads.teams).toEqual({ paidSeats: 1000, activeUsers: 520 });
    // Blank "Yammer Active" and no other source: no data.
    expect(reading.workloads["viva-engage"]).toBeUndefined();
  });

  it("treats an empty report (header only) as no data for its workloads", async () => {
    const tenantId = tenantWith(
      contoso({ faults: [{ kind: "empty", target: "getOffice365ServicesUserCounts" }] }),
    );
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.reportRefreshDate).toBe("2026-11-20");
    expect(reading.workloads).toEqual({
      exchange: { paidSeats: 1000, activeUsers: 760 },
      sharepoint: { paidSeats: 1000, activeUsers: 330 },
      teams: { paidSeats: 1000, activeUsers: 520 },
      "teams-meetings": { paidSeats: 1000, activeUsers: 410 },
      "m365-apps": { paidSeats: 1000, activeUsers: 640 },
      intune: { paidSeats: 600, activeUsers: 0 },
      "entra-id-p2": { paidSeats: 600, activeUsers: 0 },
      "teams-phone": { paidSeats: 650, activeUsers: 0 },
      "defender-endpoint": { paidSeats: 600, activeUsers: 0 },
    });
  });

  it("dates the reading by the latest refresh date among the reports that had data", async () => {
    const tenantId = tenantWith(
      contoso({
        faults: (
          [
            "getOffice365ServicesUserCounts",
            "getSharePointActivityUserCounts",
            "getEmailActivityUserCounts",
          ] as const
        ).map((target) => ({ kind: "empty" as const, target })),
      }),
    );
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.reportRefreshDate).toBe("2026-11-16");
    expect(Object.keys(reading.workloads).sort()).toEqual([
      "defender-endpoint",
      "entra-id-p2",
      "intune",
      "m365-apps",
      "teams",
      "teams-meetings",
      "teams-phone",
    ]);
  });

  it("fails transiently when every report is still empty (a new tenant)", async () => {
    const tenantId = tenantWith(contoso({ faults: [{ kind: "empty" }] }));
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(TransientDependencyError);
    expect(err.message).toContain(tenantId);
  });

  it("turns 429 into a TransientDependencyError carrying Retry-After, without retrying it", async () => {
    const tenantId = tenantWith(
      contoso({ faults: [{ kind: "throttle", retryAfterSeconds: 120, target: "getM365AppUserCounts" }] }),
    );
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(TransientDependencyError);
    expect((err as TransientDependencyError).retryAfterSeconds).toBe(120);
    expect(err.message).toContain("getM365AppUserCounts");
    expect(err.message).toContain(tenantId);
    expect(callsTo(tenantId, "getM365AppUserCounts")).toBe(1);
    expectNoSecrets(err);
  });

  it("retries 5xx and succeeds when Graph recovers", async () => {
    const tenantId = tenantWith(
      contoso({
        faults: [
          { kind: "server-error", times: 2, target: "getTeamsUserActivityUserCounts" },
          { kind: "server-error", status: 503, times: 1, target: "subscribedSkus" },
        ],
      }),
    );
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads.teams).toEqual({ paidSeats: 1000, activeUsers: 705 });
    expect(callsTo(tenantId, "getTeamsUserActivityUserCounts")).toBe(3);
    expect(callsTo(tenantId, "/v1.0/subscribedSkus")).toBe(2);
    expect(fake.stats(tenantId).graphCalls).toBe(graphCallsPerTenant + 3);
  });

  it("gives up on a lasting 5xx after the bounded tries with a TransientDependencyError", async () => {
    const tenantId = tenantWith(
      contoso({ faults: [{ kind: "server-error", status: 502, target: "getEmailActivityUserCounts" }] }),
    );
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(TransientDependencyError);
    expect(err.message).toContain("getEmailActivityUserCounts");
    expect(err.message).toContain("HTTP 502");
    expect(callsTo(tenantId, "getEmailActivityUserCounts")).toBe(3);
    expectNoSecrets(err);
  });

  it("asks the report again when its download link has expired", async () => {
    const tenantId = tenantWith(
      contoso({
        faults: [{ kind: "expired-download", times: 1, target: "getSharePointActivityUserCounts" }],
      }),
    );
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads.sharepoint).toEqual({ paidSeats: 1000, activeUsers: 540 });
    expect(callsTo(tenantId, "getSharePointActivityUserCounts")).toBe(2);
  });

  it("turns 401 into a NonRetriableError naming the tenant and the report, not the secret or token", async () => {
    const tenantId = tenantWith(
      contoso({ faults: [{ kind: "unauthorized", target: "getOffice365ServicesUserCounts" }] }),
    );
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toContain(tenantId);
    expect(err.message).toContain("getOffice365ServicesUserCounts");
    expect(err.message).toContain("HTTP 401");
    expect(callsTo(tenantId, "getOffice365ServicesUserCounts")).toBe(1);
    expectNoSecrets(err);
  });

  it("turns 403 on subscribedSkus into a NonRetriableError, preferred over a concurrent 429", async () => {
    const tenantId = tenantWith(
      contoso({
        faults: [
          { kind: "unauthorized", status: 403, target: "subscribedSkus" },
          { kind: "throttle", retryAfterSeconds: 30, target: "getTeamsUserActivityUserCounts" },
        ],
      }),
    );
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toContain("subscribedSkus");
    expect(err.message).toContain("Authorization_RequestDenied");
  });

  it("turns a refused token (bad secret, no consent) into a NonRetriableError before calling Graph", async () => {
    const tenantId = tenantWith(contoso({ faults: [{ kind: "token-refused" }] }));
    const err = await failureOf(provider().readTenant(tenantId, now));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toContain(tenantId);
    expect(err.message).toContain("invalid_client");
    expect(fake.stats(tenantId).graphCalls).toBe(0);
    expectNoSecrets(err);
  });

  it("uses the client secret it was given", async () => {
    const tenantId = tenantWith(contoso());
    const err = await failureOf(provider({ clientSecret: "not-the-secret" }).readTenant(tenantId, now));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).not.toContain("not-the-secret");
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const at = Date.parse("2026-11-22T06:00:00Z");
    expect(parseRetryAfter("120", at)).toBe(120);
    expect(parseRetryAfter("Sun, 22 Nov 2026 06:01:30 GMT", at)).toBe(90);
    expect(parseRetryAfter("Sun, 22 Nov 2026 05:00:00 GMT", at)).toBe(0);
    expect(parseRetryAfter(null, at)).toBeUndefined();
    expect(parseRetryAfter("soon", at)).toBeUndefined();
  });
});
