import { describe, expect, it } from "vitest";
import type { CreateAssociationInput } from "../../../src/domain/schemas/createAssociation";
import { renderDporEmail } from "../../../src/domain/dporEmail";
import { draftAssociation } from "../../support/builders";

const subscriptionId = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const dporRequest: CreateAssociationInput = {
  type: "dpor",
  partnerLocationId: "4871234",
  customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
  customerDomain: "contoso.onmicrosoft.com",
  subscriptionId,
  customerContact: { name: "Megan <b>Bowen</b>", title: "CIO", email: "megan@contoso.com" },
  partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
};
const association = draftAssociation("fabrikam", { kind: "dpor", status: "Requested", request: dporRequest });
const render = (reminder: number) =>
  renderDporEmail({ association, partnerName: "Fabrikam", reminder, expiresAt: "2026-12-01T10:00:00.000Z" });

describe("renderDporEmail", () => {
  it("gives the account owner the exact portal steps with the subscription and the partner ID", () => {
    const { subject, text } = render(0);
    expect(subject).toBe(
      `Please set Fabrikam as partner of record on your Azure subscription ${subscriptionId}`,
    );
    expect(text).toContain(`select the subscription ${subscriptionId}`);
    expect(text).toContain('"Partner information"');
    expect(text).toContain("Enter the partner ID 4871234 (Fabrikam)");
    expect(text).toMatch(/Only the account owner can do this/);
    expect(text).toContain("1 December 2026, 10:00 UTC");
  });

  it("says Reminder in a reminder's subject", () => {
    expect(render(2).subject).toMatch(/^Reminder: Please set Fabrikam/);
  });

  it("escapes what the partner typed in the HTML part", () => {
    const { html } = render(0);
    expect(html).toContain("Megan &lt;b&gt;Bowen&lt;/b&gt;");
    expect(html).not.toContain("<b>Bowen</b>");
  });

  it("refuses an association that is not a DPOR request", () => {
    expect(() =>
      renderDporEmail({
        association: draftAssociation("fabrikam"),
        partnerName: "F",
        reminder: 0,
        expiresAt: "2026-12-01T10:00:00.000Z",
      }),
    ).toThrow(/DPOR/);
  });
});
