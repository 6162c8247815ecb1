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
import { tenantUsage, type TenantUsage, type UsageProvider } from "./usageProvider";

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
 * measures nothing). Workloads with paid seats but no report (Intune, Entra ID, Defender,
 * Information Protection, Teams Phone) are left out rather than reported as 0 % active.
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

/** Graph API calls one reading makes when nothing is retried: the reports and `subscribedSkus`. */
export const graphCallsPerTenant = graphUsageReports.length + 1;

export const graphScope = "https://graph.microsoft.com/.default";

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
): UsageProvider {
  const { clientId, clientSecret, authorityHost, baseUrl } = usage.graph;
  if (!clientId || !clientSecret) {
    const missing = [
      ...(clientId ? [] : ["GRAPH_CLIENT_ID"]),
      ...(clientSecret ? [] : ["GRAPH_CLIENT_SECRET"]),
    ];
    throw new ValidationError(
      missing.map((path) => ({ path, message: "is required for the Graph usage provider" })),
    );
  }
  return createGraphUsageProvider({
    clientId,
    clientSecret,
    authorityHost,
    baseUrl,
    period: usage.reportPeriod,
    ...overrides,
  });
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
  /** One credential per customer tenant: MSAL caches and renews its token. */
  const credentials = new Map<string, TokenCredential>();

  async function accessToken(tenantId: string): Promise<string> {
    const key = tenantId.toLowerCase();
    let credential = credentials.get(key);
    if (!credential) {
      credential = credentialFor(tenantId);
      credentials.set(key, credential);
    }
    let token;
    try {
      token = await credential.getToken(graphScope);
    } catch (err) {
      throw tokenFailure(err, tenantId);
    }
    if (!token) throw new TransientDependencyError(`Entra ID issued no Graph token for tenant ${tenantId}`);
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
  async function failure(response: Response, what: string, tenantId: string): Promise<Error> {
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
          `Reports.Read.All consent and GDAP access in that tenant`,
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

  return {
    async readTenant(customerTenantId: string, now: Date): Promise<TenantUsage> {
      const token = await accessToken(customerTenantId);
      const reports = graphUsageReports.map((report) => readReport(customerTenantId, token, report));
      const skus = readSubscribedSkus(customerTenantId, token);
      const worst = worstFailure(await Promise.allSettled<unknown>([...reports, skus]));
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
      const workloads: TenantUsage["workloads"] = {};
      for (const [workload, activeUsers] of entries(active))
        workloads[workload] = { paidSeats: seats[workload] ?? 0, activeUsers };
      const reading = tenantUsage.safeParse({
        customerTenantId,
        reportRefreshDate: measured.map((r) => r.refreshDate).reduce((a, b) => (a > b ? a : b)),
        fetchedAt: now.toISOString(),
        workloads,
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

const subscribedSku = z.object({
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

function tokenFailure(err: unknown, tenantId: string): Error {
  const { permanent, detail } = describeTokenFailure(err);
  if (permanent)
    return new NonRetriableError(
      `Entra ID refused a Microsoft Graph token for tenant ${tenantId} (${detail}): check the app's ` +
        `consent in that tenant and its client secret`,
      { cause: err },
    );
  return new TransientDependencyError(`no Microsoft Graph token for tenant ${tenantId} (${detail})`, {
    cause: err,
  });
}

function entries<V>(record: Partial<Record<WorkloadId, V>>): [WorkloadId, V][] {
  return Object.entries(record) as [WorkloadId, V][];
}
