import { z } from "zod";
import { isoDurationMs } from "../domain/durations";
import { ValidationError, type FieldIssue } from "../domain/errors";
import type { DporDurations } from "../domain/dporRequest";
import { partner } from "../domain/partner";
import type { BucketRate } from "../domain/tokenBucket";
import type { WebhookRetryPolicy } from "../domain/webhookDelivery";
import { webhookAllowedHosts } from "../domain/webhookDestination";
import { defaultIncentiveProgramId, getIncentiveProgram } from "./incentivePrograms";

/**
 * The app's settings, read from the environment (Azure Functions app settings; `local.settings.json`
 * locally) and checked once: a bad value stops the app at start-up with the variable named, rather
 * than failing the first request that needs it. Durations and thresholds are configuration.
 */
const isoDuration = z.string().transform((text, ctx) => {
  try {
    return isoDurationMs(text);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `must be an ISO 8601 duration such as P14D or PT30S (${(err as Error).message})`,
    });
    return z.NEVER;
  }
});

/** Hosts a plain-http key set may live on: a fake issuer in tests, never a real one. */
const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** A JWKS address: https, or http on a loopback host only. */
const jwksUri = z.url().refine((text) => {
  if (!URL.canParse(text)) return true; // z.url() has named it already
  const url = new URL(text);
  return url.protocol === "https:" || (url.protocol === "http:" && loopbackHosts.has(url.hostname));
}, "must be an https URL (plain http only on 127.0.0.1, [::1] or localhost)");

/** `{"<tenant ID GUID>": "<partner ID>", …}`: the tenants whose Entra ID tokens open the partner API. */
const tenantPartnersMap = z.record(z.guid(), partner.shape.id);

const tenantPartners = z.string().transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: 'must be a JSON object such as {"<tenant ID>": "<partner ID>"}',
    });
    return z.NEVER;
  }
  const parsed = tenantPartnersMap.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length ? `${issue.path.map(String).join(".")}: ` : "";
      const what = issue.code === "invalid_key" ? "is not a tenant ID (GUID)" : issue.message;
      ctx.addIssue({
        code: "custom",
        message: `must map tenant IDs (GUIDs) to partner IDs: ${where}${what}`,
      });
    }
    return z.NEVER;
  }
  const entries = Object.entries(parsed.data).map(
    ([tid, partnerId]) => [tid.toLowerCase(), partnerId] as const,
  );
  if (entries.length === 0) {
    ctx.addIssue({ code: "custom", message: "must map at least one tenant ID to a partner ID" });
    return z.NEVER;
  }
  if (new Set(entries.map(([tid]) => tid)).size !== entries.length) {
    ctx.addIssue({ code: "custom", message: "names a tenant ID twice (tenant IDs are case-insensitive)" });
    return z.NEVER;
  }
  return Object.fromEntries(entries);
});

/** `P7D,P14D`: ISO 8601 durations, comma-separated, ascending; `none` for none. */
const isoDurationList = z.string().transform((text, ctx) => {
  if (text.trim().toLowerCase() === "none") return [];
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const values: number[] = [];
  for (const part of parts) {
    try {
      values.push(isoDurationMs(part));
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        message: `must be ISO 8601 durations separated by commas, such as P7D,P14D (${(err as Error).message})`,
      });
      return z.NEVER;
    }
  }
  if (values.some((v, i) => v <= 0 || (i > 0 && v <= (values[i - 1] ?? 0)))) {
    ctx.addIssue({ code: "custom", message: "must be positive durations in ascending order" });
    return z.NEVER;
  }
  return values;
});

/** An AES-256 key: base64 of exactly 32 bytes. */
const secretsKey = z.string().transform((text, ctx) => {
  const key = Buffer.from(text, "base64");
  if (key.length !== 32 || key.toString("base64").replace(/=+$/, "") !== text.replace(/=+$/, "")) {
    ctx.addIssue({ code: "custom", message: "must be base64 of 32 random bytes (an AES-256 key)" });
    return z.NEVER;
  }
  return key;
});

