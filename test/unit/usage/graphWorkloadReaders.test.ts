import { describe, expect, it } from "vitest";
import { skuWorkloads } from "../../../src/config/skuWorkloads";
import {
  countDefenderEndpoint,
  countEntra,
  countIntune,
  countTeamsPhone,
  graphPermissions,
  missingPermissions,
  tokenRoles,
} from "../../../src/integrations/usage/graphWorkloadReaders";
import { describePermissions } from "../../../src/integrations/usage/graphUsageProvider";

const now = new Date("2026-11-22T06:00:00.000Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
const jwt = (claims: unknown) =>
  ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");

describe("workload readers' counting", () => {
  it("Intune: distinct UPNs (any case) synced within 28 days; the boundary counts", () => {
    expect(
      countIntune(
        [
          { userPrincipalName: "a@x.com", lastSyncDateTime: daysAgo(28) },
          { userPrincipalName: "A@X.COM", lastSyncDateTime: daysAgo(1) },
          { userPrincipalName: "b@x.com", lastSyncDateTime: daysAgo(28.01) },
          { userPrincipalName: "c@x.com", lastSyncDateTime: null },
          { userPrincipalName: "", lastSyncDateTime: daysAgo(1) },
        ],
        now,
      ),
    ).toBe(1);
  });

  it("Entra: a user counts for every Entra workload its SKUs pay for, by its latest sign-in", () => {
    const skus = [
      { skuId: "E3-ID", skuPartNumber: "SPE_E3" },
      { skuId: "P2-ID", skuPartNumber: "AAD_PREMIUM_P2" },
    ];
    const counts = countEntra(
      [
        {
          assignedLicenses: [{ skuId: "e3-id" }],
          signInActivity: { lastNonInteractiveSignInDateTime: daysAgo(3) },
        },
        {
          assignedLicenses: [{ skuId: "E3-ID" }, { skuId: "P2-ID" }],
          signInActivity: { lastSignInDateTime: daysAgo(1) },
        },
        { assignedLicenses: [{ skuId: "P2-ID" }], signInActivity: { lastSignInDateTime: daysAgo(29) } },
        { assignedLicenses: [{ skuId: "unknown" }], signInActivity: { lastSignInDateTime: daysAgo(1) } },
        { assignedLicenses: null, signInActivity: null },
      ],
      skus,
      skuWorkloads,
      now,
    );
    expect(counts).toEqual({ "entra-id-p1": 2, "entra-id-p2": 1 });
  });

  it("Teams Phone: a user by UPN, else object ID; bots count for nobody", () => {
    expect(
      countTeamsPhone([
        { userPrincipalName: "a@x.com", userId: "1" },
        { userPrincipalName: "A@x.com", userId: null },
        { userPrincipalName: null, userId: "2" },
        { userPrincipalName: null, userId: null },
      ]),
    ).toBe(2);
  });

  it("Defender for Endpoint: onboarded (any case) devices seen within 28 days, once per Entra device", () => {
    expect(
      countDefenderEndpoint(
        [
          { id: "m1", aadDeviceId: "d1", onboardingStatus: "onboarded", lastSeen: daysAgo(1) },
          { id: "m2", aadDeviceId: "d1", onboardingStatus: "Onboarded", lastSeen: daysAgo(2) },
          { id: "m3", aadDeviceId: null, onboardingStatus: "Onboarded", lastSeen: daysAgo(3) },
          { id: "m4", onboardingStatus: "InsufficientInfo", lastSeen: daysAgo(1) },
          { id: "m5", onboardingStatus: "Onboarded", lastSeen: daysAgo(30) },
          { id: "m6", onboardingStatus: "Onboarded", lastSeen: null },
        ],
        now,
      ),
    ).toBe(2);
  });
});

describe("permission check", () => {
  it("reads the roles claim of a JWT without verifying it; no roles claim = no application permission", () => {
    expect(tokenRoles(jwt({ roles: ["Reports.Read.All", 3] }))).toEqual(["Reports.Read.All"]);
    expect(tokenRoles(jwt({ tid: "t" }))).toEqual([]);
    expect(tokenRoles("opaque-token")).toBeUndefined();
    expect(tokenRoles("a.!!!.c")).toBeUndefined();
  });

  it("names the optional readers' permissions missing from the roles (case-insensitive); unknown roles skip nothing", () => {
    expect(missingPermissions(["user.read.all"], "entra-id-p2", "Microsoft Graph")).toEqual([
      "AuditLog.Read.All",
    ]);
    expect(missingPermissions([], "defender-endpoint", "WindowsDefenderATP")).toEqual(["Machine.Read.All"]);
    expect(missingPermissions(undefined, "intune", "Microsoft Graph")).toEqual([]);
    // The core reports are not pre-checked: Graph's answer decides, as before.
    expect(missingPermissions([], "exchange", "Microsoft Graph")).toEqual([]);
  });

  it("describes every permission of graphPermissions in the start-up line", () => {
    const line = describePermissions();
    for (const p of graphPermissions)
      for (const permission of p.permissions) expect(line).toContain(permission);
  });
});
