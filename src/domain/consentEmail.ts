import type { Association } from "./association";
import { associationTypes } from "./associationTypes";
import { ValidationError } from "./errors";
import {
  emailDocument,
  escapeHtml,
  formatDate,
  formatDateTime,
  instant,
  multiline,
  oneLine,
  whyReceived,
} from "./emailText";
import { workloadCatalog } from "./workloads";

/**
 * The consent email a customer receives when a partner claims to be its partner of record (CPOR).
 * domain.md: the customer does nothing to accept, may refuse, and may cancel the association at any
 * time afterwards. Pure: the same facts render the same message, every user-supplied string is
 * HTML-escaped in the HTML part, and the link is the caller's (a signed, expiring consent link).
 */
export interface ConsentEmailInput {
  association: Association;
  /** The partner organisation's display name (the partners table, not the request). */
  partnerName: string;
  /** The consent page: GET shows the claim, POST refuses or cancels it. http(s) only. */
  consentUrl: string;
  /** When the partner submitted the proof of execution (ISO 8601 UTC). */
  submittedAt: string;
  /**
   * The earliest moment the refusal window may close (ISO 8601 UTC), when known: the customer is
   * told they can refuse until then (the window actually closes a little later, never earlier).
   */
  refusalWindowEndsAt?: string | undefined;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function renderConsentEmail(input: ConsentEmailInput): RenderedEmail {
  const facts = factsOf(input);
  return { subject: subjectOf(facts), text: textOf(facts), html: htmlOf(facts) };
}

/** Everything the message says, as plain strings (escaped only when written into HTML). */
interface Facts {
  partnerName: string;
  partnerContact: { name: string; email: string };
  customerName: string;
  customerDomain: string;
  customerTenantId: string;
  claimName: string | undefined;
  associationType: string;
  /** "Workloads" or "Subscription", and what it lists. */
  scope: { label: string; value: string };
  servicesInScope: string;
  submittedOn: string;
  refuseUntil: string | undefined;
  consentUrl: string;
}

function factsOf(input: ConsentEmailInput): Facts {
  const { association } = input;
  const request = association.request;
  if (request.type !== "cpor")
    throw new ValidationError([
      {
        path: "association.request.type",
        message: `consent emails are for CPOR associations, not ${request.type}`,
      },
    ]);
  if (!/^https?:\/\//i.test(input.consentUrl))
    throw new ValidationError([{ path: "consentUrl", message: "must be an http(s) URL" }]);
  const workloads = (request.workloads ?? []).map((id) => workloadCatalog[id].name);
  const scope =
    workloads.length > 0
      ? { label: workloads.length === 1 ? "Workload" : "Workloads", value: workloads.join(", ") }
      : { label: "Subscription", value: request.subscriptionId ?? "(not given)" };
  return {
    partnerName: oneLine(input.partnerName),
    partnerContact: { name: oneLine(request.partnerContact.name), email: request.partnerContact.email },
    customerName: oneLine(request.customerContact.name),
    customerDomain: request.customerDomain,
    customerTenantId: association.customerTenantId,
    claimName: request.claimName === undefined ? undefined : oneLine(request.claimName),
    associationType: associationTypes[association.kind].name,
    scope,
    servicesInScope: request.servicesInScope.trim(),
    submittedOn: formatDate(instant(input.submittedAt, "submittedAt")),
    refuseUntil:
      input.refusalWindowEndsAt === undefined
        ? undefined
        : formatDateTime(instant(input.refusalWindowEndsAt, "refusalWindowEndsAt")),
    consentUrl: input.consentUrl,
  };
}

function subjectOf(f: Facts): string {
  return `${f.partnerName} registered as your Microsoft partner of record for ${f.customerDomain}`;
}

/** Mail scanners open links too: the consent page's GET only shows the claim, and the text says so. */
const linkText =
  "Review the claim (opening this link only shows it; nothing changes until you press a button there)";

function nextSteps(f: Facts): string[] {
  return [
    `You need do nothing to accept. If you agree, ignore this email: the association is approved ${
      f.refuseUntil ? `after ${f.refuseUntil}` : "when the refusal window closes"
    }.`,
    `If you do not agree, you may refuse it${f.refuseUntil ? ` until ${f.refuseUntil}` : ""}: open the link below and press "Refuse this association".`,
    "You may also cancel the association at any time later, from the same link.",
  ];
}

function details(f: Facts): [label: string, value: string][] {
  return [
    ...(f.claimName ? [["Claim", f.claimName] as [string, string]] : []),
    ["Association", f.associationType],
    [f.scope.label, f.scope.value],
    ["Services delivered", f.servicesInScope],
    ["Submitted on", f.submittedOn],
    ["Partner contact", `${f.partnerContact.name} <${f.partnerContact.email}>`],
  ];
}

function introOf(f: Facts): string {
  return (
    `${f.partnerName} has registered with Microsoft as the partner of record for your organisation ` +
    `${f.customerDomain} (tenant ${f.customerTenantId}). Microsoft calls this a Claiming Partner of Record ` +
    `(CPOR) association: it records that ${f.partnerName} helped you deploy and use the products below.`
  );
}

function textOf(f: Facts): string {
  const lines = [
    `Hello ${f.customerName},`,
    "",
    introOf(f),
    "",
    ...details(f).map(([label, value]) => `${label}: ${value.replace(/\n/g, "\n  ")}`),
    "",
    "What happens next",
    ...nextSteps(f).map((step) => `- ${step}`),
    "",
    `${linkText}:`,
    f.consentUrl,
    "",
    whyReceived(f.partnerName, f.customerDomain),
  ];
  return `${lines.join("\n")}\n`;
}

function htmlOf(f: Facts): string {
  const rows = details(f)
    .map(
      ([label, value]) =>
        `<tr><th align="left" valign="top" style="padding:4px 12px 4px 0">${escapeHtml(label)}</th>` +
        `<td style="padding:4px 0">${multiline(value)}</td></tr>`,
    )
    .join("\n");
  const steps = nextSteps(f)
    .map((step) => `<li>${escapeHtml(step)}</li>`)
    .join("\n");
  const href = escapeHtml(f.consentUrl);
  return emailDocument(
    subjectOf(f),
    [
      `<p>Hello ${escapeHtml(f.customerName)},</p>`,
      `<p>${escapeHtml(introOf(f))}</p>`,
      `<table role="presentation">\n${rows}\n</table>`,
      '<h2 style="font-size:1.1em">What happens next</h2>',
      `<ul>\n${steps}\n</ul>`,
      `<p><a href="${href}">${escapeHtml(linkText)}</a></p>`,
      `<p style="font-size:0.9em">If the link does not open, copy this address into your browser: ${href}</p>`,
    ],
    whyReceived(f.partnerName, f.customerDomain),
  );
}