/** `{"<partner ID>": "<tenant ID>"}`: partners whose Partner Center tenant is not PARTNER_CENTER_TENANT_ID. */
const partnerTenants = z.string().transform((text, ctx) => {
  try {
    const parsed = z.record(partner.shape.id, z.guid()).safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: 'must be a JSON object such as {"<partner ID>": "<tenant ID>"}' });
  return z.NEVER;
});

const queueName = z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/, "must be a queue name");

const environment = z.object({
  /** A connection string (Azurite, account keys)… */
  AzureWebJobsStorage: z.string().min(1).optional(),
  /** …or an identity-based connection, named as the Functions host names them. */
  AzureWebJobsStorage__accountName: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name")
    .optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: z.string().optional(),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,30}$/, "must be letters and digits, starting with a letter")
    .optional(),
  POE_MAX_AGE_MONTHS: z.coerce.number().int().min(1).max(60).default(12),
  INCENTIVE_PROGRAM: z
    .string()
    .default(defaultIncentiveProgramId)
    .refine((id) => isKnownProgram(id), "must name a bundled incentive program"),
  LIFECYCLE_POE_DEADLINE: isoDuration.prefault("P30D"),
  LIFECYCLE_REFUSAL_WINDOW: isoDuration.prefault("P14D"),
  /** How long the partner has to answer a reviewer's request for action (Microsoft: 5 business days). */
  LIFECYCLE_PARTNER_ACTION_WINDOW: isoDuration.prefault("P7D"),
  /** How long after a rejection a dispute may be filed (Microsoft: 30 days). */
  LIFECYCLE_DISPUTE_WINDOW: isoDuration.prefault("P30D"),
  CONSENT_LINK_TTL: isoDuration.prefault("P60D"),
  /** HMAC-SHA256 key for consent links; at least 32 characters. */
  CONSENT_SIGNING_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /**
   * The signing key before the last rotation: links it signed stay valid until they expire; new
   * links are signed with CONSENT_SIGNING_KEY only.
   */
  CONSENT_SIGNING_KEY_PREVIOUS: z.string().min(32, "must be at least 32 characters").optional(),
  /** Opens /api/v1/admin/*; absent = administration is closed. */
  ADMIN_API_KEY: z.string().min(24, "must be at least 24 characters").optional(),
  /** Request bodies larger than this are refused with 413 (15 MiB: a 10 MiB PoE in base64 fits). */
  MAX_REQUEST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(15 * 1024 * 1024),
  /** Each partner's sustained requests a second on one instance (429 beyond); 0 = no limit. */
  PARTNER_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(100),
  /** How many requests a partner may send at once before the rate above applies. */
  PARTNER_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(1000),
  /** Where customers and partners reach this service (links in emails). */
  PUBLIC_BASE_URL: z.url().default("http://127.0.0.1:7071"),
  EMAIL_TRANSPORT: z.enum(["outbox", "smtp", "acs"]).default("outbox"),
  /** Reply-To of customer emails: the address whose replies reach the inbound-email queue. */
  EMAIL_REPLY_TO: z.email().optional(),
  /** Queue names (also read by the queue triggers as %settings%). */
  INBOUND_EMAIL_QUEUE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,62}$/)
    .default("inbound-email"),
  /**
   * Webhook hosts exempt from the SSRF rules (they may be internal and use http): comma-separated
   * host names or IP addresses, case-insensitive. Empty: public https receivers only.
   */
  WEBHOOK_ALLOWED_HOSTS: webhookAllowedHosts.prefault(""),
  /** A workflow that has not moved for this long (or is this late past its timer) is stuck. */
  ORCHESTRATION_STUCK_AFTER: isoDuration.prefault("PT1H"),
  /** Finished workflow history and settled webhook deliveries older than this are purged. */
  HISTORY_RETENTION: isoDuration.prefault("P90D"),
  /** NCRONTAB (6 fields, UTC) of the history purge; the timer trigger reads it as %HISTORY_PURGE_SCHEDULE%. */
  HISTORY_PURGE_SCHEDULE: z.string().default("0 30 3 * * *"),
  /** The wait after a webhook delivery's first failed attempt; each further failure doubles it. */
  WEBHOOK_RETRY_FIRST_DELAY: isoDuration.prefault("PT30S"),
  /** The longest wait between two attempts (at most P7D, a queue message's longest delay). */
  WEBHOOK_RETRY_MAX_DELAY: isoDuration
    .refine((ms) => ms <= 7 * 24 * 3600 * 1000, "must be at most P7D")
    .prefault("PT1H"),
  /** How long a failing delivery is retried before it is dead-lettered (state `failed`). */
  WEBHOOK_RETRY_WINDOW: isoDuration.prefault("P1D"),
  PARTNER_WEBHOOKS_QUEUE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,62}$/)
    .default("partner-webhooks"),
  USAGE_POLL_QUEUE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,62}$/)
    .default("usage-poll"),
  /** Where usage comes from: Microsoft Graph reports, or deterministic simulated growth (demos, tests). */
  USAGE_PROVIDER: z.enum(["simulated", "graph"]).default("simulated"),
  /** NCRONTAB (6 fields, UTC) of the usage poll; the timer trigger reads it as %USAGE_POLL_SCHEDULE%. */
  USAGE_POLL_SCHEDULE: z.string().default("0 0 6 * * *"),
  /** Graph report period: D7, D30, D90 or D180. */
  USAGE_REPORT_PERIOD: z.enum(["D7", "D30", "D90", "D180"]).default("D7"),
  /** Seed of the simulated growth curves (same seed → same usage). */
  USAGE_SIMULATION_SEED: z.string().default("partner-of-record"),
  /** Simulated days of growth per real second (demos: fast; 0 = calendar time). */
  USAGE_SIMULATION_DAYS_PER_SECOND: z.coerce.number().min(0).default(0),
  GRAPH_CLIENT_ID: z.string().optional(),
  GRAPH_CLIENT_SECRET: z.string().optional(),
  AZURE_AUTHORITY_HOST: z.url().default("https://login.microsoftonline.com"),
  GRAPH_BASE_URL: z.url().default("https://graph.microsoft.com/v1.0"),
  /** Microsoft Defender for Endpoint API root (onboarded devices for the defender-endpoint workload). */
  DEFENDER_BASE_URL: z.url().default("https://api.securitycenter.microsoft.com"),
  /** Usage readings the milestone forecast fits its trend to (the latest N since approval). */
  FORECAST_READINGS: z.coerce.number().int().min(2).max(365).default(8),
  /** NCRONTAB (6 fields, UTC) of the daily Partner Capability Score snapshot (%PCS_SNAPSHOT_SCHEDULE%). */
  PCS_SNAPSHOT_SCHEDULE: z.string().default("0 30 6 * * *"),
  EMAIL_FROM: z.email().default("no-reply@partner-of-record.local"),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65_535).default(587),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  ACS_CONNECTION_STRING: z.string().optional(),
  /** Entra ID access tokens for the partner API (beside API keys); absent = API keys only. */
  ENTRA_ISSUER: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  ENTRA_AUDIENCE: z.string().min(1).optional(),
  ENTRA_JWKS_URI: jwksUri.optional(),
  ENTRA_TENANT_PARTNERS: tenantPartners.optional(),
  /**
   * AES-256-GCM key (base64 of 32 bytes) sealing the secrets the service must keep (PAL identities'
   * client secrets); a Key Vault reference in production. Absent: nothing that needs it can run.
   */
  SECRETS_KEY: secretsKey.optional(),
  /** Azure Resource Manager, for Partner Admin Links (its `/.default` is the token scope). */
  ARM_BASE_URL: z.url().default("https://management.azure.com"),
  /** NCRONTAB (6 fields, UTC) of the PAL re-verification; the timer reads %PAL_VERIFY_SCHEDULE%. */
  PAL_VERIFY_SCHEDULE: z.string().default("0 0 5 * * 1"),
  PAL_VERIFY_QUEUE: queueName.default("pal-verify"),
  /** After a DPOR request, when the customer is reminded (offsets from the request). */
  DPOR_REMINDERS: isoDurationList.prefault("P7D,P14D"),
  /** How long a DPOR request waits for the customer before it is Expired. */
  DPOR_REQUEST_WINDOW: isoDuration.prefault("P30D"),
  PARTNER_CENTER_BASE_URL: z.url().default("https://api.partnercenter.microsoft.com"),
  PARTNER_CENTER_CLIENT_ID: z.string().min(1).optional(),
  PARTNER_CENTER_CLIENT_SECRET: z.string().min(1).optional(),
  /** The partner's own tenant, where the Partner Center app signs in (app-only). */
  PARTNER_CENTER_TENANT_ID: z.guid().optional(),
  PARTNER_CENTER_PARTNER_TENANTS: partnerTenants.optional(),
  /** NCRONTAB (6 fields, UTC) of the daily CSP re-import; the timer reads %CSP_IMPORT_SCHEDULE%. */
  CSP_IMPORT_SCHEDULE: z.string().default("0 0 4 * * *"),
  ENTRA_REQUIRED_SCOPE: z
    .string()
    .regex(/^\S+$/, "must be one scope or app role name, without spaces")
    .optional(),
  /** The dashboard's own app registration (a single-page app): with it the dashboard signs in with Entra ID. */
  ENTRA_DASHBOARD_CLIENT_ID: z.guid().optional(),
  /** Where the dashboard signs in: the authority host and a tenant ID, or `organizations` for any work account. */
  ENTRA_DASHBOARD_AUTHORITY: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  /** The scopes the dashboard asks for, space-separated; default `<ENTRA_AUDIENCE>/.default`. */
  ENTRA_DASHBOARD_SCOPES: z
    .string()
    .regex(/^\S+( \S+)*$/, "must be scopes separated by single spaces")
    .optional(),
});

