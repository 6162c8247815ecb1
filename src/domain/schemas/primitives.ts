import { z } from "zod";

/**
 * Field-level building blocks shared by every boundary schema, so one rule has one wording.
 * Lengths are generous for people and tight enough to keep Table Storage entities small.
 */

/** Entra ID tenant, subscription and object IDs: GUIDs, compared lower-case. */
export const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID")
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

/** A person's name or title. */
export const shortText = (max = 200) => z.string().trim().min(1, "must not be empty").max(max);

/** Free text such as a services description or a reason. */
export const longText = (max = 4000) => z.string().trim().min(1, "must not be empty").max(max);

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
