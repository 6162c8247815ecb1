import { ValidationError } from "./errors";

/**
 * Text helpers for what the service writes to customers (emails, the consent page): HTML escaping
 * and dates in words. Pure, and independent of the machine's locale and time zone.
 */

const htmlEscapes: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => htmlEscapes[c] ?? c);
}

/** Escaped text whose line breaks stay line breaks in HTML. */
export function multiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, "<br>\n");
}

/** Names and titles go into one line (and the subject header): no line breaks from user input. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const months = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** "1 November 2026": UTC, English. */
export function formatDate(d: Date): string {
  return `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ""} ${d.getUTCFullYear()}`;
}

/** "15 November 2026, 10:00 UTC". */
export function formatDateTime(d: Date): string {
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${formatDate(d)}, ${hh}:${mm} UTC`;
}

/** An ISO 8601 timestamp as a Date; a ValidationError naming `path` when it is not one. */
export function instant(iso: string, path: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()))
    throw new ValidationError([{ path, message: "must be an ISO 8601 timestamp" }]);
  return d;
}

/**
 * An email's HTML document: the subject as its title, the given blocks (already HTML) in a plain
 * readable body, and a small print line saying why the customer receives it.
 */
export function emailDocument(subject: string, blocks: readonly string[], whyReceived: string): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;line-height:1.5;color:#1b1b1b">',
    ...blocks,
    `<p style="font-size:0.9em;color:#555">${escapeHtml(whyReceived)}</p>`,
    "</body></html>",
    "",
  ].join("\n");
}

/** "You receive this email because …": the same words in the text and the HTML part. */
export const whyReceived = (partnerName: string, customerDomain: string) =>
  `You receive this email because ${partnerName} named you as the contact at ${customerDomain}.`;