/** Set together with ENTRA_ISSUER, never without it. */
const entraIdCompanions = ["ENTRA_AUDIENCE", "ENTRA_JWKS_URI", "ENTRA_TENANT_PARTNERS"] as const;
/** Meaningful only with ENTRA_ISSUER. */
const entraIdOptions = [
  "ENTRA_REQUIRED_SCOPE",
  "ENTRA_DASHBOARD_CLIENT_ID",
  "ENTRA_DASHBOARD_AUTHORITY",
  "ENTRA_DASHBOARD_SCOPES",
] as const;

/** Where state lives: a connection string, or an endpoint reached with the app's Entra ID identity. */
export type StorageSettings =
  | { kind: "connection-string"; connectionString: string }
  | { kind: "identity"; tableEndpoint: string; clientId: string | undefined };

export interface Settings {
  storage: StorageSettings;
  tablePrefix: string | undefined;
  poeMaxAgeMonths: number;
  incentiveProgramId: string;
  lifecycle: LifecycleDurations;
  consent: { signingKey: string | undefined; previousSigningKey: string | undefined; linkTtlMs: number };
  adminApiKey: string | undefined;
  /** The partner API's limits: the largest body, and each partner's rate (undefined = none). */
  api: { maxRequestBytes: number; partnerRateLimit: BucketRate | undefined };
  publicBaseUrl: string;
  email: EmailSettings;
  queues: { inboundEmail: string; partnerWebhooks: string; usagePoll: string };
  /** Canonical hosts (lower-case, IPv6 without brackets) webhooks may reach despite the SSRF rules. */
  webhookAllowedHosts: string[];
  /** How failed webhook deliveries are retried, and for how long. */
  webhookRetry: WebhookRetryPolicy;
  /** Operators' thresholds: when a workflow is stuck, how long history is kept, when it is purged. */
  operations: { stuckAfterMs: number; historyRetentionMs: number; purgeSchedule: string };
  usage: UsageSettings;
  /** Entra ID bearer tokens for the partner API; undefined = API keys only. */
  entraId: EntraIdSettings | undefined;
  /** The key that seals stored secrets; undefined = PAL linking with an identity is unavailable. */
  secretsKey: Buffer | undefined;
  /** Entra ID's authority host (tokens for Graph, ARM and Partner Center), without a trailing slash. */
  authorityHost: string;
  dpor: DporDurations;
  pal: { armBaseUrl: string; verifySchedule: string; verifyQueue: string };
  partnerCenter: PartnerCenterSettings;
  pcs: { snapshotSchedule: string };
}

