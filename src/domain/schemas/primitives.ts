import { z } from "zod";

/**
 * Field-level building blocks shared by every boundary schema, so one rule has one wording.
 * Lengths are generous for people and tight enough to keep Table Storage entities small.
 */

/**
 * Entra ID tenant, subscription and object IDs: GUIDs, compared lower-case. The nil GUID is a
 * placeholder that no tenant, subscription or object has, so it is refused rather than claimed.
 */
export const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID")
  .regex(/^(?!0{8}-0{4}-0{4}-0{4}-0{12}$)/, "must not be the nil GUID")
  .transform((s) => s.toLowerCase());

/** The customer's initial domain, the one Microsoft created with the tenant. */
export const onMicrosoftDomain = z
  .string()
  .max(120)
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.onmicrosoft\.com$/i,
    "must be the initial *.onmicrosoft.com domain",
  )
  .transform((s) => s.toLowerCase());

/** MPN / PartnerOne location ID: digits only. */
export const partnerLocationId = z.string().regex(/^\d{1,12}$/, "must be digits (the MPN / PartnerOne ID)");

export const email = z.email("must be an email address").max(254);

/**
 * The rules every text a person sends us obeys, checked after trimming. Such text ends up in the
 * customer's email, the consent page, logs and Partner Center, so it must be well-formed Unicode (a
 * lone UTF-16 surrogate has no UTF-8 encoding) and free of control characters (C0, DEL, C1): no name
 * or description needs them, and they forge lines and terminal escapes. As patterns, the rules also
 * reach the OpenAPI document, so a client can check them before sending.
 */
const wellFormed = z.regex(/^\P{Cs}*$/u, "must be valid Unicode text");
const oneLine = z.regex(/^[^\n\r\u2028\u2029]*$/, "must be a single line (no line breaks)");
/** Line feed and carriage return are left to `oneLine`, so a line break gets one message. */
const noControlsInLine = z.regex(/^(?:[^\p{Cc}]|[\n\r])*$/u, "must not contain control characters");
const noControlsInText = z.regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u, "must not contain control characters");

/** The single-line rules, for a string with a format of its own (a URL, a file name). */
export const singleLineRules = [wellFormed, oneLine, noControlsInLine] as const;

/** One line of text, possibly empty (a name checkPoe reports as missing), trimmed. */
export const singleLineText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .check(...singleLineRules);

/** Free text over several lines (tab, LF and CR kept), possibly empty, trimmed. */
export const multiLineText = (max: number) => z.string().trim().max(max).check(wellFormed, noControlsInText);

/** A person's name or title: one line. */
export const shortText = (max = 200) => singleLineText(max).min(1, "must not be empty");

/** Free text such as a services description or a reason: may span lines. */
export const longText = (max = 4000) => multiLineText(max).min(1, "must not be empty");

/** A calendar date, `YYYY-MM-DD`, that exists. */
export const isoDate = z.iso.date("must be a date (YYYY-MM-DD)");

/** Enterprise Agreement enrollment numbers are digits. */
export const enrollmentNumber = z.string().regex(/^\d{4,12}$/, "must be the EA enrollment number (digits)");

export const customerContact = z
  .object({
    name: shortText(),
    title: shortText(),
    email,
  })
  .strict();

export const partnerContact = z
  .object({
    name: shortText(),
    email,
  })
  .strict();
