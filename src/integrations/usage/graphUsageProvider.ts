import { setTimeout as sleep } from "node:timers/promises";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import type { UsageSettings } from "../../config/settings";
import { paidSeatsByWorkload, type SkuWorkloadTable, skuWorkloads } from "../../config/skuWorkloads";
import { NonRetriableError, TransientDependencyError, ValidationError } from "../../domain/errors";
import { isoDate } from "../../domain/schemas/primitives";
import type { WorkloadId } from "../../domain/workloads";
import { describeNetworkFailure, describeTokenFailure } from "../entraFailures";
import {
  callLogRow,
  countDefenderEndpoint,
  countEntra,
  countIntune,
  countTeamsPhone,
  defenderMachine,
  directoryUser,
  graphPermissions,
  lacksPermission,
  managedDevice,
  missingPermissions,
  odataPage,
  type PermissionApi,
  tokenRoles,
  unmeasurableWorkloads,
  windowStart,
} from "./graphWorkloadReaders";
import { type ParsedTenantUsage, tenantUsage, type UsageProvider } from "./usageProvider";

/**
 * The production UsageProvider: Microsoft Graph usage reports (permission Reports.Read.All), read in
 * each customer tenant with the partner's multi-tenant app (client credentials per tenant, as GDAP
 * allows). One reading costs one token (cached per tenant by MSAL) and six Graph calls: the five
 * reports below and `GET /subscribedSkus`, plus one download per report.
 *
 * Active users per workload. Graph has no single "active in the last 28 days" figure per workload,
 * so each workload takes the largest of the counts below that the reports carry (every one is a
 * count of distinct users who did something intentional, so each is a lower bound of the truth):
 * - getOffice365ServicesUserCounts: one row, distinct active users over the whole period:
 *   "Exchange Active" → exchange, "SharePoint Active" → sharepoint, "Teams Active" → teams,
 *   "Yammer Active" → viva-engage. With period D30 this is the closest match to the incentive
 *   definition (distinct users with an intentional action in a rolling 28 days).
 * - getTeamsUserActivityUserCounts, getSharePointActivityUserCounts, getEmailActivityUserCounts,
 *   getM365AppUserCounts: one row per day; the row with the latest "Report Date" counts, and of its
 *   activity columns the largest (users doing several things are not added twice):
 *   Teams "Team Chat Messages", "Private Chat Messages", "Calls", "Meetings", "Other Actions" → teams,
 *   "Meetings" alone → teams-meetings; SharePoint "Visited Page", "Viewed Or Edited", "Synced",
 *   "Shared Internally", "Shared Externally" → sharepoint; Email "Send", "Read", "Meeting Created",
 *   "Meeting Interacted" → exchange ("Receive" is not an action of the user); Microsoft 365 Apps
 *   "Outlook", "Word", "Excel", "PowerPoint", "OneNote" → m365-apps (its "Teams" column is the
 *   Teams app, counted under teams by the reports above).
 * A workload is in the reading only when some report measured it (an empty report, header only,
 * measures nothing).
 *
 * Workloads no report covers have their own readers (graphWorkloadReaders.ts: what each counts),
 * read live, as of the reading, and dated like it:
 * - intune: `GET /deviceManagement/managedDevices?$select=userPrincipalName,lastSyncDateTime`;
 * - entra-id-p1, entra-id-p2: `GET /users?$select=signInActivity,assignedLicenses` (after
 *   subscribedSkus, whose `skuId`s map the users' licences to part numbers);
 * - teams-phone: `getPstnCalls` and `getDirectRoutingCalls` over the last 28 days;
 * - defender-endpoint: the Defender for Endpoint API's `GET /api/machines`, with a token for its
 *   own audience (`{defenderBaseUrl}/.default`).
 * Each is paged by `@odata.nextLink` (same origin only: the token goes nowhere else). Its workloads
 * are in the reading when a seat pays for them or someone was active. A reader the app may not use
 * in the tenant — a permission missing from the token's `roles`, a 403, a refused Defender token —
 * makes its workloads `notMeasurable`, with the reason naming the permission, instead of failing the
 * reading; Defender for Office 365, Defender for Identity and Information Protection are always
 * not measurable (`unmeasurableWorkloads`: Microsoft documents no per-user signal for them). Other
 * failures of these readers fail the reading as a report's would.
 *
 * Paid seats: `GET /subscribedSkus`, `prepaidUnits.enabled` of Enabled SKUs summed per workload
 * through the SKU table (config/skuWorkloads.json); a measured workload no SKU pays for has 0.
 *
 * The reading's date is the latest "Report Refresh Date" among the reports that had data.
 *
 * Failures: 429 → TransientDependencyError with Retry-After; 5xx, timeouts, network errors and
 * expired download links are retried here (bounded, with backoff) and then become a
 * TransientDependencyError; 401/403 and other 4xx → NonRetriableError naming the tenant and the
 * report. Messages never carry the client secret or a token.
 */