/** The partner's Partner Center app (app-only), for CSP imports. */
export interface PartnerCenterSettings {
  baseUrl: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  tenantId: string | undefined;
  /** Partner ID → its Partner Center tenant, where it differs from `tenantId`. */
  partnerTenants: Record<string, string>;
  importSchedule: string;
}

/** Every lifecycle duration, in milliseconds (ISO 8601 durations in the settings). */
export interface LifecycleDurations {
  poeDeadlineMs: number;
  refusalWindowMs: number;
  partnerActionWindowMs: number;
  disputeWindowMs: number;
}

export interface EntraIdSettings {
  issuer: string;
  audience: string;
  jwksUri: string;
  /** Tenant ID (lower-case GUID) → partner ID. */
  tenantPartners: Record<string, string>;
  requiredScope: string | undefined;
  /** The dashboard's Entra ID sign-in (MSAL), when ENTRA_DASHBOARD_CLIENT_ID is set. */
  dashboard: DashboardSignIn | undefined;
}

export interface DashboardSignIn {
  clientId: string;
  authority: string;
  scopes: string[];
}

export interface UsageSettings {
  provider: "simulated" | "graph";
  pollSchedule: string;
  reportPeriod: "D7" | "D30" | "D90" | "D180";
  simulation: { seed: string; daysPerSecond: number };
  graph: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    authorityHost: string;
    baseUrl: string;
    /** Microsoft Defender for Endpoint API root, without a trailing slash. */
    defenderBaseUrl: string;
  };
  /** Readings the milestone forecast fits its trend to. */
  forecastReadings: number;
}

