import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { opportunitiesResponse } from "../../../src/http/responseSchemas";
import { createStore, type Store } from "../../../src/store/store";
import { startApp, type AppUnderTest } from "../../support/app";
import { cporRequest } from "../../support/builders";

/**
 * `GET /api/v1/opportunities` on the local host, under the seed's FY20 milestone program with a
 * three-day PoE deadline. Fabrikam works with three customers, recorded through the API: a CSP
 * customer (Office 365 E1 × 400, as an import stores it) with a Teams claim in Draft and Exchange
 * already 25% active; a PAL-linked customer whose readings the usage poller stored and whose
 * Microsoft 365 Apps Contoso holds; a TPOR customer nothing tells the seats of. Values by hand
 * (enterprise band > 300 seats, smb 11–300): Teams 4000 + 8000 (15% + 40%), SharePoint 2000,
 * Teams Meetings 1500, Viva Engage 1200; smb Teams 25% active: only the 40% milestone, 2000; smb
 * Microsoft 365 Apps 5%: 800 + 1500.
 */
describe("GET /api/v1/opportunities", () => {
  let app: AppUnderTest;
  let store: Store;
  let fabrikam: Partner;
  let northwind: Partner;
  let contoso: Partner;
  type Partner = Awaited<ReturnType<AppUnderTest["partner"]>>;

  // Ordered tenant IDs, so ties in value rank the same way every run.
  const cspCustomer = `1${randomUUID().slice(1)}`;
  const palCustomer = `2${randomUUID().slice(1)}`;
  const tporCustomer = `3${randomUUID().slice(1)}`;
  let draftId = "";
  let contosoClaimId = "";

  beforeAll(async () => {
    app = await startApp({ LIFECYCLE_POE_DEADLINE: "P3D", INCENTIVE_PROGRAM: "fy20-osu-milestones" });
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    fabrikam = await app.partner("Fabrikam Consulting");
    northwind = await app.partner("Northwind Traders");
    contoso = await app.partner("Contoso Partner Services");

    const csp = await created(fabrikam, {
      type: "csp",
      model: "direct-bill",
      customerTenantId: cspCustomer,
      customerDomain: "adatum.onmicrosoft.com",
    });
    // What a Partner Center import keeps of the customer's subscriptions (src/app/cspImport.ts).
    await store.associations.update(fabrikam.partnerId, csp.id, (a) => ({
      ...a,
      csp: {
        source: "import",
        subscriptions: [
          { id: "sub-e1", offerName: "Office 365 E1", quantity: 400, status: "active" },
          { id: "sub-e3", offerName: "Microsoft 365 E3", quantity: 50, status: "suspended" },
        ],
        subscriptionCount: 2,
      },
    }));
    draftId = (
      await created(
        fabrikam,
        cporRequest({
          customerTenantId: cspCustomer,
          customerDomain: "adatum.onmicrosoft.com",
          workloads: ["teams"],
        }),
      )
    ).id;
    await reading(cspCustomer, "exchange", 400, 100);

    await created(fabrikam, {
      type: "pal",
      customerTenantId: palCustomer,
      credential: { kind: "service-principal", objectId: randomUUID() },
    });
    await reading(palCustomer, "teams", 200, 50);
    await reading(palCustomer, "m365-apps", 200, 10);
    contosoClaimId = (
      await created(contoso, cporRequest({ customerTenantId: palCustomer, workloads: ["m365-apps"] }))
    ).id;

    await created(fabrikam, {
      type: "tpor",
      role: "licensing-solution-provider",
      customerTenantId: tporCustomer,
      enrollmentNumber: String(Date.now()).slice(-8),
    });
  });

  afterAll(() => app?.host.stop());

  async function created(partner: Partner, body: object): Promise<{ id: string }> {
    const response = await app.call(partner.apiKey, "POST", "/api/v1/associations", {
      ...body,
      partnerLocationId: partner.locationId,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as { id: string };
  }

  async function reading(
    tenant: string,
    workload: "exchange" | "teams" | "m365-apps",
    paid: number,
    active: number,
  ) {
    await store.usageSnapshots.record({
      customerTenantId: tenant,
      workload,
      reportRefreshDate: new Date().toISOString().slice(0, 10),
      paidSeats: paid,
      activeUsers: active,
      fetchedAt: new Date().toISOString(),
    });
  }

  async function opportunities(partner: Partner) {
    const response = await app.call(partner.apiKey, "GET", "/api/v1/opportunities");
    expect(response.status).toBe(200);
    expect(response.headers.get("vary")).toBe("Accept");
    return opportunitiesResponse.parse(await response.json()).items;
  }

  it("ranks the partner's missed rebates by value, each with its reason and action", async () => {
    const items = await opportunities(fabrikam);
    expect(items.map((i) => [i.value, i.customerTenantId, i.workload, i.kind])).toEqual([
      [12000, cspCustomer, "teams", "deadline"],
      [2300, palCustomer, "m365-apps", "claimed-by-another-partner"],
      [2000, cspCustomer, "sharepoint", "unclaimed"],
      [2000, palCustomer, "teams", "unclaimed"],
      [1500, cspCustomer, "teams-meetings", "unclaimed"],
      [1200, cspCustomer, "viva-engage", "unclaimed"],
      [0, cspCustomer, "exchange", "unclaimed"],
      [0, tporCustomer, null, "seats-unknown"],
    ]);
    for (const item of items) expect(item.currency).toBe("USD");
    const [draft, held, sharepoint] = items;
    expect(draft?.associationId).toBe(draftId);
    expect(draft?.reason).toMatch(/^PoE due in 3 days \(\d{4}-\d{2}-\d{2}\)$/);
    expect(draft?.action).toMatch(/^Submit the customer-signed proof of execution \(POST \/poe\) by /);
    expect(sharepoint).toEqual({
      customerTenantId: cspCustomer,
      workload: "sharepoint",
      reason: "CSP customer (Direct Bill), usage readings; no claim on sharepoint",
      value: 2000,
      currency: "USD",
      action: "File a CPOR claim for sharepoint with a signed PoE: POST /api/v1/associations",
      kind: "unclaimed",
    });
    expect(held?.reason).toBe("PAL link, usage readings; m365-apps is claimed by another partner");
    expect(held?.action).toMatch(/^Agree with the customer/);
    for (const secret of [contoso.partnerId, contosoClaimId, "Contoso Partner Services"])
      expect(JSON.stringify(items)).not.toContain(secret);
    expect(items.find((i) => i.workload === "exchange")?.reason).toContain(
      "already above 15% active: usage at claim time earns nothing",
    );
    expect(items.find((i) => i.kind === "seats-unknown")?.reason).toBe(
      "TPOR; seats unknown: import its CSP subscriptions (POST /api/v1/csp/imports) or poll its usage",
    );
  });

  it("answers the same items as CSV with Accept: text/csv", async () => {
    const json = await opportunities(fabrikam);
    const response = await app.call(fabrikam.apiKey, "GET", "/api/v1/opportunities", undefined, {
      accept: "text/csv",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="opportunities.csv"');
    const lines = (await response.text()).split("\r\n");
    expect(lines[0]).toBe("customerTenantId,workload,reason,value,currency,action,kind,associationId");
    expect(lines).toHaveLength(json.length + 2); // header, one line per item, and the final CRLF
    expect(lines[1]).toMatch(
      new RegExp(`^${cspCustomer},teams,"?PoE due in 3 days .*,12000,USD,.*,deadline,${draftId}$`),
    );
    expect(lines[3]).toBe(
      `${cspCustomer},sharepoint,"CSP customer (Direct Bill), usage readings; no claim on sharepoint",2000,USD,File a CPOR claim for sharepoint with a signed PoE: POST /api/v1/associations,unclaimed,`,
    );
    expect(lines[8]).toBe(
      `${tporCustomer},,TPOR; seats unknown: import its CSP subscriptions (POST /api/v1/csp/imports) or poll its usage,0,USD,${json[7]?.action ?? ""},seats-unknown,`,
    );
  });

  it("shows another partner none of these rows, only its own customers", async () => {
    expect(await opportunities(northwind)).toEqual([]);
    const csv = await app.call(northwind.apiKey, "GET", "/api/v1/opportunities", undefined, {
      accept: "text/csv",
    });
    expect(await csv.text()).toBe(
      "customerTenantId,workload,reason,value,currency,action,kind,associationId\r\n",
    );
    const own = `4${randomUUID().slice(1)}`;
    await created(northwind, {
      type: "tpor",
      role: "enterprise-direct-advisor",
      customerTenantId: own,
      enrollmentNumber: String(Date.now() + 7).slice(-8),
    });
    expect((await opportunities(northwind)).map((i) => [i.customerTenantId, i.kind])).toEqual([
      [own, "seats-unknown"],
    ]);
    // Contoso sees its claim's customer through the readings: its own Draft (due in 3 days) and Teams.
    expect(
      (await opportunities(contoso)).map((i) => [i.value, i.customerTenantId, i.workload, i.kind]),
    ).toEqual([
      [2300, palCustomer, "m365-apps", "deadline"],
      [2000, palCustomer, "teams", "unclaimed"],
    ]);
  });

  it("refuses query parameters and unauthenticated callers", async () => {
    const filtered = await app.call(fabrikam.apiKey, "GET", "/api/v1/opportunities?workload=teams");
    expect(filtered.status).toBe(400);
    expect(((await filtered.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "",
    ]);
    expect((await fetch(`${app.url}/api/v1/opportunities`)).status).toBe(401);
  });
});