export type GraphReportPeriod = UsageSettings["reportPeriod"];

export type GraphUsageReportName =
  | "getOffice365ServicesUserCounts"
  | "getTeamsUserActivityUserCounts"
  | "getM365AppUserCounts"
  | "getSharePointActivityUserCounts"
  | "getEmailActivityUserCounts";

export interface GraphUsageReport {
  name: GraphUsageReportName;
  /** Workload → the report columns counting (a lower bound of) its active users. */
  columns: Partial<Record<WorkloadId, readonly string[]>>;
}

/** The reports read for every tenant, in request order. */
export const graphUsageReports: readonly GraphUsageReport[] = Object.freeze([
  {
    name: "getOffice365ServicesUserCounts",
    columns: {
      exchange: ["Exchange Active"],
      sharepoint: ["SharePoint Active"],
      teams: ["Teams Active"],
      "viva-engage": ["Yammer Active"],
    },
  },
  {
    name: "getTeamsUserActivityUserCounts",
    columns: {
      teams: ["Team Chat Messages", "Private Chat Messages", "Calls", "Meetings", "Other Actions"],
      "teams-meetings": ["Meetings"],
    },
  },
  {
    name: "getM365AppUserCounts",
    columns: { "m365-apps": ["Outlook", "Word", "Excel", "PowerPoint", "OneNote"] },
  },
  {
    name: "getSharePointActivityUserCounts",
    columns: {
      sharepoint: ["Visited Page", "Viewed Or Edited", "Synced", "Shared Internally", "Shared Externally"],
    },
  },
  {
    name: "getEmailActivityUserCounts",
    columns: { exchange: ["Send", "Read", "Meeting Created", "Meeting Interacted"] },
  },
]);

/** Customer tenants whose credential (and so cached token) the provider keeps: see `credentials`. */
const credentialsKept = 256;

/** Graph calls of the workload readers, first pages: managedDevices, users, PSTN and direct-routing calls. */
const graphReaderCalls = 4;

/**
 * Graph API calls one reading makes when nothing is retried, every permission is granted and every
 * collection fits one page: the reports, `subscribedSkus` and the workload readers' first pages.
 * Each further page is one more call.
 */
export const graphCallsPerTenant = graphUsageReports.length + 1 + graphReaderCalls;

/** Defender for Endpoint API calls of one reading, likewise: the first page of `/api/machines`. */
export const defenderCallsPerTenant = 1;

export const graphScope = "https://graph.microsoft.com/.default";

/** Pages a workload reader follows before giving up (a tenant of a million objects at 1,000 a page). */
const maxReaderPages = 1000;

export interface GraphRetryOptions {
  /** Tries per request, the first included (default 3). */
  attempts?: number;
  /** Wait before the second try, doubled after each (default 500 ms). */
  baseDelayMs?: number;
  /** Longest wait between tries, Retry-After included (default 10 s). */
  maxDelayMs?: number;
}

export interface GraphUsageProviderOptions {
  /** The partner's multi-tenant app (client) ID. */
  clientId: string;
  clientSecret: string;
  /** Entra ID authority, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** Graph root including the version, e.g. `https://graph.microsoft.com/v1.0`. */
  baseUrl: string;
  /** Defender for Endpoint API root, e.g. `https://api.securitycenter.microsoft.com`; also its token audience. */
  defenderBaseUrl: string;
  period: GraphReportPeriod;
  fetch?: typeof fetch;
  /** How to get a credential for a customer tenant; default: a ClientSecretCredential. */
  credentialFor?: (customerTenantId: string) => TokenCredential;
  skuTable?: SkuWorkloadTable;
  retry?: GraphRetryOptions;
  /** Per HTTP request, connection to last body byte (default 30 s). */
  requestTimeoutMs?: number;
}