export type EmailSettings = { from: string; replyTo?: string | undefined } & (
  | { transport: "outbox" }
  | { transport: "smtp"; host: string; port: number; user: string | undefined; password: string | undefined }
  | { transport: "acs"; connectionString: string }
);

/**
 * Reads the settings. An empty value counts as unset: Azure app settings are often present and
 * empty (a template's optional parameter left blank), and "" must not stop the app.
 */
export function loadSettings(given: Record<string, string | undefined> = process.env): Settings {
  const env = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== ""));
  const parsed = environment.safeParse(env);
  const issues: FieldIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  if (
    !env.AzureWebJobsStorage &&
    !env.AzureWebJobsStorage__accountName &&
    !env.AzureWebJobsStorage__tableServiceUri
  )
    issues.push({
      path: "AzureWebJobsStorage",
      message: "must be a connection string, or set AzureWebJobsStorage__accountName for a managed identity",
    });
  if (env["USAGE_PROVIDER"] === "graph")
    for (const name of ["GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"])
      if (!env[name]) issues.push({ path: name, message: "is required when USAGE_PROVIDER is graph" });
  if (env["EMAIL_TRANSPORT"] === "smtp" && !env["SMTP_HOST"])
    issues.push({ path: "SMTP_HOST", message: "is required when EMAIL_TRANSPORT is smtp" });
  if (env["EMAIL_TRANSPORT"] === "acs" && !env["ACS_CONNECTION_STRING"])
    issues.push({ path: "ACS_CONNECTION_STRING", message: "is required when EMAIL_TRANSPORT is acs" });
  if (env["ENTRA_ISSUER"] !== undefined) {
    for (const name of entraIdCompanions)
      if (env[name] === undefined)
        issues.push({ path: name, message: "is required when ENTRA_ISSUER is set" });
  } else {
    const stray = [...entraIdCompanions, ...entraIdOptions].filter((name) => env[name] !== undefined);
    if (stray.length > 0)
      issues.push({ path: "ENTRA_ISSUER", message: `is required when ${stray.join(", ")} is set` });
  }
  if (parsed.success && parsed.data.DPOR_REMINDERS.some((ms) => ms >= parsed.data.DPOR_REQUEST_WINDOW))
    issues.push({
      path: "DPOR_REMINDERS",
      message: "every reminder must come before DPOR_REQUEST_WINDOW ends",
    });
  if (!parsed.success || issues.length > 0) throw new ValidationError(issues);
  const values = parsed.data;
  return {
    storage: storageSettings(values),
    tablePrefix: values.TABLE_PREFIX,
    poeMaxAgeMonths: values.POE_MAX_AGE_MONTHS,
    incentiveProgramId: values.INCENTIVE_PROGRAM,
    lifecycle: {
      poeDeadlineMs: values.LIFECYCLE_POE_DEADLINE,
      refusalWindowMs: values.LIFECYCLE_REFUSAL_WINDOW,
      partnerActionWindowMs: values.LIFECYCLE_PARTNER_ACTION_WINDOW,
      disputeWindowMs: values.LIFECYCLE_DISPUTE_WINDOW,
    },
    consent: {
      signingKey: values.CONSENT_SIGNING_KEY,
      previousSigningKey: values.CONSENT_SIGNING_KEY_PREVIOUS,
      linkTtlMs: values.CONSENT_LINK_TTL,
    },
    adminApiKey: values.ADMIN_API_KEY,
    api: {
      maxRequestBytes: values.MAX_REQUEST_BYTES,
      partnerRateLimit:
        values.PARTNER_RATE_LIMIT_PER_SECOND > 0
          ? { perSecond: values.PARTNER_RATE_LIMIT_PER_SECOND, burst: values.PARTNER_RATE_LIMIT_BURST }
          : undefined,
    },
    publicBaseUrl: values.PUBLIC_BASE_URL.replace(/\/+$/, ""),
    email: emailSettings(values),
    queues: {
      inboundEmail: values.INBOUND_EMAIL_QUEUE,
      partnerWebhooks: values.PARTNER_WEBHOOKS_QUEUE,
      usagePoll: values.USAGE_POLL_QUEUE,
    },
    usage: {
      provider: values.USAGE_PROVIDER,
      pollSchedule: values.USAGE_POLL_SCHEDULE,
      reportPeriod: values.USAGE_REPORT_PERIOD,
      simulation: {
        seed: values.USAGE_SIMULATION_SEED,
        daysPerSecond: values.USAGE_SIMULATION_DAYS_PER_SECOND,
      },
      graph: {
        clientId: values.GRAPH_CLIENT_ID,
        clientSecret: values.GRAPH_CLIENT_SECRET,
        authorityHost: values.AZURE_AUTHORITY_HOST.replace(/\/+$/, ""),
        baseUrl: values.GRAPH_BASE_URL.replace(/\/+$/, ""),
        defenderBaseUrl: values.DEFENDER_BASE_URL.replace(/\/+$/, ""),
      },
      forecastReadings: values.FORECAST_READINGS,
    },
    pcs: { snapshotSchedule: values.PCS_SNAPSHOT_SCHEDULE },
    webhookAllowedHosts: values.WEBHOOK_ALLOWED_HOSTS,
    operations: {
      stuckAfterMs: values.ORCHESTRATION_STUCK_AFTER,
      historyRetentionMs: values.HISTORY_RETENTION,
      purgeSchedule: values.HISTORY_PURGE_SCHEDULE,
    },
    webhookRetry: {
      firstDelayMs: values.WEBHOOK_RETRY_FIRST_DELAY,
      maxDelayMs: values.WEBHOOK_RETRY_MAX_DELAY,
      windowMs: values.WEBHOOK_RETRY_WINDOW,
    },
    entraId: entraIdSettings(values),
    secretsKey: values.SECRETS_KEY,
    authorityHost: values.AZURE_AUTHORITY_HOST.replace(/\/+$/, ""),
    dpor: { remindersMs: values.DPOR_REMINDERS, requestWindowMs: values.DPOR_REQUEST_WINDOW },
    pal: {
      armBaseUrl: values.ARM_BASE_URL.replace(/\/+$/, ""),
      verifySchedule: values.PAL_VERIFY_SCHEDULE,
      verifyQueue: values.PAL_VERIFY_QUEUE,
    },
    partnerCenter: {
      baseUrl: values.PARTNER_CENTER_BASE_URL.replace(/\/+$/, ""),
      clientId: values.PARTNER_CENTER_CLIENT_ID,
      clientSecret: values.PARTNER_CENTER_CLIENT_SECRET,
      tenantId: values.PARTNER_CENTER_TENANT_ID,
      partnerTenants: values.PARTNER_CENTER_PARTNER_TENANTS ?? {},
      importSchedule: values.CSP_IMPORT_SCHEDULE,
    },
  };
}

