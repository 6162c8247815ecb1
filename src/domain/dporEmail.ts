import type { Association } from "./association";
import type { RenderedEmail } from "./consentEmail";
import { emailDocument, escapeHtml, formatDateTime, instant, oneLine, whyReceived } from "./emailText";
import { ValidationError } from "./errors";

/**
 * The email asking a customer to set the partner as Digital Partner of Record on one subscription,
 * and its reminders. domain.md: only the subscription's account owner can set it (not service
 * admins, co-admins or delegated-admin partners), in the Azure portal (subscription → Partner
 * information); one partner per subscription. Pure: the same facts render the same message; every
 * user-supplied string is escaped in the HTML part.
 */
export interface DporEmailInput {
  association: Association;
  /** The partner organisation's display name (the partners table). */
  partnerName: string;
  /** 0 for the request; n for the n-th reminder. */
  reminder: number;
  /** When the request lapses (ISO 8601 UTC): after it the partner stops asking. */
  expiresAt: string;
}

interface Facts {
  partnerName: string;
  partnerId: string;
  partnerContact: { name: string; email: string };
  customerName: string;
  customerDomain: string;
  subscriptionId: string;
  reminder: number;
  expiresOn: string;
}

export function renderDporEmail(input: DporEmailInput): RenderedEmail {
  const facts = factsOf(input);
  return { subject: subjectOf(facts), text: textOf(facts), html: htmlOf(facts) };
}

function factsOf(input: DporEmailInput): Facts {
  const request = input.association.request;
  if (request.type !== "dpor")
    throw new ValidationError([
      { path: "association.request.type", message: `DPOR emails are for DPOR requests, not ${request.type}` },
    ]);
  return {
    partnerName: oneLine(input.partnerName),
    partnerId: request.partnerLocationId,
    partnerContact: { name: oneLine(request.partnerContact.name), email: request.partnerContact.email },
    customerName: oneLine(request.customerContact.name),
    customerDomain: request.customerDomain,
    subscriptionId: request.subscriptionId,
    reminder: input.reminder,
    expiresOn: formatDateTime(instant(input.expiresAt, "expiresAt")),
  };
}

function subjectOf(f: Facts): string {
  const ask = `Please set ${f.partnerName} as partner of record on your Azure subscription ${f.subscriptionId}`;
  return f.reminder > 0 ? `Reminder: ${ask}` : ask;
}

function introOf(f: Facts): string {
  return (
    `${f.partnerName} asks you to record it as the Digital Partner of Record (DPOR) of your Azure ` +
    `subscription ${f.subscriptionId} (${f.customerDomain}). This tells Microsoft which partner helps you ` +
    "with it. Microsoft lets only the customer set it: the partner cannot do it for you."
  );
}

/** The steps in the Azure portal, exactly as the customer follows them. */
function stepsOf(f: Facts): string[] {
  return [
    "Sign in to the Azure portal (https://portal.azure.com) as the subscription's account owner. " +
      "Only the account owner can do this: service administrators, co-administrators and partners " +
      "with delegated access cannot.",
    `Open Subscriptions and select the subscription ${f.subscriptionId}.`,
    'Under Settings, select "Partner information".',
    `Enter the partner ID ${f.partnerId} (${f.partnerName}) and select Save.`,
  ];
}

function notesOf(f: Facts): string[] {
  return [
    "A subscription has one partner of record. You may change or remove it at any time, the same way.",
    "Each new subscription needs it set again: it is not copied from other subscriptions.",
    `${f.partnerName} will stop asking after ${f.expiresOn}. Questions: ${f.partnerContact.name} <${f.partnerContact.email}>.`,
  ];
}

function textOf(f: Facts): string {
  const lines = [
    `Hello ${f.customerName},`,
    "",
    introOf(f),
    "",
    "How to set it",
    ...stepsOf(f).map((step, i) => `${i + 1}. ${step}`),
    "",
    ...notesOf(f),
    "",
    whyReceived(f.partnerName, f.customerDomain),
  ];
  return `${lines.join("\n")}\n`;
}

function htmlOf(f: Facts): string {
  const list = (items: string[]) => items.map((item) => `<li>${escapeHtml(item)}</li>`).join("\n");
  return emailDocument(
    subjectOf(f),
    [
      `<p>Hello ${escapeHtml(f.customerName)},</p>`,
      `<p>${escapeHtml(introOf(f))}</p>`,
      '<h2 style="font-size:1.1em">How to set it</h2>',
      `<ol>\n${list(stepsOf(f))}\n</ol>`,
      `<ul>\n${list(notesOf(f))}\n</ul>`,
    ],
    whyReceived(f.partnerName, f.customerDomain),
  );
}
