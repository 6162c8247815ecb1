import { z } from "zod";
import { type SkuWorkloadTable, workloadsForSku } from "../../config/skuWorkloads";
import type { WorkloadId } from "../../domain/workloads";

/**
 * The usage readers beyond Microsoft Graph's usage reports: what each counts, the documented shapes
 * it reads, and the permissions it needs. Counting is pure (shapes in, counts out); the HTTP side
 * (tokens, paging, retries) is in graphUsageProvider.ts. Every count is of distinct users active in
 * the last `activeDays` days before the reading, as the incentive definition asks, except Defender
 * for Endpoint's, which counts devices (see countDefenderEndpoint).
 */

/** The rolling window of "active" (domain.md: intentional action in a rolling 28 days). */
export const activeDays = 28;

/** Which API a permission belongs to: the app registration lists them under these names. */
export type PermissionApi = "Microsoft Graph" | "WindowsDefenderATP";

export interface UsagePermission {
  /** The workloads it measures; `paid seats` = every workload (GET /subscribedSkus). */
  workloads: readonly WorkloadId[] | "paid seats";
  api: PermissionApi;
  /** Application permissions, all needed. */
  permissions: readonly string[];
  /** What is read with them. */
  reads: string;
  /**
   * Checked against the token's `roles` before reading: a missing one makes these workloads "not
   * measurable" rather than failing the reading. The core permissions are not: without them the
   * reading fails, as it always did.
   */
  optional: boolean;
}

/** Every permission the usage provider needs, per workload: used by the check and by the README. */
export const graphPermissions: readonly UsagePermission[] = Object.freeze([
  {
    workloads: ["exchange", "sharepoint", "teams", "teams-meetings", "viva-engage", "m365-apps"],
    api: "Microsoft Graph",
    permissions: ["Reports.Read.All"],
    reads: "the five usage reports (/reports/get…UserCounts)",
    optional: false,
  },
  {
    workloads: "paid seats",
    api: "Microsoft Graph",
    permissions: ["LicenseAssignment.Read.All"],
    reads: "GET /subscribedSkus",
    optional: false,
  },
  {
    workloads: ["intune"],
    api: "Microsoft Graph",
    permissions: ["DeviceManagementManagedDevices.Read.All"],
    reads: "GET /deviceManagement/managedDevices",
    optional: true,
  },
  {
    workloads: ["entra-id-p1", "entra-id-p2"],
    api: "Microsoft Graph",
    permissions: ["User.Read.All", "AuditLog.Read.All"],
    reads: "GET /users?$select=signInActivity,assignedLicenses",
    optional: true,
  },
  {
    workloads: ["teams-phone"],
    api: "Microsoft Graph",
    permissions: ["CallRecords.Read.All"],
    reads: "GET /communications/callRecords/getPstnCalls and getDirectRoutingCalls",
    optional: true,
  },
  {
    workloads: ["defender-endpoint"],
    api: "WindowsDefenderATP",
    permissions: ["Machine.Read.All"],
    reads: "GET {DEFENDER_BASE_URL}/api/machines",
    optional: true,
  },
] satisfies UsagePermission[]);

/**
 * Workloads Microsoft exposes no documented per-user activity signal for, through Graph or the
 * Defender API: reported as not measurable, with this reason, for every tenant (never as 0 %).
 */
export const unmeasurableWorkloads: Readonly<Partial<Record<WorkloadId, string>>> = Object.freeze({
  "defender-office-365":
    "Microsoft exposes no per-user activity for Defender for Office 365 through Microsoft Graph: its protection applies to mailboxes by policy, and its reports live in the Defender portal and Exchange Online PowerShell only",
  "defender-identity":
    "Microsoft exposes no per-user activity for Defender for Identity through Microsoft Graph: its API lists sensors and health issues, not protected users' activity",
  "information-protection":
    "Microsoft exposes no Information Protection usage report through Microsoft Graph: sensitivity-label activity is only in the Purview audit log, whose Graph search is an asynchronous query job rather than a usage figure",
});

/** The permissions of `optional` readers missing from the token's roles; [] when roles are unknown. */
export function missingPermissions(
  roles: readonly string[] | undefined,
  workload: WorkloadId,
  api: PermissionApi,
): string[] {
  if (roles === undefined) return [];
  const held = new Set(roles.map((r) => r.toLowerCase()));
  return graphPermissions
    .filter(
      (p) => p.optional && p.api === api && p.workloads !== "paid seats" && p.workloads.includes(workload),
    )
    .flatMap((p) => p.permissions)
    .filter((permission) => !held.has(permission.toLowerCase()));
}

/** The reason text of a workload the app may not read in a tenant. */
export function lacksPermission(permissions: readonly string[], api: PermissionApi): string {
  const which = permissions.join(" and ");
  const where = api === "WindowsDefenderATP" ? ` (${api})` : "";
  return `the app lacks ${which}${where} in this tenant: grant admin consent`;
}

/**
 * The `roles` claim of an access token (application permissions), read without verifying it: it
 * only decides what not to ask for. Undefined when the token is not a readable JWT (then nothing is
 * skipped: Graph's answer decides); a JWT without `roles` has no application permission.
 */
export function tokenRoles(token: string): string[] | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined || token.split(".").length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (typeof claims !== "object" || claims === null) return undefined;
    const roles = (claims as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
  } catch {
    return undefined;
  }
}

/** The start of the active window ending at `now`. */
export function windowStart(now: Date): Date {
  return new Date(now.getTime() - activeDays * 86_400_000);
}

const timestamp = z.iso.datetime({ offset: true });
const optionalTimestamp = timestamp.nullish();