/** The Graph provider from the app's usage settings (USAGE_PROVIDER=graph requires the client). */
export function createGraphUsageProviderFromSettings(
  usage: UsageSettings,
  overrides: Partial<GraphUsageProviderOptions> = {},
  log: (line: string) => void = () => undefined,
): UsageProvider {
  const { clientId, clientSecret, authorityHost, baseUrl, defenderBaseUrl } = usage.graph;
  if (!clientId || !clientSecret) {
    const missing = [
      ...(clientId ? [] : ["GRAPH_CLIENT_ID"]),
      ...(clientSecret ? [] : ["GRAPH_CLIENT_SECRET"]),
    ];
    throw new ValidationError(
      missing.map((path) => ({ path, message: "is required for the Graph usage provider" })),
    );
  }
  const provider = createGraphUsageProvider({
    clientId,
    clientSecret,
    authorityHost,
    baseUrl,
    defenderBaseUrl,
    period: usage.reportPeriod,
    ...overrides,
  });
  log(describePermissions());
  return provider;
}

/** One line naming every permission the provider needs, per workload (logged when it is created). */
export function describePermissions(): string {
  const parts = graphPermissions.map((p) => {
    const what = p.workloads === "paid seats" ? "paid seats" : p.workloads.join(", ");
    return `${what}: ${p.permissions.join(" + ")} (${p.api}${p.optional ? "; else not measurable" : ""})`;
  });
  return `Graph usage provider: application permissions needed in every customer tenant — ${parts.join("; ")}`;
}

