import { describe, expect, it } from "vitest";
import { poeTemplateOf } from "../../../src/domain/poeTemplate";
import { renderPoeTemplatePdf } from "../../../src/integrations/pdf/poeTemplatePdf";
import { cporRequest, draftAssociation } from "../../support/builders";
import { pdfText } from "../../support/pdfText";

const template = (overrides: Parameters<typeof cporRequest>[0] = {}) =>
  poeTemplateOf({
    association: draftAssociation("fabrikam", { request: cporRequest(overrides) }),
    partnerName: "Fabrikam Consulting",
    maxAgeMonths: 12,
    generatedAt: "2026-12-01T10:00:00.000Z",
  });

describe("poeTemplateOf", () => {
  it("names the subscription when the claim has no workloads", () => {
    const subscriptionId = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
    const t = poeTemplateOf({
      association: draftAssociation("fabrikam", {
        kind: "cpor-osa",
        request: cporRequest({
          engagement: "osa",
          workloads: undefined,
          subscriptionId,
          licensingProgram: "ea",
        }),
      }),
      partnerName: "Fabrikam",
      maxAgeMonths: 12,
      generatedAt: "2026-12-01T10:00:00.000Z",
    });
    const engagement = t.sections.find((s) => s.heading === "Engagement");
    expect(engagement?.rows).toContainEqual(["Subscription", subscriptionId]);
    expect(t.subtitle).toBe("Prepared by Fabrikam on 1 December 2026 for contoso.onmicrosoft.com");
  });

  it("refuses an association that is not a CPOR claim", () => {
    expect(() =>
      poeTemplateOf({
        association: draftAssociation("fabrikam", {
          request: {
            type: "tpor",
            role: "licensing-solution-provider",
            partnerLocationId: "4871234",
            customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
            enrollmentNumber: "12345678",
          },
        }),
        partnerName: "Fabrikam",
        maxAgeMonths: 12,
        generatedAt: "2026-12-01T10:00:00.000Z",
      }),
    ).toThrow(/CPOR/);
  });
});

describe("renderPoeTemplatePdf", () => {
  it("wraps long text onto further pages and shows what the font cannot encode as ?", async () => {
    const long = Array.from(
      { length: 200 },
      (_, i) => `Workshop ${i + 1} delivered to the service desk team.`,
    ).join(" ");
    const { pages, text } = await pdfText(
      await renderPoeTemplatePdf(
        template({
          servicesInScope: long,
          customerContact: { name: "Zoë 李", title: "CIO", email: "zoe@contoso.com" },
        }),
      ),
    );
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain("Workshop 200 delivered");
    expect(text).toContain("Zoë ?");
    expect(text).toContain("Signature");
  });
});
