import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { z } from "zod";
import type { PartnerCenterSettings } from "../config/settings";
import { NonRetriableError, NotConfiguredError, TransientDependencyError } from "../domain/errors";
import { describeNetworkFailure, describeTokenFailure } from "./entraFailures";
import { parseRetryAfter } from "./usage/graphUsageProvider";

/**
 * The Partner Center REST API, app-only (the partner's Partner Center app signs in to the partner's
 * own tenant), for CSP imports:
 *   GET {base}/v1/customers                     paged: `links.next.uri` (relative to `{base}/v1`)
 *                                               with its `MS-ContinuationToken` header
 *   GET {base}/v1/customers/{id}/subscriptions  `{totalCount, items: [{id, offerName, quantity, status}]}`
 *   GET {base}/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf
 *                                               the indirect providers the partner resells for
 * The token's scope is Partner Center's whatever the base URL (a test's fake answers to it too).
 *
 * Failures: Entra ID refusing the app, or Partner Center answering 401/403 → NonRetriableError
 * saying which setting to check; other 4xx → NonRetriableError with Partner Center's error code;
 * 429, 5xx, 408 and network failures are retried here (bounded, Retry-After honoured) and then
 * become a TransientDependencyError. Messages never carry the client secret, a token or a
 * continuation token.
 */
export const partnerCenterScope = "https://api.partnercenter.microsoft.com/.default";

/** A customer as the import reads it; every field but `id` may be missing in what Partner Center sends. */
export interface PartnerCenterCustomer {
  id: string;
  tenantId: string | undefined;
  domain: string | undefined;
  companyName: string | undefined;
  relationshipToPartner: string | undefined;
}

export interface PartnerCenterSubscription {
  id: string;
  offerName: string | undefined;
  quantity: number | undefined;
  status: string | undefined;
}

export interface IndirectProvider {
  id: string;
  name: string | undefined;
  state: string | undefined;
  mpnId: string | undefined;
}

/** Where the next page of the customer list is: Partner Center's `links.next`, reduced to what is sent. */
export interface CustomersContinuation {
  /** Relative to `{base}/v1` (or absolute on the same origin). */
  uri: string;
  continuationToken?: string | undefined;
}

export interface CustomersPage {
  customers: PartnerCenterCustomer[];
  next: CustomersContinuation | undefined;
}

export interface PartnerCenterClient {
  /** One page of the customer list: the first without `next`, the following ones with it. */
  customers(next?: CustomersContinuation): Promise<CustomersPage>;
  /** Every subscription of one customer (follows `links.next` when Partner Center pages them). */
  subscriptions(customerId: string): Promise<PartnerCenterSubscription[]>;
  /** The partner's indirect providers (empty for a direct-bill partner). */
  indirectProviders(): Promise<IndirectProvider[]>;
}

export interface PartnerCenterRetryOptions {
  /** Tries per request, the first included (default 4). */
  attempts?: number;
  /** Wait before the second try, doubled after each (default 500 ms). */
  baseDelayMs?: number;
  /** Longest wait between tries, Retry-After included (default 30 s). */
  maxDelayMs?: number;
}

export interface PartnerCenterClientOptions {
  /** Partner Center's root without `/v1`, e.g. `https://api.partnercenter.microsoft.com`. */
  baseUrl: string;
  /** The partner's own tenant, where its Partner Center app signs in. */
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Entra ID authority, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  fetch?: typeof fetch;
  credential?: TokenCredential;
  retry?: PartnerCenterRetryOptions;
  /** Customers asked for per page (Partner Center may answer fewer; default 100). */
  pageSize?: number;
  /** Per HTTP request (default 30 s). */
  requestTimeoutMs?: number;
}

/** Pages of subscriptions followed per customer before the list is called malformed. */
const maxSubscriptionPages = 50;

const link = z.object({
  uri: z.string().min(1),
  method: z.string().optional(),
  headers: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
});
const links = z.object({ next: link.optional() }).optional();
const text = z.string().nullish();

const customersPage = z.object({
  totalCount: z.number().optional(),
  items: z.array(
    z.object({
      id: z.string().min(1),
      companyProfile: z
        .object({ tenantId: text, domain: text, companyName: text })
        .nullish()
        .transform((p) => p ?? {}),
      relationshipToPartner: text,
    }),
  ),
  links,
});

const subscriptionsPage = z.object({
  totalCount: z.number().optional(),
  items: z.array(
    z.object({
      id: z.string().min(1),
      offerName: text,
      friendlyName: text,
      quantity: z.number().nullish(),
      status: text,
    }),
  ),
  links,
});

const relationshipsPage = z.object({
  totalCount: z.number().optional(),
  items: z.array(
    z.object({ id: z.string().min(1), name: text, relationshipType: text, state: text, mpnId: text }),
  ),
});

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