/** Complete when ENTRA_ISSUER is set (loadSettings has named any missing companion). */
function entraIdSettings(values: z.infer<typeof environment>): EntraIdSettings | undefined {
  const { ENTRA_ISSUER, ENTRA_AUDIENCE, ENTRA_JWKS_URI, ENTRA_TENANT_PARTNERS } = values;
  if (!ENTRA_ISSUER || !ENTRA_AUDIENCE || !ENTRA_JWKS_URI || !ENTRA_TENANT_PARTNERS) return undefined;
  return {
    issuer: ENTRA_ISSUER,
    audience: ENTRA_AUDIENCE,
    jwksUri: ENTRA_JWKS_URI,
    tenantPartners: ENTRA_TENANT_PARTNERS,
    requiredScope: values.ENTRA_REQUIRED_SCOPE,
    dashboard: values.ENTRA_DASHBOARD_CLIENT_ID
      ? {
          clientId: values.ENTRA_DASHBOARD_CLIENT_ID,
          authority: (
            values.ENTRA_DASHBOARD_AUTHORITY ??
            `${values.AZURE_AUTHORITY_HOST.replace(/\/+$/, "")}/organizations`
          ).replace(/\/+$/, ""),
          scopes: (values.ENTRA_DASHBOARD_SCOPES ?? `${ENTRA_AUDIENCE}/.default`).split(" "),
        }
      : undefined,
  };
}

