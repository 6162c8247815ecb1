import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";
import { pdfText } from "../../support/pdfText";

/** The proof-of-execution template as a partner downloads it, parsed back from the PDF. */
describe("GET /api/v1/associations/{id}/poe-template", () => {
  let app: AppUnderTest;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let other: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp({ POE_MAX_AGE_MONTHS: "12" });
    partner = await app.partner("Fabrikam Consulting");
    other = await app.partner("Northwind Traders");
  });

  afterAll(() => app?.host.stop());

  it("fills Microsoft's structure from the claim: customer, partner, workloads, services, acknowledgment, validity", async () => {
    const tenant = randomUUID();
    const services = "Teams rollout for 400 users, adoption workshops and the Exchange Online migration.";
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({
        partnerLocationId: partner.locationId,
        customerTenantId: tenant,
        servicesInScope: services,
        customerContact: { name: "Megan Bowen", title: "IT Director", email: "megan@contoso.com" },
      }),
    );
    const { id } = (await created.json()) as { id: string };
    const response = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}/poe-template`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="proof-of-execution-contoso\.onmicrosoft\.com\.pdf"$/,
    );
    const bytes = await response.arrayBuffer();
    expect(Buffer.from(bytes).subarray(0, 5).toString()).toBe("%PDF-");
    const { text } = await pdfText(new Uint8Array(bytes));
    for (const expected of [
      "Claiming Partner of Record (CPOR): proof of execution",
      "contoso.onmicrosoft.com",
      tenant,
      "Fabrikam Consulting",
      partner.locationId,
      "Microsoft Teams, Exchange Online",
      services,
      "Customer acknowledgment",
      "Megan Bowen",
      "IT Director",
      "Signature",
      "Date",
      "12 months",
    ])
      expect(text).toContain(expected);
  });

  it("is for the partner's CPOR claims only: another partner's is a 404, a DPOR a 409", async () => {
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() }),
    );
    const { id } = (await created.json()) as { id: string };
    expect((await app.call(other.apiKey, "GET", `/api/v1/associations/${id}/poe-template`)).status).toBe(404);
    const dpor = await app.call(partner.apiKey, "POST", "/api/v1/associations", {
      type: "dpor",
      partnerLocationId: partner.locationId,
      customerTenantId: randomUUID(),
      customerDomain: "contoso.onmicrosoft.com",
      subscriptionId: randomUUID(),
      customerContact: { name: "Megan Bowen", title: "CIO", email: "megan@contoso.com" },
      partnerContact: { name: "Alex Wilber", email: "alex@fabrikam.com" },
    });
    const { id: dporId } = (await dpor.json()) as { id: string };
    expect(
      (await app.call(partner.apiKey, "GET", `/api/v1/associations/${dporId}/poe-template`)).status,
    ).toBe(409);
  });
});
