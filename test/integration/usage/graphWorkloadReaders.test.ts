import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TransientDependencyError } from "../../../src/domain/errors";
import {
  createGraphUsageProvider,
  defenderCallsPerTenant,
  graphCallsPerTenant,
} from "../../../src/integrations/usage/graphUsageProvider";
import { unmeasurableWorkloads } from "../../../src/integrations/usage/graphWorkloadReaders";
import { fakeAllRoles, startFakeGraph, type FakeGraph, type FakeGraphTenant } from "../../fixtures/fakeGraph";

/**
 * The workload readers (Intune, Entra ID P1/P2, Teams Phone, Defender for Endpoint) through the real
 * adapter against the fake Graph, Defender API and Entra ID: documented shapes, `@odata.nextLink`
 * paging, the 28-day window, and workloads the app may not read becoming "not measurable".
 */
let fake: FakeGraph;

beforeAll(async () => {
  fake = await startFakeGraph({ tls: inject("fakeTls") });
});

afterAll(async () => {
  await fake?.stop();
});

const now = new Date("2026-11-22T06:00:00.000Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

function provider(defenderBaseUrl = fake.defenderBaseUrl) {
  return createGraphUsageProvider({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    authorityHost: fake.authorityHost,
    baseUrl: fake.graphBaseUrl,
    defenderBaseUrl,
    period: "D7",
    retry: { baseDelayMs: 5 },
  });
}

/** Reports with data (the reading needs one), seats for every reader's workloads, no activity yet. */
function tenant(overrides: Partial<FakeGraphTenant> = {}): string {
  const tenantId = randomUUID();
  fake.setTenant(tenantId, {
    refreshDate: "2026-11-20",
    counts: { getOffice365ServicesUserCounts: { "Exchange Active": 10 } },
    skus: [
      { skuPartNumber: "SPE_E3", enabled: 100 },
      { skuPartNumber: "SPE_E5", enabled: 50 },
      { skuPartNumber: "AAD_PREMIUM_P2", enabled: 20 },
      { skuPartNumber: "MCOEV", enabled: 30 },
      // Not paid for now: its users are not licensed for P1.
      { skuPartNumber: "AAD_PREMIUM", enabled: 500, capabilityStatus: "Suspended" },
    ],
    ...overrides,
  });
  return tenantId;
}

function callsTo(tenantId: string, path: string): number {
  return fake.requests().filter((r) => r.tenantId === tenantId && r.path.includes(path)).length;
}

describe("Intune reader", () => {
  it("counts distinct users (UPN, any case) with a device synced in the last 28 days, across pages", async () => {
    const tenantId = tenant({
      pageSize: 2,
      managedDevices: [
        { userPrincipalName: "ann@contoso.com", lastSyncDateTime: daysAgo(1) },
        // Ann's second device, her UPN in another case: still one user.
        { userPrincipalName: "ANN@Contoso.com", lastSyncDateTime: daysAgo(3) },
        { userPrincipalName: "bob@contoso.com", lastSyncDateTime: daysAgo(27.9) },
        // Synced 29 days ago: not active.
        { userPrincipalName: "cy@contoso.com", lastSyncDateTime: daysAgo(29) },
        // A device without a user (a kiosk) counts for nobody.
        { userPrincipalName: null, lastSyncDateTime: daysAgo(1) },
      ],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads.intune).toEqual({ paidSeats: 150, activeUsers: 2 });
    expect(callsTo(tenantId, "/deviceManagement/managedDevices")).toBe(3);
    // Two more pages than a one-page reading: the budget is per first page.
    expect(fake.stats(tenantId).graphCalls).toBe(graphCallsPerTenant + 2);
  });
});

describe("Entra ID reader", () => {
  it("counts licensed users by the SKUs' workloads, with the latest of their sign-in times", async () => {
    const recent = { lastSignInDateTime: daysAgo(2) };
    const tenantId = tenant({
      pageSize: 3,
      users: [
        { userPrincipalName: "e3@contoso.com", licenses: ["SPE_E3"], signInActivity: recent },
        // Only a non-interactive sign-in recently (Outlook refreshing its token): active.
        {
          userPrincipalName: "quiet@contoso.com",
          licenses: ["SPE_E3"],
          signInActivity: { lastSignInDateTime: daysAgo(60), lastNonInteractiveSignInDateTime: daysAgo(5) },
        },
        // Only the last successful sign-in is recent: active.
        {
          userPrincipalName: "ok@contoso.com",
          licenses: ["SPE_E5"],
          signInActivity: {
            lastSignInDateTime: daysAgo(40),
            lastNonInteractiveSignInDateTime: null,
            lastSuccessfulSignInDateTime: daysAgo(1),
          },
        },
        // P1 through E3 and P2 through the add-on: counts for both.
        {
          userPrincipalName: "both@contoso.com",
          licenses: ["SPE_E3", "AAD_PREMIUM_P2"],
          signInActivity: recent,
        },
        // Signed in 30 days ago: not active.
        {
          userPrincipalName: "gone@contoso.com",
          licenses: ["SPE_E5"],
          signInActivity: { lastSignInDateTime: daysAgo(30) },
        },
        // Never signed in.
        { userPrincipalName: "new@contoso.com", licenses: ["SPE_E3"], signInActivity: null },
        // Licensed through a suspended SKU only, or not at all: not a licensed user.
        { userPrincipalName: "lapsed@contoso.com", licenses: ["AAD_PREMIUM"], signInActivity: recent },
        { userPrincipalName: "guest@fabrikam.com", licenses: [], signInActivity: recent },
      ],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads["entra-id-p1"]).toEqual({ paidSeats: 100, activeUsers: 3 });
    expect(reading.workloads["entra-id-p2"]).toEqual({ paidSeats: 70, activeUsers: 2 });
    expect(callsTo(tenantId, "/v1.0/users")).toBe(3);
  });
});

describe("Teams Phone reader", () => {
  it("counts distinct users with PSTN or direct-routing calls in the last 28 days", async () => {
    const tenantId = tenant({
      pageSize: 2,
      pstnCalls: [
        { userPrincipalName: "ann@contoso.com", startDateTime: daysAgo(1) },
        { userPrincipalName: "ann@contoso.com", startDateTime: daysAgo(2) },
        { userPrincipalName: "bob@contoso.com", startDateTime: daysAgo(10) },
        // A bot's call (auto attendant): nobody's.
        { userPrincipalName: null, userId: null, startDateTime: daysAgo(1) },
        // Before the period: not asked for.
        { userPrincipalName: "old@contoso.com", startDateTime: daysAgo(29) },
      ],
      directRoutingCalls: [
        // Ann again, another case: one user.
        { userPrincipalName: "Ann@Contoso.com", startDateTime: daysAgo(3) },
        // Known by object ID only.
        {
          userPrincipalName: null,
          userId: "4b9f5a1e-0000-4000-8000-000000000001",
          startDateTime: daysAgo(4),
        },
      ],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads["teams-phone"]).toEqual({ paidSeats: 80, activeUsers: 3 });
    const asked = fake.requests().filter((r) => r.tenantId === tenantId && r.path.includes("getPstnCalls"));
    expect(asked).toHaveLength(2);
    expect(decodeURIComponent(asked[0]!.path)).toContain(
      "getPstnCalls(fromDateTime=2026-10-25T06:00:00Z,toDateTime=2026-11-22T06:00:00Z)",
    );
    expect(callsTo(tenantId, "getDirectRoutingCalls")).toBe(1);
  });
});

describe("Defender for Endpoint reader", () => {
  it("counts onboarded devices seen in the last 28 days, once per Entra device, with its own token", async () => {
    const tenantId = tenant({
      pageSize: 2,
      machines: [
        { onboardingStatus: "Onboarded", lastSeen: daysAgo(1), aadDeviceId: "d1" },
        // The same device re-onboarded under a new machine ID: counted once.
        { onboardingStatus: "Onboarded", lastSeen: daysAgo(2), aadDeviceId: "D1" },
        { onboardingStatus: "Onboarded", lastSeen: daysAgo(20), aadDeviceId: null },
        { onboardingStatus: "Onboarded", lastSeen: daysAgo(40), aadDeviceId: "d3" },
        { onboardingStatus: "CanBeOnboarded", lastSeen: daysAgo(1), aadDeviceId: "d4" },
      ],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.workloads["defender-endpoint"]).toEqual({ paidSeats: 50, activeUsers: 2 });
    expect(fake.stats(tenantId)).toMatchObject({
      defenderCalls: defenderCallsPerTenant + 2,
      tokenRequests: 2,
    });
    const machines = fake.requests().filter((r) => r.tenantId === tenantId && r.path === "/api/machines");
    expect(machines.every((r) => r.authorization && r.status === 200)).toBe(true);
  });

  it("reports the workload not measurable when Entra ID issues no token for the Defender API", async () => {
    const tenantId = tenant({ machines: [{ onboardingStatus: "Onboarded", lastSeen: daysAgo(1) }] });
    // An audience the tenant has no consent for: the token endpoint refuses it (invalid_scope).
    const reading = await provider("https://defender.invalid").readTenant(tenantId, now);
    expect(reading.workloads["defender-endpoint"]).toBeUndefined();
    expect(reading.notMeasurable?.["defender-endpoint"]).toBe(
      "Entra ID issued no Defender for Endpoint API token (invalid_scope, AADSTS1002012): " +
        "the app lacks Machine.Read.All (WindowsDefenderATP) in this tenant: grant admin consent",
    );
    expect(reading.workloads.exchange).toEqual({ paidSeats: 150, activeUsers: 10 });
  });
});

describe("permissions the app lacks", () => {
  it("skips readers whose permission is not in the token's roles and names it, measuring the rest", async () => {
    const tenantId = tenant({
      roles: fakeAllRoles.filter(
        (r) => r !== "DeviceManagementManagedDevices.Read.All" && r !== "Machine.Read.All",
      ),
      managedDevices: [{ userPrincipalName: "ann@contoso.com", lastSyncDateTime: daysAgo(1) }],
      pstnCalls: [{ userPrincipalName: "ann@contoso.com", startDateTime: daysAgo(1) }],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.notMeasurable).toEqual({
      ...unmeasurableWorkloads,
      intune: "the app lacks DeviceManagementManagedDevices.Read.All in this tenant: grant admin consent",
      "defender-endpoint":
        "the app lacks Machine.Read.All (WindowsDefenderATP) in this tenant: grant admin consent",
    });
    expect(reading.workloads.intune).toBeUndefined();
    expect(reading.workloads["defender-endpoint"]).toBeUndefined();
    expect(reading.workloads["teams-phone"]).toEqual({ paidSeats: 80, activeUsers: 1 });
    // Not asked at all.
    expect(callsTo(tenantId, "/deviceManagement/managedDevices")).toBe(0);
    expect(fake.stats(tenantId).defenderCalls).toBe(0);
  });

  it("names both Entra permissions when the token has neither", async () => {
    const tenantId = tenant({
      roles: fakeAllRoles.filter((r) => r !== "User.Read.All" && r !== "AuditLog.Read.All"),
    });
    const reading = await provider().readTenant(tenantId, now);
    const reason = "the app lacks User.Read.All and AuditLog.Read.All in this tenant: grant admin consent";
    expect(reading.notMeasurable?.["entra-id-p1"]).toBe(reason);
    expect(reading.notMeasurable?.["entra-id-p2"]).toBe(reason);
    expect(reading.workloads["entra-id-p2"]).toBeUndefined();
  });

  it("turns a reader's 403 Authorization_RequestDenied into not measurable, not a failed reading", async () => {
    const tenantId = tenant({
      faults: [{ kind: "unauthorized", status: 403, target: "getDirectRoutingCalls" }],
      pstnCalls: [{ userPrincipalName: "ann@contoso.com", startDateTime: daysAgo(1) }],
    });
    const reading = await provider().readTenant(tenantId, now);
    expect(reading.notMeasurable?.["teams-phone"]).toBe(
      "refused (HTTP 403 Authorization_RequestDenied): the app lacks CallRecords.Read.All in this tenant: grant admin consent",
    );
    expect(reading.workloads["teams-phone"]).toBeUndefined();
    expect(reading.workloads.exchange).toEqual({ paidSeats: 150, activeUsers: 10 });
  });

  it("still fails the reading transiently when a reader is throttled", async () => {
    const tenantId = tenant({ faults: [{ kind: "throttle", retryAfterSeconds: 60, target: "users" }] });
    const err = await provider()
      .readTenant(tenantId, now)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TransientDependencyError);
    expect((err as TransientDependencyError).retryAfterSeconds).toBe(60);
    expect((err as Error).message).toContain("users");
  });
});
