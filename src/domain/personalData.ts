import type { Association } from "./association";

/**
 * Erasing a customer's personal data (`POST /api/v1/customers/{tenantId}/erase`): the names and
 * email addresses of the customer's people are replaced wherever the service keeps them, while
 * IDs, statuses, dates and the incentive ledger stay, so the claim's history still adds up.
 */

/** What an erased name or title becomes. */
export const erasedText = "[erased]";

/** What an erased email address becomes: a valid address that reaches no one (RFC 2606 `.invalid`). */
export const erasedEmail = "erased@erased.invalid";

/** Any email address inside a text (good enough to find, not to validate). */
const emailPattern = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/** The customer's people named in an association's request: its contact (name, title, email). */
export function personalStringsOf(association: Association): string[] {
  const request = association.request;
  if (!("customerContact" in request) || !request.customerContact) return [];
  const { name, title, email } = request.customerContact;
  return [name, title, email].filter((text) => text !== erasedText && text !== erasedEmail);
}

/**
 * `text` with every email address and every one of `personal` (names, titles; case-insensitive)
 * replaced. Longer strings go first, so a name inside a longer title goes with it.
 */
export function redactText(text: string, personal: readonly string[]): string {
  let out = text.replace(emailPattern, (found) => (found === erasedEmail ? found : erasedEmail));
  const names = [...new Set(personal.filter((p) => p.trim().length >= 2))].sort(
    (a, b) => b.length - a.length,
  );
  for (const name of names) out = out.replace(new RegExp(escapeRegExp(name), "gi"), erasedText);
  return out;
}

/** Every string inside `value` (objects, arrays) redacted; other values kept as they are. */
export function redactDeep<T>(value: T, personal: readonly string[]): T {
  if (typeof value === "string") return redactText(value, personal) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, personal)) as T;
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, personal)]),
    ) as T;
  return value;
}

/**
 * The association without its customer's people: the contact replaced, the partner's own contact
 * kept (it is the partner's data, not the customer's). Answers the fields it changed.
 */
export function erasedAssociation(
  association: Association,
  at: string,
): { value: Association; fields: string[] } {
  const request = association.request;
  const fields: string[] = [];
  let erasedRequest = request;
  if ("customerContact" in request && request.customerContact) {
    const contact = request.customerContact;
    if (contact.name !== erasedText) fields.push("customerContact.name");
    if (contact.title !== erasedText) fields.push("customerContact.title");
    if (contact.email !== erasedEmail) fields.push("customerContact.email");
    erasedRequest = {
      ...request,
      customerContact: { name: erasedText, title: erasedText, email: erasedEmail },
    };
  }
  if (fields.length === 0) return { value: association, fields };
  return { value: { ...association, request: erasedRequest, personalDataErasedAt: at }, fields };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