export function createGraphUsageProvider(options: GraphUsageProviderOptions): UsageProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const send = options.fetch ?? fetch;
  const table = options.skuTable ?? skuWorkloads;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const retry = {
    attempts: Math.max(1, options.retry?.attempts ?? 3),
    baseDelayMs: options.retry?.baseDelayMs ?? 500,
    maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
  };
  const credentialFor =
    options.credentialFor ??
    ((tenantId: string) =>
      new ClientSecretCredential(tenantId, options.clientId, options.clientSecret, {
        authorityHost: options.authorityHost,
        disableInstanceDiscovery: true,
      }));
  /**
   * One credential per customer tenant read lately (MSAL caches and renews its token), the least
   * recently used dropped beyond `credentialsKept`: each holds its own MSAL client (about 120 KB), so
   * keeping one for every tenant ever read grows the process by hundreds of MiB at 5,000 tenants,
   * while a token (an hour or so) never outlives a daily cycle anyway.
   */
  const credentials = new Map<string, TokenCredential>();

  const defenderBaseUrl = options.defenderBaseUrl.replace(/\/+$/, "");
  const defenderScope = `${defenderBaseUrl}/.default`;

  /** A token for Graph (default) or another audience; MSAL caches one per tenant and scope. */
  async function accessToken(tenantId: string, scope = graphScope, api = "Microsoft Graph"): Promise<string> {
    const key = tenantId.toLowerCase();
    const credential = credentials.get(key) ?? credentialFor(tenantId);
    credentials.delete(key); // re-inserted last: a Map iterates in insertion order
    credentials.set(key, credential);
    for (const oldest of credentials.keys()) {
      if (credentials.size <= credentialsKept) break;
      credentials.delete(oldest);
    }
    let token;
    try {
      token = await credential.getToken(scope);
    } catch (err) {
      throw tokenFailure(err, tenantId, api);
    }
    if (!token) throw new TransientDependencyError(`Entra ID issued no ${api} token for tenant ${tenantId}`);
    return token.token;
  }

  /** One HTTP exchange; a network failure or timeout becomes a Retry. */
  async function request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await send(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new Retry(describeNetworkFailure(err, timeoutMs), undefined, err);
    }
  }

  async function body(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (err) {
      throw new Retry(describeNetworkFailure(err, timeoutMs), undefined, err);
    }
  }

  /** Runs `attempt` until it returns, a non-Retry error ends it, or the tries run out. */
  async function withRetries<T>(what: string, tenantId: string, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof Retry)) throw err;
        if (n >= retry.attempts)
          throw new TransientDependencyError(
            `Microsoft Graph ${what} for tenant ${tenantId} failed ${n} times; last: ${err.message}`,
            { cause: err.cause, retryAfterSeconds: err.retryAfterSeconds },
          );
        const backoff = retry.baseDelayMs * 2 ** (n - 1);
        const asked = err.retryAfterSeconds === undefined ? 0 : err.retryAfterSeconds * 1000;
        await sleep(Math.min(retry.maxDelayMs, Math.max(backoff, asked)));
      }
    }
  }

  /**
   * What a non-2xx answer means: 429 → Transient at once (the caller waits Retry-After), 5xx and
   * 408 → Retry, 401/403 and other 4xx → NonRetriable.
   */
  async function failure(
    response: Response,
    what: string,
    tenantId: string,
    permissions = "Reports.Read.All",
  ): Promise<Error> {
    const status = response.status;
    const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
    const code = graphErrorCode(await body(response).catch(() => ""));
    const detail = `HTTP ${status}${code ? ` ${code}` : ""}`;
    if (status === 429)
      return new TransientDependencyError(
        `Microsoft Graph throttled ${what} for tenant ${tenantId} (${detail})`,
        { retryAfterSeconds },
      );
    if (status >= 500 || status === 408) return new Retry(detail, retryAfterSeconds);
    if (status === 401 || status === 403)
      return new NonRetriableError(
        `Microsoft Graph refused ${what} for tenant ${tenantId} (${detail}): check the app's ` +
          `${permissions} consent and GDAP access in that tenant`,
      );
    return new NonRetriableError(`Microsoft Graph rejected ${what} for tenant ${tenantId} (${detail})`);
  }

  /** A report's rows, or undefined for an empty report. The download never carries the token. */
  async function readReport(
    tenantId: string,
    token: string,
    report: GraphUsageReport,
  ): Promise<MeasuredReport | undefined> {
    const url = `${baseUrl}/reports/${report.name}(period='${options.period}')`;
    const text = await withRetries(report.name, tenantId, async () => {
      const answer = await request(url, {
        headers: { authorization: `Bearer ${token}`, accept: "text/csv, application/octet-stream" },
        redirect: "manual",
      });
      if (answer.status >= 200 && answer.status < 300) return body(answer);
      if (answer.status < 300 || answer.status >= 400) throw await failure(answer, report.name, tenantId);
      await answer.body?.cancel().catch(() => undefined);
      const location = answer.headers.get("location");
      if (!location) throw new Retry(`HTTP ${answer.status} without a Location`);
      // A fresh request: the pre-authenticated link needs no Authorization, and must not see the token.
      const download = await request(new URL(location, url).href, { redirect: "follow" });
      if (download.status >= 200 && download.status < 300) return body(download);
      if (download.status === 429) throw await failure(download, `${report.name} download`, tenantId);
      // An expired or refused link: ask the report for a new one.
      await download.body?.cancel().catch(() => undefined);
      throw new Retry(`download answered HTTP ${download.status}`);
    });
    return measureReport(text, report, tenantId);
  }

  async function readSubscribedSkus(tenantId: string, token: string) {
    const seats: SubscribedSku[] = [];
    let url: string | undefined = `${baseUrl}/subscribedSkus`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= 20)
        throw new NonRetriableError(
          `Microsoft Graph subscribedSkus for tenant ${tenantId} has over 20 pages`,
        );
      const pageUrl: string = url;
      const text = await withRetries("subscribedSkus", tenantId, async () => {
        const answer = await request(pageUrl, {
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          redirect: "manual",
        });
        if (answer.status >= 200 && answer.status < 300) return body(answer);
        throw await failure(answer, "subscribedSkus", tenantId);
      });
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new NonRetriableError(`Microsoft Graph subscribedSkus for tenant ${tenantId} is not JSON`, {
          cause: err,
        });
      }
      const parsed = subscribedSkusPage.safeParse(json);
      if (!parsed.success)
        throw new NonRetriableError(
          `Microsoft Graph subscribedSkus for tenant ${tenantId} is not as documented: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; ")}`,
        );
      seats.push(...parsed.data.value);
      url = parsed.data["@odata.nextLink"];
      // The token goes to Graph only.
      if (url !== undefined && new URL(url).origin !== new URL(baseUrl).origin)
        throw new NonRetriableError(
          `Microsoft Graph subscribedSkus for tenant ${tenantId} links to another origin`,
        );
    }
    return seats;
  }

  /**
   * Every item of an OData collection, following `@odata.nextLink` within the first page's origin.
   * A 403 is a Forbidden (the caller decides what it means); other failures as for the reports.
   */
  async function readPages<T>(
    what: string,
    tenantId: string,
    token: string,
    firstUrl: string,
    item: z.ZodType<T>,
    permissions: string,
  ): Promise<T[]> {
    const origin = new URL(firstUrl).origin;
    const schema = odataPage(item);
    const items: T[] = [];
    let url: string | undefined = firstUrl;
    for (let page = 0; url !== undefined; page++) {
      if (page >= maxReaderPages)
        throw new NonRetriableError(`${what} for tenant ${tenantId} has over ${maxReaderPages} pages`);
      const pageUrl: string = url;
      const text = await withRetries(what, tenantId, async () => {
        const answer = await request(pageUrl, {
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          redirect: "manual",
        });
        if (answer.status >= 200 && answer.status < 300) return body(answer);
        if (answer.status === 403) {
          const code = graphErrorCode(await body(answer).catch(() => ""));
          throw new Forbidden(`HTTP 403${code ? ` ${code}` : ""}`);
        }
        throw await failure(answer, what, tenantId, permissions);
      });
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new NonRetriableError(`${what} for tenant ${tenantId} is not JSON`, { cause: err });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw new NonRetriableError(
          `${what} for tenant ${tenantId} is not as documented: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; ")}`,
        );
      items.push(...parsed.data.value);
      url = parsed.data["@odata.nextLink"];
      // The token goes to the API it was issued for only.
      if (url !== undefined && new URL(url).origin !== origin)
        throw new NonRetriableError(`${what} for tenant ${tenantId} links to another origin`);
    }
    return items;
  }

  /**
   * Runs one workload reader unless the token lacks its permissions; a missing permission or a 403
   * makes its workloads not measurable, naming what to grant.
   */
  async function guarded(
    workloads: readonly WorkloadId[],
    api: PermissionApi,
    roles: readonly string[] | undefined,
    read: () => Promise<Partial<Record<WorkloadId, number>>>,
  ): Promise<ReaderOutcome> {
    const missing = missingPermissions(roles, workloads[0]!, api);
    if (missing.length > 0) return { notMeasurable: workloads, reason: lacksPermission(missing, api) };
    try {
      return { measured: await read() };
    } catch (err) {
      if (!(err instanceof Forbidden)) throw err;
      const needed = missingPermissions([], workloads[0]!, api);
      return { notMeasurable: workloads, reason: `refused (${err.detail}): ${lacksPermission(needed, api)}` };
    }
  }

  /** The workload readers of one reading, started together; Entra waits for the SKUs. */
  function readWorkloads(
    tenantId: string,
    token: string,
    skus: Promise<SubscribedSku[]>,
    now: Date,
  ): Promise<ReaderOutcome>[] {
    const roles = tokenRoles(token);
    const graph = (
      workloads: readonly WorkloadId[],
      read: () => Promise<Partial<Record<WorkloadId, number>>>,
    ) => guarded(workloads, "Microsoft Graph", roles, read);
    const pages = <T>(what: string, path: string, item: z.ZodType<T>, workload: WorkloadId) =>
      readPages(
        what,
        tenantId,
        token,
        `${baseUrl}${path}`,
        item,
        permissionsText(workload, "Microsoft Graph"),
      );
    const period = `fromDateTime=${isoSeconds(windowStart(now))},toDateTime=${isoSeconds(now)}`;
    return [
      graph(["intune"], async () => ({
        intune: countIntune(
          await pages(
            "managedDevices",
            "/deviceManagement/managedDevices?$select=userPrincipalName,lastSyncDateTime",
            managedDevice,
            "intune",
          ),
          now,
        ),
      })),
      graph(["entra-id-p1", "entra-id-p2"], async () => {
        const [users, tenantSkus] = await Promise.all([
          pages(
            "users",
            "/users?$select=signInActivity,assignedLicenses&$top=999",
            directoryUser,
            "entra-id-p1",
          ),
          skus,
        ]);
        // Licensed = holding a seat of a SKU paid for now, as paid seats are counted.
        const paid = tenantSkus.filter((sku) => sku.capabilityStatus === "Enabled");
        return countEntra(users, paid, table, now);
      }),
      graph(["teams-phone"], async () => {
        const calls = await Promise.all(
          ["getPstnCalls", "getDirectRoutingCalls"].map((fn) =>
            pages(fn, `/communications/callRecords/${fn}(${period})`, callLogRow, "teams-phone"),
          ),
        );
        return { "teams-phone": countTeamsPhone(calls.flat()) };
      }),
      readDefender(tenantId, now),
    ];
  }

  /** Defender for Endpoint, with its own token; a refused token means no consent for its API. */
  async function readDefender(tenantId: string, now: Date): Promise<ReaderOutcome> {
    const workloads = ["defender-endpoint"] as const;
    let token: string;
    try {
      token = await accessToken(tenantId, defenderScope, "Defender for Endpoint API");
    } catch (err) {
      if (!(err instanceof NonRetriableError)) throw err;
      const { detail } = describeTokenFailure(err.cause);
      const needed = missingPermissions([], "defender-endpoint", "WindowsDefenderATP");
      return {
        notMeasurable: workloads,
        reason: `Entra ID issued no Defender for Endpoint API token (${detail}): ${lacksPermission(needed, "WindowsDefenderATP")}`,
      };
    }
    return guarded(workloads, "WindowsDefenderATP", tokenRoles(token), async () => ({
      "defender-endpoint": countDefenderEndpoint(
        await readPages(
          "Defender for Endpoint machines",
          tenantId,
          token,
          `${defenderBaseUrl}/api/machines`,
          defenderMachine,
          permissionsText("defender-endpoint", "WindowsDefenderATP"),
        ),
        now,
      ),
    }));
  }

  return {
    async readTenant(customerTenantId: string, now: Date): Promise<ParsedTenantUsage> {
      const token = await accessToken(customerTenantId);
      const reports = graphUsageReports.map((report) => readReport(customerTenantId, token, report));
      const skus = readSubscribedSkus(customerTenantId, token);
      const readers = readWorkloads(customerTenantId, token, skus, now);
      const worst = worstFailure(await Promise.allSettled<unknown>([...reports, skus, ...readers]));
      if (worst) throw worst;
      const measured = (await Promise.all(reports)).filter((r): r is MeasuredReport => r !== undefined);
      if (measured.length === 0)
        throw new TransientDependencyError(
          `Microsoft Graph has no usage report data for tenant ${customerTenantId} yet ` +
            `(every report was empty; new tenants' reports appear after about 48 hours)`,
        );
      const seats = paidSeatsByWorkload(await skus, table);
      const active: Partial<Record<WorkloadId, number>> = {};
      for (const report of measured)
        for (const [workload, count] of entries(report.activeUsers))
          active[workload] = Math.max(active[workload] ?? 0, count);
      const workloads: ParsedTenantUsage["workloads"] = {};
      for (const [workload, activeUsers] of entries(active))
        workloads[workload] = { paidSeats: seats[workload] ?? 0, activeUsers };
      const notMeasurable: ParsedTenantUsage["notMeasurable"] = { ...unmeasurableWorkloads };
      for (const outcome of await Promise.all(readers)) {
        if ("reason" in outcome) {
          for (const workload of outcome.notMeasurable) notMeasurable[workload] = outcome.reason;
          continue;
        }
        for (const [workload, activeUsers] of entries(outcome.measured)) {
          const paidSeats = seats[workload] ?? 0;
          // Nothing paid for and nobody active: nothing to say about it.
          if (paidSeats > 0 || activeUsers > 0) workloads[workload] = { paidSeats, activeUsers };
        }
      }
      const reading = tenantUsage.safeParse({
        customerTenantId,
        reportRefreshDate: measured.map((r) => r.refreshDate).reduce((a, b) => (a > b ? a : b)),
        fetchedAt: now.toISOString(),
        workloads,
        notMeasurable,
      });
      if (!reading.success)
        throw new NonRetriableError(
          `the usage reading for tenant ${customerTenantId} is invalid: ${reading.error.message}`,
        );
      return reading.data;
    },
  };
}