/** A page of an OData collection: `value` and, when more follow, `@odata.nextLink`. */
export function odataPage<T extends z.ZodType>(item: T) {
  return z.object({ value: z.array(item), "@odata.nextLink": z.url().optional() });
}

/** Graph `managedDevice`, as selected (`$select=userPrincipalName,lastSyncDateTime`). */
export const managedDevice = z.object({
  userPrincipalName: z.string().nullish(),
  lastSyncDateTime: optionalTimestamp,
});
export type ManagedDevice = z.infer<typeof managedDevice>;

/** Intune: distinct users (UPN, case-insensitive) with a managed device synced in the window. */
export function countIntune(devices: readonly ManagedDevice[], now: Date): number {
  const since = windowStart(now).getTime();
  const users = new Set<string>();
  for (const device of devices) {
    const upn = device.userPrincipalName?.trim().toLowerCase();
    if (!upn || !device.lastSyncDateTime) continue;
    if (Date.parse(device.lastSyncDateTime) >= since) users.add(upn);
  }
  return users.size;
}

/** Graph `user`, as selected (`$select=signInActivity,assignedLicenses`). */
export const directoryUser = z.object({
  assignedLicenses: z.array(z.object({ skuId: z.string() })).nullish(),
  signInActivity: z
    .object({
      lastSignInDateTime: optionalTimestamp,
      lastNonInteractiveSignInDateTime: optionalTimestamp,
      lastSuccessfulSignInDateTime: optionalTimestamp,
    })
    .nullish(),
});
export type DirectoryUser = z.infer<typeof directoryUser>;

/** A tenant's SKU as the Entra counting needs it: its ID and part number. */
export interface TenantSku {
  skuId: string;
  skuPartNumber: string;
}

/**
 * Entra ID P1 / P2: licensed users with a sign-in in the window. A user counts for a workload when
 * any assigned SKU (its `skuId` matched to the tenant's subscribedSkus, then its part number to the
 * SKU table) pays for it; the last sign-in is the latest of the interactive, non-interactive and
 * last-successful times.
 */
export function countEntra(
  users: readonly DirectoryUser[],
  skus: readonly TenantSku[],
  table: SkuWorkloadTable,
  now: Date,
): Record<"entra-id-p1" | "entra-id-p2", number> {
  const partOf = new Map(skus.map((s) => [s.skuId.toLowerCase(), s.skuPartNumber]));
  const since = windowStart(now).getTime();
  const counts = { "entra-id-p1": 0, "entra-id-p2": 0 };
  for (const user of users) {
    if (lastSignIn(user) < since) continue;
    const workloads = new Set(
      (user.assignedLicenses ?? []).flatMap((l) => {
        const part = partOf.get(l.skuId.toLowerCase());
        return part === undefined ? [] : workloadsForSku(part, table);
      }),
    );
    if (workloads.has("entra-id-p1")) counts["entra-id-p1"]++;
    if (workloads.has("entra-id-p2")) counts["entra-id-p2"]++;
  }
  return counts;
}

function lastSignIn(user: DirectoryUser): number {
  const a = user.signInActivity;
  const times = [a?.lastSignInDateTime, a?.lastNonInteractiveSignInDateTime, a?.lastSuccessfulSignInDateTime]
    .filter((t): t is string => typeof t === "string")
    .map((t) => Date.parse(t));
  return times.length === 0 ? Number.NEGATIVE_INFINITY : Math.max(...times);
}

/** A row of `getPstnCalls` (pstnCallLogRow) or `getDirectRoutingCalls` (directRoutingLogRow). */
export const callLogRow = z.object({
  userPrincipalName: z.string().nullish(),
  userId: z.string().nullish(),
});
export type CallLogRow = z.infer<typeof callLogRow>;

/**
 * Teams Phone: distinct users with a PSTN or direct-routing call in the window (the rows were asked
 * for that window). A user is their UPN (case-insensitive), else their Entra object ID; bot calls
 * (no user) count for nobody.
 */
export function countTeamsPhone(rows: readonly CallLogRow[]): number {
  const users = new Set<string>();
  for (const row of rows) {
    const upn = row.userPrincipalName?.trim().toLowerCase();
    const id = row.userId?.trim().toLowerCase();
    if (upn) users.add(`upn:${upn}`);
    else if (id) users.add(`id:${id}`);
  }
  return users.size;
}

/** Defender for Endpoint `machine`: the fields counted. */
export const defenderMachine = z.object({
  id: z.string(),
  aadDeviceId: z.string().nullish(),
  onboardingStatus: z.string().nullish(),
  lastSeen: optionalTimestamp,
});
export type DefenderMachine = z.infer<typeof defenderMachine>;

/**
 * Defender for Endpoint: onboarded devices seen in the window. The documented `machine` resource
 * names no user (logged-on users are one more call per machine), so every device counts as one
 * user: an upper bound where people have several devices. A device re-onboarded under a new
 * machine ID keeps its Entra device ID (`aadDeviceId`): counted once.
 */
export function countDefenderEndpoint(machines: readonly DefenderMachine[], now: Date): number {
  const since = windowStart(now).getTime();
  const devices = new Set<string>();
  for (const machine of machines) {
    if (machine.onboardingStatus?.toLowerCase() !== "onboarded" || !machine.lastSeen) continue;
    if (Date.parse(machine.lastSeen) < since) continue;
    devices.add(machine.aadDeviceId ? `aad:${machine.aadDeviceId.toLowerCase()}` : `id:${machine.id}`);
  }
  return devices.size;
}