export function createPartnerCenterClient(options: PartnerCenterClientOptions): PartnerCenterClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const v1 = `${base}/v1`;
  const send = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const retry = {
    attempts: Math.max(1, options.retry?.attempts ?? 4),
    baseDelayMs: options.retry?.baseDelayMs ?? 500,
    maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
  };
  const tenant = options.tenantId;
  // One credential per client: MSAL caches and renews its token.
  const credential =
    options.credential ??
    new ClientSecretCredential(tenant, options.clientId, options.clientSecret, {
      authorityHost: options.authorityHost,
      disableInstanceDiscovery: true,
    });

  async function accessToken(): Promise<string> {
    let issued;
    try {
      issued = await credential.getToken(partnerCenterScope);
    } catch (err) {
      const { permanent, detail } = describeTokenFailure(err);
      if (permanent)
        throw new NonRetriableError(
          `Entra ID refused a Partner Center token for tenant ${tenant} (${detail}): check ` +
            `PARTNER_CENTER_CLIENT_ID, PARTNER_CENTER_CLIENT_SECRET and the partner's tenant`,
          { cause: err },
        );
      throw new TransientDependencyError(`no Partner Center token for tenant ${tenant} (${detail})`, {
        cause: err,
      });
    }
    if (!issued) throw new TransientDependencyError(`Entra ID issued no Partner Center token for ${tenant}`);
    return issued.token;
  }

  /** A `links.next.uri` as a URL on Partner Center's origin: the token goes nowhere else. */
  function resolve(uri: string): string {
    const url = /^https?:\/\//i.test(uri) ? uri : `${v1}${uri.startsWith("/") ? "" : "/"}${uri}`;
    if (new URL(url).origin !== new URL(base).origin)
      throw new NonRetriableError("Partner Center's next-page link points at another origin");
    return url;
  }

  /** GETs `url` with retries; answers the parsed JSON of a 2xx. */
  async function get(url: string, what: string, headers: Record<string, string> = {}): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const token = await accessToken();
      let wait: { reason: string; retryAfterSeconds: number | undefined };
      try {
        const response = await send(url, {
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            "ms-requestid": randomUUID(),
            "ms-correlationid": randomUUID(),
            ...headers,
          },
          redirect: "error",
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await response.text();
        if (response.ok) return parseJson(body, what);
        const detail = `HTTP ${response.status}${errorCodeOf(body)}`;
        if (response.status === 401 || response.status === 403)
          throw new NonRetriableError(
            `Partner Center refused ${what} (${detail}): check that the Partner Center app of tenant ` +
              `${tenant} has access to the partner's account (App+User or app-only access in Partner Center)`,
          );
        if (response.status !== 429 && response.status !== 408 && response.status < 500)
          throw new NonRetriableError(`Partner Center rejected ${what} (${detail})`);
        wait = { reason: detail, retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after")) };
      } catch (err) {
        if (err instanceof NonRetriableError) throw err;
        wait = { reason: describeNetworkFailure(err, timeoutMs), retryAfterSeconds: undefined };
      }
      if (attempt >= retry.attempts)
        throw new TransientDependencyError(
          `Partner Center ${what} failed ${attempt} times; last: ${wait.reason}`,
          wait.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: wait.retryAfterSeconds },
        );
      const backoff = retry.baseDelayMs * 2 ** (attempt - 1);
      const asked = (wait.retryAfterSeconds ?? 0) * 1000;
      await sleep(Math.min(retry.maxDelayMs, Math.max(backoff, asked)));
    }
  }

  function parse<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new NonRetriableError(
        `Partner Center answered ${what} with an unexpected body: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("; ")}`,
      );
    return parsed.data;
  }

  function continuationOf(next: z.infer<typeof link> | undefined): CustomersContinuation | undefined {
    if (!next) return undefined;
    const token = next.headers?.find((h) => h.key.toLowerCase() === "ms-continuationtoken")?.value;
    resolve(next.uri); // refuse a foreign link now, not when it is followed
    return token === undefined ? { uri: next.uri } : { uri: next.uri, continuationToken: token };
  }

  const continuationHeaders = (next: CustomersContinuation): Record<string, string> =>
    next.continuationToken === undefined ? {} : { "MS-ContinuationToken": next.continuationToken };

  return {
    async customers(next) {
      const size = Math.max(1, Math.min(500, options.pageSize ?? 100));
      const url = next ? resolve(next.uri) : `${v1}/customers?size=${size}`;
      const what = "the customer list";
      const page = parse(customersPage, await get(url, what, next ? continuationHeaders(next) : {}), what);
      return {
        customers: page.items.map((c) => ({
          id: c.id,
          tenantId: orUndefined(c.companyProfile.tenantId),
          domain: orUndefined(c.companyProfile.domain),
          companyName: orUndefined(c.companyProfile.companyName),
          relationshipToPartner: orUndefined(c.relationshipToPartner),
        })),
        next: continuationOf(page.links?.next),
      };
    },

    async subscriptions(customerId) {
      const what = `the subscriptions of customer ${customerId}`;
      const all: PartnerCenterSubscription[] = [];
      let url: string | undefined = `${v1}/customers/${encodeURIComponent(customerId)}/subscriptions`;
      let headers: Record<string, string> = {};
      for (let pages = 0; url !== undefined; pages++) {
        if (pages >= maxSubscriptionPages)
          throw new NonRetriableError(`Partner Center lists over ${maxSubscriptionPages} pages of ${what}`);
        const page = parse(subscriptionsPage, await get(url, what, headers), what);
        all.push(
          ...page.items.map((s) => ({
            id: s.id,
            offerName: orUndefined(s.offerName ?? s.friendlyName),
            quantity: orUndefined(s.quantity),
            status: orUndefined(s.status),
          })),
        );
        const next = continuationOf(page.links?.next);
        url = next && resolve(next.uri);
        headers = next ? continuationHeaders(next) : {};
      }
      return all;
    },

    async indirectProviders() {
      const what = "the indirect provider relationships";
      const url = `${v1}/relationships?relationship_type=IsIndirectCloudSolutionProviderOf`;
      const page = parse(relationshipsPage, await get(url, what), what);
      return page.items.map((r) => ({
        id: r.id,
        name: orUndefined(r.name),
        state: orUndefined(r.state),
        mpnId: orUndefined(r.mpnId),
      }));
    },
  };
}