/** What one report measured: its refresh date and active users per workload it has counts for. */
interface MeasuredReport {
  refreshDate: string;
  activeUsers: Partial<Record<WorkloadId, number>>;
}

/** What one workload reader found: counts per workload, or why its workloads cannot be measured. */
type ReaderOutcome =
  | { measured: Partial<Record<WorkloadId, number>> }
  | { notMeasurable: readonly WorkloadId[]; reason: string };

/** A workload reader's request answered 403: the app may not read it in this tenant. */
class Forbidden extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** The permissions a workload's reader needs, for messages. */
function permissionsText(workload: WorkloadId, api: PermissionApi): string {
  return missingPermissions([], workload, api).join(" and ");
}

/** `2026-11-22T06:00:00Z`: a DateTimeOffset for a Graph function parameter. */
function isoSeconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

const subscribedSku = z.object({
  skuId: z.string(),
  skuPartNumber: z.string(),
  capabilityStatus: z.string(),
  prepaidUnits: z.object({ enabled: z.number().int().nonnegative() }),
});
type SubscribedSku = z.infer<typeof subscribedSku>;

const subscribedSkusPage = z.object({
  value: z.array(subscribedSku),
  "@odata.nextLink": z.url().optional(),
});

const refreshDateColumn = "Report Refresh Date";
const reportDateColumn = "Report Date";