function emailSettings(values: z.infer<typeof environment>): EmailSettings {
  const from = values.EMAIL_FROM;
  const replyTo = values.EMAIL_REPLY_TO;
  switch (values.EMAIL_TRANSPORT) {
    case "smtp":
      return {
        from,
        replyTo,
        transport: "smtp",
        host: values.SMTP_HOST ?? "",
        port: values.SMTP_PORT,
        user: values.SMTP_USER,
        password: values.SMTP_PASSWORD,
      };
    case "acs":
      return { from, replyTo, transport: "acs", connectionString: values.ACS_CONNECTION_STRING ?? "" };
    default:
      return { from, replyTo, transport: "outbox" };
  }
}

/** A connection string wins when both are set, as it does in the Functions host. */
function storageSettings(values: z.infer<typeof environment>): StorageSettings {
  if (values.AzureWebJobsStorage)
    return { kind: "connection-string", connectionString: values.AzureWebJobsStorage };
  const tableEndpoint =
    values.AzureWebJobsStorage__tableServiceUri ??
    `https://${values.AzureWebJobsStorage__accountName}.table.core.windows.net`;
  return { kind: "identity", tableEndpoint, clientId: values.AzureWebJobsStorage__clientId };
}

function isKnownProgram(id: string): boolean {
  try {
    getIncentiveProgram(id);
    return true;
  } catch {
    return false;
  }
}
