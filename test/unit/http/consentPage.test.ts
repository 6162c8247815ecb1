import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { customerActionFor, resolveCustomerAction } from "../../../src/domain/customerActions";
import { escapeHtml } from "../../../src/domain/emailText";
import type { AssociationStatus } from "../../../src/domain/status";
import {
  claimView,
  consentActionInput,
  consentPageHeaders,
  errorPage,
  renderClaimPage,
  renderResultPage,
} from "../../../src/http/consentPage";
import { cporRequest, draftAssociation } from "../../support/builders";

const view = (status: AssociationStatus, overrides: Parameters<typeof cporRequest>[0] = {}) =>
  claimView(
    draftAssociation("fabrikam", { status, request: cporRequest(overrides) }),
    "Fabrikam",
    new Date("2027-01-01T00:00:00Z"),
  );

const forms = (html: string) => html.match(/<form\b/g)?.length ?? 0;

describe("escapeHtml", () => {
  it("escapes every character that can open markup or close an attribute", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;",
    );
  });
});

describe("renderClaimPage", () => {
  it("shows the claim: partner, workloads by name, services, status and dates", () => {
    const html = renderClaimPage(view("UnderReview"));
    expect(html).toContain("Partner association with Fabrikam");
    expect(html).toContain("Microsoft Teams, Exchange Online");
    expect(html).toContain("Teams rollout, adoption workshops and Exchange migration.");
    expect(html).toContain("Under review");
    expect(html).toContain('<time datetime="2026-11-01T10:00:00.000Z">1 November 2026</time>');
    expect(html).toContain("contoso.onmicrosoft.com");
    expect(html).not.toMatch(/<script|<img|<link|https?:\/\//);
  });

  it("shows the subscription of a subscription claim", () => {
    const html = renderClaimPage(
      view("UnderReview", {
        workloads: undefined,
        subscriptionId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        licensingProgram: "ea",
      }),
    );
    expect(html).toContain("<dt>Subscription</dt><dd>9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d</dd>");
    expect(html).not.toContain("<dt>Workloads</dt>");
  });

  it("escapes everything that comes from the partner's request", () => {
    const hostile = `<script>alert("x")</script>`;
    const html = renderClaimPage(
      claimView(
        draftAssociation("fabrikam", {
          status: "UnderReview",
          request: cporRequest({
            claimName: hostile,
            servicesInScope: `${hostile} & more`,
            partnerContact: { name: `"><img src=x onerror=alert(1)>`, email: "alex@fabrikam-partner.com" },
          }),
        }),
        `Fabrikam <b>Evil</b>`,
      ),
    );
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>Evil</b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(html).toContain("<title>Partner association with Fabrikam &lt;b&gt;Evil&lt;/b&gt;</title>");
  });

  it.each<AssociationStatus>(["Submitted", "UnderReview", "PartnerActionRequired"])(
    "offers the Refuse form while the claim is not yet approved (%s)",
    (status) => {
      const html = renderClaimPage(view(status));
      expect(forms(html)).toBe(1);
      expect(html).toContain('<form method="post">');
      expect(html).toContain('<input type="hidden" name="action" value="refuse">');
      expect(html).toContain('name="reason"');
      expect(html).toContain("Refuse this association");
      expect(html).not.toContain('value="cancel"');
    },
  );

  it("offers the Cancel form once approved", () => {
    const html = renderClaimPage(view("Approved"));
    expect(forms(html)).toBe(1);
    expect(html).toContain('<input type="hidden" name="action" value="cancel">');
    expect(html).toContain("Cancel this association");
    expect(html).not.toContain('value="refuse"');
  });

  it.each<AssociationStatus>(["Rejected", "RejectedFinal", "Expired"])(
    "shows no form once the association is rejected or over (%s)",
    (status) => {
      expect(forms(renderClaimPage(view(status)))).toBe(0);
    },
  );
});

describe("customer actions", () => {
  it("maps a mismatched request to the action that fits the status", () => {
    expect(resolveCustomerAction("cancel", "UnderReview")).toEqual({ action: "refuse", mapped: true });
    expect(resolveCustomerAction("refuse", "Approved")).toEqual({ action: "cancel", mapped: true });
    expect(resolveCustomerAction("refuse", "Submitted")).toEqual({ action: "refuse", mapped: false });
    expect(resolveCustomerAction("cancel", "RejectedFinal")).toBeUndefined();
    expect(customerActionFor("Expired")).toBeUndefined();
  });

  it("reads the POST body strictly, a blank reason as none", () => {
    expect(consentActionInput.parse({ action: "refuse", reason: "  " })).toEqual({
      action: "refuse",
      reason: undefined,
    });
    expect(consentActionInput.safeParse({ action: "approve" }).success).toBe(false);
    expect(consentActionInput.safeParse({ action: "refuse", extra: 1 }).success).toBe(false);
    expect(consentActionInput.safeParse({ action: "cancel", reason: "x".repeat(4001) }).success).toBe(false);
  });
});

describe("result and error pages", () => {
  it("says when a mismatched action was read as the one that fits", () => {
    const html = renderResultPage("Fabrikam", { kind: "recorded", action: "refuse", requested: "cancel" });
    expect(html).toContain("Your refusal is recorded");
    expect(html).toContain("You asked to cancel, but the association has not been approved yet");
    expect(
      renderResultPage("Fabrikam", { kind: "recorded", action: "cancel", requested: "cancel" }),
    ).not.toContain("You asked to");
  });

  it("answers a repeated decision with the already-recorded page", () => {
    expect(renderResultPage("Fabrikam", { kind: "already-recorded", action: "refuse" })).toContain(
      "Already recorded",
    );
    expect(renderResultPage("Fabrikam", { kind: "closed", status: "RejectedFinal" })).toContain(
      "is already rejected (final)",
    );
  });

  it.each([
    ["bad-request", 400],
    ["invalid-link", 401],
    ["not-found", 404],
    ["expired", 410],
    ["not-configured", 503],
  ] as const)("renders the %s page with status %i", (kind, status) => {
    const page = errorPage(kind, "<detail>");
    expect(page.status).toBe(status);
    expect(page.html).toContain("&lt;detail&gt;");
    expect(forms(page.html)).toBe(0);
  });
});

describe("consentPageHeaders", () => {
  it("allows nothing but the page's own style, and never caches or leaks the URL", () => {
    const csp = consentPageHeaders["content-security-policy"] ?? "";
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
    expect(consentPageHeaders["cache-control"]).toBe("no-store");
    expect(consentPageHeaders["referrer-policy"]).toBe("no-referrer");
  });

  it("lists the hash of the inline style block the pages carry", () => {
    const html = renderClaimPage(view("UnderReview"));
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    const hash = createHash("sha256").update(style, "utf8").digest("base64");
    expect(consentPageHeaders["content-security-policy"]).toContain(`style-src 'sha256-${hash}'`);
  });
});
