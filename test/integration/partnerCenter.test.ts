import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NonRetriableError, NotConfiguredError, TransientDependencyError } from "../../src/domain/errors";
import {
  createPartnerCenterAccess,
  createPartnerCenterClient,
  type CustomersContinuation,
  type PartnerCenterClient,
  type PartnerCenterClientOptions,
} from "../../src/integrations/partnerCenter";
import {
  startFakePartnerCenter,
  type FakeCspCustomer,
  type FakePartnerCenter,
} from "../fixtures/fakePartnerCenter";

/**
 * The real Partner Center client (@azure/identity's ClientSecretCredential, fetch) against the fake
 * Partner Center and its token endpoint over TLS on 127.0.0.1 (trusted through NODE_EXTRA_CA_CERTS,
 * test/integration/fakeGraphTls.ts): paging with continuation tokens, throttling, refusals.
 */
const partnerTenant = randomUUID();
const clientId = randomUUID();
const clientSecret = `pc-secret-${randomUUID()}`;
let fake: FakePartnerCenter;

const customers: FakeCspCustomer[] = Array.from({ length: 7 }, (_, i) => ({
  tenantId: randomUUID(),
  domain: `customer${i}.onmicrosoft.com`,
  companyName: `Customer ${i}`,
  subscriptions: [{ id: randomUUID(), offerName: "Microsoft 365 E3", quantity: 10 + i, status: "active" }],
}));

beforeAll(async () => {
  fake = await startFakePartnerCenter({
    tls: inject("fakeTls"),
    pageSize: 3,
    apps: [{ tenantId: partnerTenant, clientId, clientSecret }],
  });
  fake.setCustomers(partnerTenant, customers);
  fake.setIndirectProviders(partnerTenant, [
    { id: randomUUID(), name: "Contoso Distribution", mpnId: "7654321", state: "Active" },
  ]);
});

afterAll(async () => {
  await fake?.stop();
});

function client(options: Partial<PartnerCenterClientOptions> = {}): PartnerCenterClient {
  return createPartnerCenterClient({
    baseUrl: fake.origin,
    authorityHost: fake.origin,
    tenantId: partnerTenant,
    clientId,
    clientSecret,
    retry: { baseDelayMs: 20, maxDelayMs: 2_000 },
    ...options,
  });
}

async function allPages(c: PartnerCenterClient) {
  const pages: string[][] = [];
  let next: CustomersContinuation | undefined;
  do {
    const page = await c.customers(next);
    pages.push(page.customers.map((x) => x.tenantId ?? ""));
    next = page.next;
  } while (next);
  return pages;
}

describe("Partner Center client", () => {
  it("reads the customer list page by page, sending each page's continuation token", async () => {
    const c = client();
    const before = fake.requests.length;
    const pages = await allPages(c);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(customers.map((x) => x.tenantId));
    const calls = fake.requests.slice(before);
    expect(calls.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls[0]?.continuationToken).toBeUndefined();
    expect(calls[1]?.continuationToken).toEqual(expect.any(String));
    expect(calls[2]?.continuationToken).not.toBe(calls[1]?.continuationToken);
    const [first] = (await c.customers()).customers;
    expect(first).toMatchObject({ domain: "customer0.onmicrosoft.com", companyName: "Customer 0" });
  });

  it("reads a customer's subscriptions and the indirect providers", async () => {
    const c = client();
    const customer = customers[2];
    expect(await c.subscriptions(customer?.tenantId ?? "")).toEqual([
      { ...customer?.subscriptions?.[0], quantity: 12 },
    ]);
    expect(await c.indirectProviders()).toEqual([
      expect.objectContaining({ name: "Contoso Distribution", mpnId: "7654321", state: "Active" }),
    ]);
  });

  it("waits out a 429 for its Retry-After, then goes on", async () => {
    const c = client();
    await c.indirectProviders(); // the token is there: only the API call is timed
    fake.throttle(1, 1);
    const started = Date.now();
    const before = fake.requests.length;
    expect(await c.subscriptions(customers[0]?.tenantId ?? "")).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([429, 200]);
  });

  it("retries a 5xx a bounded number of times, then answers a transient failure", async () => {
    fake.failNext(3, 503);
    const failure = client({ retry: { attempts: 3, baseDelayMs: 10 } }).indirectProviders();
    await expect(failure).rejects.toBeInstanceOf(TransientDependencyError);
    await expect(failure).rejects.toThrow(/failed 3 times; last: HTTP 503/);
  });

  it("says which settings to check when Entra ID refuses the secret, without the secret", async () => {
    const wrong = `wrong-${randomUUID()}`;
    const failure = client({ clientSecret: wrong }).customers();
    await expect(failure).rejects.toBeInstanceOf(NonRetriableError);
    const message = await failure.then(
      () => "",
      (err: unknown) => (err as Error).message,
    );
    expect(message).toMatch(/invalid_client, AADSTS7000215/);
    expect(message).toContain("PARTNER_CENTER_CLIENT_SECRET");
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(clientSecret);
  });

  it("answers a 401 from Partner Center as a refusal, not a retry", async () => {
    const tenant = randomUUID();
    const secret = `other-${randomUUID()}`;
    fake.login.addApp({ tenantId: tenant, clientId, clientSecret: secret });
    const c = client({ tenantId: tenant, clientSecret: secret });
    await c.indirectProviders();
    fake.login.removeApp(tenant, clientId); // its tokens stop working
    const before = fake.requests.length;
    await expect(c.indirectProviders()).rejects.toThrow(/Partner Center refused .* \(HTTP 401 code 401\)/);
    expect(fake.requests.length - before).toBe(1);
  });

  it("refuses a next-page link to another origin (the token goes to Partner Center only)", async () => {
    await expect(
      client().customers({ uri: "https://elsewhere.example.com/v1/customers", continuationToken: "x" }),
    ).rejects.toThrow(/another origin/);
  });
});

describe("Partner Center access per partner", () => {
  const settings = {
    baseUrl: "https://api.partnercenter.example",
    clientId,
    clientSecret,
    tenantId: undefined,
    partnerTenants: { fabrikam: partnerTenant },
    importSchedule: "0 0 4 * * *",
  };

  it("names the missing settings, and never builds a client without them", () => {
    const access = createPartnerCenterAccess(settings, "https://login.example");
    expect(access.missingSettings("fabrikam")).toEqual([]);
    expect(access.forPartner("fabrikam")).toBe(access.forPartner("fabrikam"));
    expect(access.missingSettings("contoso")).toEqual([expect.stringMatching(/^PARTNER_CENTER_TENANT_ID/)]);
    expect(() => access.forPartner("contoso")).toThrow(NotConfiguredError);
    const none = createPartnerCenterAccess(
      { ...settings, clientSecret: undefined, tenantId: partnerTenant },
      "https://login.example",
    );
    expect(() => none.forPartner("contoso")).toThrow(/PARTNER_CENTER_CLIENT_SECRET/);
  });
});
