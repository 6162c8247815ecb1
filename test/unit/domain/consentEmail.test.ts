import { describe, expect, it } from "vitest";
import { renderConsentEmail, type ConsentEmailInput } from "../../../src/domain/consentEmail";
import { ValidationError } from "../../../src/domain/errors";
import { cporRequest, draftAssociation } from "../../support/builders";

const consentUrl = "https://por.example.com/api/consent/eyJhIjoiMSJ9.c2ln?x=1&y=2";

const input = (overrides: Partial<ConsentEmailInput> = {}): ConsentEmailInput => ({
  association: draftAssociation("partner-a"),
  partnerName: "Fabrikam Consulting",
  consentUrl,
  submittedAt: "2026-11-01T10:00:00.000Z",
  refusalWindowEndsAt: "2026-11-15T10:30:00.000Z",
  ...overrides,
});

const hostile = draftAssociation("partner-a", {
  request: cporRequest({
    servicesInScope: 'Rollout <script>alert("x")</script> & training\nsecond line',
    customerContact: { name: "Megan <b>Bowen</b>", title: "IT & Ops", email: "megan@contoso.com" },
    claimName: 'Contoso\'s "modern" work',
  }),
});

describe("renderConsentEmail", () => {
  it("has a subject, a text part and an HTML part", () => {
    const email = renderConsentEmail(input());
    expect(email.subject).toBe(
      "Fabrikam Consulting registered as your Microsoft partner of record for contoso.onmicrosoft.com",
    );
    expect(email.text).toContain("Hello Megan Bowen,");
    expect(email.html).toMatch(/^<!doctype html>[\s\S]*<p>Hello Megan Bowen,<\/p>[\s\S]*<\/html>\n$/);
  });

  it("names the workloads, the services, the tenant and the dates in both parts", () => {
    const email = renderConsentEmail(input());
    for (const part of [email.text, email.html]) {
      expect(part).toContain("Microsoft Teams, Exchange Online");
      expect(part).toContain("Teams rollout, adoption workshops and Exchange migration.");
      expect(part).toContain("0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e");
      expect(part).toContain("1 November 2026");
      expect(part).toContain("15 November 2026, 10:30 UTC");
      expect(part).toContain("Alex Wilber");
    }
  });

  it("names the subscription of a subscription claim", () => {
    const subscriptionId = "7d0e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
    const association = draftAssociation("partner-a", {
      kind: "cpor-osa",
      units: [`osa-subscription:${subscriptionId}`],
      request: cporRequest({
        engagement: "osa",
        workloads: undefined,
        subscriptionId,
        licensingProgram: "ea",
      }),
    });
    const email = renderConsentEmail(input({ association }));
    expect(email.text).toContain(`Subscription: ${subscriptionId}`);
    expect(email.text).not.toContain("Workloads:");
  });

  it("tells the customer they need do nothing, may refuse, and may cancel later", () => {
    const { text, html } = renderConsentEmail(input());
    for (const part of [text, html]) {
      expect(part).toContain("You need do nothing to accept");
      expect(part).toMatch(/you may refuse it until 15 November 2026/);
      expect(part).toContain("cancel the association at any time later");
    }
  });

  it("includes the consent link, saying that opening it only shows the claim", () => {
    const { text, html } = renderConsentEmail(input());
    expect(text).toContain(
      `opening this link only shows it; nothing changes until you press a button there):\n${consentUrl}\n`,
    );
    const anchor = html.match(/<a href="([^"]+)">([^<]+)<\/a>/);
    expect(anchor?.[1]).toBe(consentUrl.replace(/&/g, "&amp;"));
    expect(anchor?.[2]).toContain("opening this link only shows it");
  });

  it("escapes every user-supplied string in the HTML part", () => {
    const { html, text, subject } = renderConsentEmail(
      input({ association: hostile, partnerName: 'Evil <img src=x onerror="alert(1)"> & Co' }),
    );
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>Bowen</b>");
    expect(html).not.toContain("<img");
    expect(html).toContain(
      "Rollout &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; training<br>\nsecond line",
    );
    expect(html).toContain("Hello Megan &lt;b&gt;Bowen&lt;/b&gt;,");
    expect(html).toContain("Contoso&#39;s &quot;modern&quot; work");
    expect(html).toContain("Evil &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co");
    // The text part is plain text: shown as written.
    expect(text).toContain('Rollout <script>alert("x")</script> & training');
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it("keeps line breaks in names out of the subject", () => {
    expect(renderConsentEmail(input({ partnerName: "Fabrikam\r\nBcc: x@example.com" })).subject).toMatch(
      /^Fabrikam Bcc: x@example.com registered/,
    );
  });

  it("says the window closes without a date when none is given", () => {
    const { text } = renderConsentEmail(input({ refusalWindowEndsAt: undefined }));
    expect(text).toContain("approved when the refusal window closes");
  });

  it.each([
    ["a link that is not http(s)", input({ consentUrl: "javascript:alert(1)" }), "consentUrl"],
    [
      "a non-CPOR association",
      input({
        association: draftAssociation("partner-a", {
          kind: "pal",
          units: [],
          request: {
            type: "pal",
            partnerLocationId: "4871234",
            customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
            credential: { kind: "user", objectId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2f" },
          },
        }),
      }),
      "association.request.type",
    ],
    ["a bad date", input({ submittedAt: "yesterday" }), "submittedAt"],
  ])("refuses %s", (_case, bad, path) => {
    expect(() => renderConsentEmail(bad)).toThrow(ValidationError);
    try {
      renderConsentEmail(bad);
    } catch (err) {
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual([path]);
    }
  });
});
