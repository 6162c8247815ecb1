import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * Each type's rules at the API, for what partners record by hand: cardinality (one per partner and
 * thing, several partners where Microsoft allows it), who may end what and how, and that only
 * claims are submitted.
 */
describe("association types at the API", () => {
  let app: AppUnderTest;
  let fabrikam: Partner;
  let northwind: Partner;

  type Partner = Awaited<ReturnType<AppUnderTest["partner"]>>;
  interface View {
    id: string;
    status: string;
    type: string;
  }

  beforeAll(async () => {
    app = await startApp();
    fabrikam = await app.partner("Fabrikam Consulting");
    northwind = await app.partner("Northwind Traders");
  });

  afterAll(() => app?.host.stop());

  const create = (partner: Partner, body: Record<string, unknown>) =>
    app.call(partner.apiKey, "POST", "/api/v1/associations", {
      partnerLocationId: partner.locationId,
      ...body,
    });

  async function created(partner: Partner, body: Record<string, unknown>): Promise<View> {
    const response = await create(partner, body);
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as View;
  }

  const act = (partner: Partner, id: string, action: string, body: unknown = {}) =>
    app.call(partner.apiKey, "POST", `/api/v1/associations/${id}/${action}`, body);

  const csp = (customerTenantId: string) => ({
    type: "csp",
    model: "direct-bill",
    customerTenantId,
    customerDomain: "contoso.onmicrosoft.com",
  });

  it("keeps one CSP relationship per partner and customer, lets several partners have theirs, and ends one on withdrawal", async () => {
    const customer = randomUUID();
    const ours = await created(fabrikam, csp(customer));
    expect(ours.status).toBe("Active");
    const again = await create(fabrikam, csp(customer));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ existingAssociationId: ours.id });
    expect((await created(northwind, csp(customer))).status).toBe("Active");
    const ended = await act(fabrikam, ours.id, "withdraw", {
      reason: "the customer moved to another reseller",
    });
    expect(ended.status).toBe(200);
    expect(((await ended.json()) as View).status).toBe("Ended");
  });

  it("records a TPOR once per enrollment: another partner's record for it is a 409 without naming the holder", async () => {
    const enrollmentNumber = String(Date.now()).slice(-8);
    const customerTenantId = randomUUID();
    const body = { type: "tpor", role: "licensing-solution-provider", customerTenantId, enrollmentNumber };
    const ours = await created(fabrikam, body);
    expect(ours.status).toBe("Active");
    const theirs = await create(northwind, body);
    expect(theirs.status).toBe(409);
    const problem = JSON.stringify(await theirs.json());
    expect(problem).not.toContain(ours.id);
    expect(problem).not.toContain("Fabrikam");
    const withdrawn = await act(fabrikam, ours.id, "withdraw", {
      reason: "recorded on the wrong enrollment",
    });
    expect(((await withdrawn.json()) as View).status).toBe("Withdrawn");
    expect((await create(northwind, body)).status).toBe(201);
  });

  it("records a PAL by hand once per credential, and removes it with DELETE, not withdraw", async () => {
    const body = {
      type: "pal",
      customerTenantId: randomUUID(),
      credential: { kind: "service-principal", objectId: randomUUID(), displayName: "fabrikam-automation" },
    };
    const recorded = await created(fabrikam, body);
    expect(recorded.status).toBe("Active");
    expect((await create(fabrikam, body)).status).toBe(409);
    const withdraw = await act(fabrikam, recorded.id, "withdraw", { reason: "no longer used" });
    expect(withdraw.status).toBe(409);
    expect(((await withdraw.json()) as { detail: string }).detail).toContain(
      `DELETE /api/v1/pal-links/${recorded.id}`,
    );
    const verify = await app.call(fabrikam.apiKey, "POST", `/api/v1/pal-links/${recorded.id}/verify`, {});
    expect(verify.status).toBe(409);
    const removed = await app.call(fabrikam.apiKey, "DELETE", `/api/v1/pal-links/${recorded.id}`);
    expect(removed.status).toBe(200);
    expect(((await removed.json()) as View).status).toBe("Removed");
    expect((await create(fabrikam, body)).status).toBe(201);
  });

  it("submits, disputes and reviews only claims", async () => {
    const tpor = await created(fabrikam, {
      type: "tpor",
      role: "enterprise-direct-advisor",
      customerTenantId: randomUUID(),
      enrollmentNumber: String(Date.now() + 1).slice(-8),
    });
    expect((await act(fabrikam, tpor.id, "submit")).status).toBe(409);
    expect((await act(fabrikam, tpor.id, "dispute", { reason: "not a claim" })).status).toBe(409);
    expect((await act(fabrikam, tpor.id, "review", { outcome: "approved" })).status).toBe(409);
  });

  it("answers 404 for another partner's association on every action", async () => {
    const ours = await created(fabrikam, csp(randomUUID()));
    for (const action of ["withdraw", "confirm", "submit"]) {
      const body =
        action === "withdraw"
          ? { reason: "not ours" }
          : action === "confirm"
            ? { evidence: { kind: "screenshot" } }
            : {};
      expect((await act(northwind, ours.id, action, body)).status, action).toBe(404);
    }
    expect((await app.call(northwind.apiKey, "GET", `/api/v1/associations/${ours.id}`)).status).toBe(404);
  });
});