/** Parses a report CSV (UTF-8 BOM, quoted fields, Microsoft's column names); undefined when empty. */
function measureReport(text: string, report: GraphUsageReport, tenantId: string): MeasuredReport | undefined {
  const where = `Microsoft Graph's ${report.name} report for tenant ${tenantId}`;
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, {
      bom: true,
      columns: true,
      skip_empty_lines: true,
      trim: true,
      relax_quotes: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw new NonRetriableError(`${where} is not CSV: ${(err as Error).message}`, { cause: err });
  }
  if (rows.length === 0) return undefined;
  const dated = rows.filter((row) => (row[reportDateColumn] ?? "") !== "");
  for (const row of dated) checkDate(row[reportDateColumn], reportDateColumn, where);
  const latest =
    dated.length > 0
      ? dated.reduce((a, b) => (b[reportDateColumn]! > a[reportDateColumn]! ? b : a))
      : rows[0]!;
  const refreshDate = checkDate(latest[refreshDateColumn], refreshDateColumn, where);
  const activeUsers: Partial<Record<WorkloadId, number>> = {};
  for (const [workload, columns] of entries(report.columns)) {
    const counts = columns.flatMap((column) => {
      const count = parseCount(latest[column], column, where);
      return count === undefined ? [] : [count];
    });
    if (counts.length > 0) activeUsers[workload] = Math.max(...counts);
  }
  return { refreshDate, activeUsers };
}