/**
 * Partner Center for each partner of this deployment: one app (client ID and secret), signing in
 * to the partner's tenant (`partnerTenants[partnerId]`, else the deployment's `tenantId`). Clients
 * are kept per tenant, so a token is reused until it expires.
 */
export interface PartnerCenterAccess {
  /** The partner's client; NotConfiguredError (HTTP 503) naming the missing settings. */
  forPartner(partnerId: string): PartnerCenterClient;
  /** The settings the partner still lacks (empty when it can import). */
  missingSettings(partnerId: string): string[];
  /** Whether the partner has a Partner Center tenant of its own (listed in PARTNER_CENTER_PARTNER_TENANTS). */
  hasOwnTenant(partnerId: string): boolean;
}

export function createPartnerCenterAccess(
  settings: PartnerCenterSettings,
  authorityHost: string,
  overrides: Partial<Omit<PartnerCenterClientOptions, "tenantId" | "clientId" | "clientSecret">> = {},
): PartnerCenterAccess {
  const clients = new Map<string, PartnerCenterClient>();
  const tenantOf = (partnerId: string): string | undefined =>
    Object.hasOwn(settings.partnerTenants, partnerId)
      ? settings.partnerTenants[partnerId]
      : settings.tenantId;
  const missingSettings = (partnerId: string): string[] => [
    ...(settings.clientId ? [] : ["PARTNER_CENTER_CLIENT_ID"]),
    ...(settings.clientSecret ? [] : ["PARTNER_CENTER_CLIENT_SECRET"]),
    ...(tenantOf(partnerId)
      ? []
      : ["PARTNER_CENTER_TENANT_ID (or the partner in PARTNER_CENTER_PARTNER_TENANTS)"]),
  ];
  return {
    missingSettings,
    hasOwnTenant: (partnerId) => Object.hasOwn(settings.partnerTenants, partnerId),
    forPartner(partnerId) {
      const tenantId = tenantOf(partnerId);
      const { clientId, clientSecret } = settings;
      if (!tenantId || !clientId || !clientSecret)
        throw new NotConfiguredError(
          `Partner Center access is not configured for this partner: set ${missingSettings(partnerId).join(", ")}`,
        );
      const key = tenantId.toLowerCase();
      let client = clients.get(key);
      if (!client) {
        client = createPartnerCenterClient({
          baseUrl: settings.baseUrl,
          authorityHost,
          ...overrides,
          tenantId,
          clientId,
          clientSecret,
        });
        clients.set(key, client);
      }
      return client;
    },
  };
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new NonRetriableError(`Partner Center answered ${what} with a body that is not JSON`, {
      cause: err,
    });
  }
}

/** Partner Center's `{code, description}` error, as ` code 600007`; never the whole body. */
function errorCodeOf(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === "number" || (typeof code === "string" && /^[\w.-]{1,40}$/.test(code))
      ? ` code ${code}`
      : "";
  } catch {
    return "";
  }
}
