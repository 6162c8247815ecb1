import { createHash } from "node:crypto";
import { z } from "zod";
import type { Association } from "../domain/association";
import type { AssociationStatus } from "../domain/status";
import { customerActionFor, type CustomerAction } from "../domain/customerActions";
import { escapeHtml } from "../domain/emailText";
import { workloadCatalog, workloadId } from "../domain/workloads";

/**
 * The customer's consent page, as pure functions from data to HTML strings. Every value from
 * storage or the request goes through `escapeHtml`; the page loads nothing from anywhere (one
 * inline style block allowed by its hash in the Content-Security-Policy, no scripts, no images),
 * and its forms post back to the page's own URL.
 */

export type { CustomerAction } from "../domain/customerActions";

/** The POST body, form-encoded or JSON; a blank reason is no reason. */
export const consentActionInput = z
  .object({
    action: z.enum(["refuse", "cancel"]),
    reason: z
      .string()
      .max(4000, "must be at most 4000 characters")
      .optional()
      .transform((r) => r?.trim() || undefined),
  })
  .strict();
export type ConsentActionInput = z.infer<typeof consentActionInput>;

export const statusLabels: Readonly<Record<AssociationStatus, string>> = {
  Draft: "Draft",
  Submitted: "Submitted",
  UnderReview: "Under review",
  PartnerActionRequired: "Partner action required",
  Approved: "Approved",
  Rejected: "Rejected",
  Dispute: "Dispute",
  RejectedFinal: "Rejected (final)",
  Expired: "Expired",
  Requested: "Requested",
  Active: "Active",
  Superseded: "Superseded",
  Withdrawn: "Withdrawn",
  Drifted: "Drifted",
  Removed: "Removed",
  Ended: "Ended",
};

/** What the page shows about a claim: allow-listed fields only (never another party's data). */
export interface ClaimView {
  partnerName: string;
  partnerContact: { name: string; email: string } | undefined;
  claimName: string | undefined;
  customerDomain: string | undefined;
  customerTenantId: string;
  /** Display names of the claimed workloads; empty for a subscription claim. */
  workloads: string[];
  subscriptionId: string | undefined;
  servicesInScope: string | undefined;
  status: AssociationStatus;
  createdAt: string;
  statusChangedAt: string;
  linkExpiresAt: Date | undefined;
}

export function claimView(association: Association, partnerName: string, linkExpiresAt?: Date): ClaimView {
  const fields: Record<string, unknown> = association.request;
  const text = (key: string) => {
    const value = fields[key];
    return typeof value === "string" ? value : undefined;
  };
  const contact = fields["partnerContact"] as { name: string; email: string } | undefined;
  const workloads = fields["workloads"];
  return {
    partnerName,
    partnerContact: contact && { name: contact.name, email: contact.email },
    claimName: text("claimName"),
    customerDomain: text("customerDomain"),
    customerTenantId: association.customerTenantId,
    workloads: Array.isArray(workloads)
      ? workloads.map((id: unknown) => {
          const known = workloadId.safeParse(id);
          return known.success ? workloadCatalog[known.data].name : String(id);
        })
      : [],
    subscriptionId: text("subscriptionId"),
    servicesInScope: text("servicesInScope"),
    status: association.status,
    createdAt: association.createdAt,
    statusChangedAt: association.statusChangedAt,
    linkExpiresAt,
  };
}