function checkDate(value: string | undefined, column: string, where: string): string {
  if (value === undefined || !isoDate.safeParse(value).success)
    throw new NonRetriableError(`${where} has ${quote(value)} as "${column}", not a date (YYYY-MM-DD)`);
  return value;
}

/** A count cell: digits; blank or a missing column means no data. */
function parseCount(value: string | undefined, column: string, where: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,12}$/.test(value))
    throw new NonRetriableError(`${where} has ${quote(value)} in "${column}", not a count`);
  return Number(value);
}

function quote(value: string | undefined): string {
  return value === undefined ? "nothing" : JSON.stringify(value.slice(0, 40));
}

/**
 * A request worth trying again (5xx, timeout, network, expired download link). Internal: callers
 * see a TransientDependencyError once the tries run out.
 */
class Retry extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * Of the failed requests of one reading, the one that decides: a NonRetriableError (retrying the
 * reading cannot help), else the TransientDependencyError asking for the longest wait, else any.
 */
function worstFailure(outcomes: readonly PromiseSettledResult<unknown>[]): Error | undefined {
  const errors = outcomes.flatMap((o): Error[] =>
    o.status === "fulfilled" ? [] : [o.reason instanceof Error ? o.reason : new Error(String(o.reason))],
  );
  const nonRetriable = errors.find((e) => e instanceof NonRetriableError);
  if (nonRetriable) return nonRetriable;
  const transient = errors.filter(
    (e): e is TransientDependencyError => e instanceof TransientDependencyError,
  );
  if (transient.length > 0)
    return transient.reduce((a, b) => ((b.retryAfterSeconds ?? 0) > (a.retryAfterSeconds ?? 0) ? b : a));
  return errors[0];
}

/** `Retry-After`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Graph's `{"error":{"code":"…"}}`, for messages; never the whole body. */
function graphErrorCode(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const code = (parsed as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" && /^[\w.-]{1,80}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function tokenFailure(err: unknown, tenantId: string, api: string): Error {
  const { permanent, detail } = describeTokenFailure(err);
  if (permanent)
    return new NonRetriableError(
      `Entra ID refused a ${api} token for tenant ${tenantId} (${detail}): check the app's ` +
        `consent in that tenant and its client secret`,
      { cause: err },
    );
  return new TransientDependencyError(`no ${api} token for tenant ${tenantId} (${detail})`, {
    cause: err,
  });
}

function entries<V>(record: Partial<Record<WorkloadId, V>>): [WorkloadId, V][] {
  return Object.entries(record) as [WorkloadId, V][];
}