const style = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f5f5;color:#1b1b1b}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0002}
h1{font-size:1.5rem;margin-top:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{font-weight:600}dd{margin:0;white-space:pre-wrap}
.notice{padding:.75rem 1rem;border-left:4px solid #0f6cbd;background:#eef5fc}
.warning{border-left-color:#c50f1f;background:#fdf3f4}
form{margin-top:1.5rem}label{display:block;font-weight:600;margin-bottom:.25rem}
textarea{width:100%;box-sizing:border-box;font:inherit}
button{margin-top:.75rem;font:inherit;padding:.5rem 1rem;border:0;border-radius:4px;background:#c50f1f;color:#fff;cursor:pointer}
small{color:#555}
`.trim();

const styleHash = createHash("sha256").update(style, "utf8").digest("base64");

/**
 * Headers for every consent page: nothing loads but the page's own inline style, forms post only
 * to the page itself, it cannot be framed, nothing is cached (the URL holds a bearer token), and
 * the token never leaves in a Referer.
 */
export const consentPageHeaders: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" });

function date(value: string | Date): string {
  const at = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(at.getTime())) return escapeHtml(value);
  return `<time datetime="${escapeHtml(at.toISOString())}">${escapeHtml(dateFormat.format(at))}</time>`;
}

function row(label: string, valueHtml: string | undefined): string {
  return valueHtml === undefined ? "" : `<dt>${escapeHtml(label)}</dt><dd>${valueHtml}</dd>\n`;
}

const statusExplanations: Readonly<Record<AssociationStatus, string>> = {
  Draft: "The partner has not submitted this claim yet.",
  Submitted: "The partner has submitted this claim; it is awaiting review.",
  UnderReview: "This claim is under review. You do not need to do anything to accept it.",
  PartnerActionRequired: "The reviewer has asked the partner for more information.",
  Approved: "This association is approved. You may cancel it at any time.",
  Rejected: "This association was rejected.",
  Dispute: "The partner is disputing a rejection of this claim.",
  RejectedFinal: "This association is closed.",
  Expired: "This claim expired before it was submitted.",
  // Consent links are made for claims only; these keep the page total over every status.
  Requested: "The partner has asked you to set it as partner of record.",
  Active: "This association is active.",
  Superseded: "This association was replaced.",
  Withdrawn: "The partner withdrew this association.",
  Drifted: "This association needs the partner's attention.",
  Removed: "This association was removed.",
  Ended: "This association has ended.",
};

/** The GET page: the claim, and the one form that fits its status (none once it is over). */
export function renderClaimPage(view: ClaimView): string {
  const action = customerActionFor(view.status);
  const contact = view.partnerContact
    ? `${escapeHtml(view.partnerContact.name)} &lt;${escapeHtml(view.partnerContact.email)}&gt;`
    : undefined;
  const details =
    row("Partner", escapeHtml(view.partnerName)) +
    row("Partner contact", contact) +
    row("Claim", view.claimName === undefined ? undefined : escapeHtml(view.claimName)) +
    row("Your organisation", escapeHtml(view.customerDomain ?? view.customerTenantId)) +
    row(
      "Workloads",
      view.workloads.length > 0 ? view.workloads.map((w) => escapeHtml(w)).join(", ") : undefined,
    ) +
    row("Subscription", view.subscriptionId === undefined ? undefined : escapeHtml(view.subscriptionId)) +
    row(
      "Services in scope",
      view.servicesInScope === undefined ? undefined : escapeHtml(view.servicesInScope),
    ) +
    row("Status", escapeHtml(statusLabels[view.status])) +
    row("Claimed on", date(view.createdAt)) +
    row("Status since", date(view.statusChangedAt));
  const expiry = view.linkExpiresAt
    ? `<p><small>This link works until ${date(view.linkExpiresAt)}.</small></p>`
    : "";
  return page(
    `Partner association with ${view.partnerName}`,
    `<h1>Partner association with ${escapeHtml(view.partnerName)}</h1>
<p>${escapeHtml(view.partnerName)} has told Microsoft that it works with your organisation on the services below
and asks to be recognised as your partner of record for them.</p>
<dl>
${details}</dl>
<p class="notice">${escapeHtml(statusExplanations[view.status])}</p>
${action ? actionForm(action) : ""}${expiry}`,
  );
}

function actionForm(action: CustomerAction): string {
  const [intro, button] =
    action === "refuse"
      ? [
          "If this partner does not work with you on these services, you can refuse the association.",
          "Refuse this association",
        ]
      : [
          "If you no longer want this partner recognised for these services, you can cancel the association.",
          "Cancel this association",
        ];
  return `<form method="post">
<p>${escapeHtml(intro)}</p>
<input type="hidden" name="action" value="${action}">
<label for="reason">Reason (optional)</label>
<textarea id="reason" name="reason" rows="4" maxlength="4000"></textarea>
<button type="submit">${escapeHtml(button)}</button>
</form>
`;
}

/** What the POST did. */
export type ActionOutcome =
  /** The decision went to the workflow now; `requested` differs from `action` when it was mapped. */
  | { kind: "recorded"; action: CustomerAction; requested: CustomerAction }
  /** The same decision was already on record: nothing more happened. */
  | { kind: "already-recorded"; action: CustomerAction }
  /** The association is already rejected or over: nothing more happened. */
  | { kind: "closed"; status: AssociationStatus };

const pastTense: Readonly<Record<CustomerAction, string>> = { refuse: "refusal", cancel: "cancellation" };

export function renderResultPage(partnerName: string, outcome: ActionOutcome): string {
  switch (outcome.kind) {
    case "recorded": {
      const mapped =
        outcome.requested === outcome.action
          ? ""
          : `<p class="notice">You asked to ${escapeHtml(outcome.requested)}, but ${
              outcome.action === "refuse"
                ? "the association has not been approved yet, so we recorded a refusal"
                : "the association is already approved, so we recorded a cancellation"
            }: it has the same effect.</p>\n`;
      return page(
        "Your decision is recorded",
        `<h1>Your ${pastTense[outcome.action]} is recorded</h1>
${mapped}<p>Your ${pastTense[outcome.action]} of the association with ${escapeHtml(partnerName)} has been recorded.
The partner will be told; you do not need to do anything else.</p>`,
      );
    }
    case "already-recorded":
      return page(
        "Already recorded",
        `<h1>Already recorded</h1>
<p>Your ${pastTense[outcome.action]} of the association with ${escapeHtml(partnerName)} was already recorded.
Nothing more has changed.</p>`,
      );
    case "closed":
      return page(
        "Already recorded",
        `<h1>Already recorded</h1>
<p>The association with ${escapeHtml(partnerName)} is already ${escapeHtml(
          statusLabels[outcome.status].toLowerCase(),
        )}. Nothing more has changed.</p>`,
      );
  }
}

export type ErrorPageKind =
  | "bad-request"
  | "invalid-link"
  | "not-found"
  | "expired"
  | "too-large"
  | "unsupported-media-type"
  | "not-configured"
  | "unavailable";

const errorPages: Readonly<Record<ErrorPageKind, { status: number; title: string; text: string }>> = {
  "bad-request": {
    status: 400,
    title: "We could not read your request",
    text: "The form was incomplete or not as expected. Please go back to the link in your email and try again.",
  },
  "invalid-link": {
    status: 401,
    title: "This link is not valid",
    text: "The link may have been cut short or changed. Please open it again from the email you received.",
  },
  "not-found": {
    status: 404,
    title: "Association not found",
    text: "We could not find the partner association this link refers to.",
  },
  expired: {
    status: 410,
    title: "This link has expired",
    text: "For your security, links in our emails stop working after a while. Please contact the partner or Microsoft support if you still want to refuse or cancel this association.",
  },
  "too-large": {
    status: 413,
    title: "Your request is too large",
    text: "Please shorten the reason and try again.",
  },
  "unsupported-media-type": {
    status: 415,
    title: "We could not read your request",
    text: "Please submit the form on the page from the link in your email.",
  },
  "not-configured": {
    status: 503,
    title: "Consent links are not available",
    text: "Consent links are not configured on this service yet. Please try again later.",
  },
  unavailable: {
    status: 503,
    title: "Please try again later",
    text: "We could not complete your request just now. Please try again in a few minutes: sending it again is safe.",
  },
};

export function errorPage(kind: ErrorPageKind, detail?: string): { status: number; html: string } {
  const { status, title, text } = errorPages[kind];
  const extra = detail ? `<p><small>${escapeHtml(detail)}</small></p>\n` : "";
  return { status, html: page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>\n${extra}`) };
}
