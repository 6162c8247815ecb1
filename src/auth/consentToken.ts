import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { NotConfiguredError } from "../domain/errors";

/**
 * Signed customer links: `base64url(payload).base64url(HMAC-SHA256(key, "por-consent-v1." + payloadSegment))`
 * where payload = JSON `{a: associationId, p: partnerId, e: expiry in unix seconds}`.
 *
 * The MAC covers the encoded payload segment exactly as transmitted (no re-serialisation to agree
 * on), prefixed with a purpose label so a key shared by mistake with another signer can never make a
 * consent token. Verification checks the signature (constant time) before it decodes a byte of
 * the payload, and the expiry only once the signature holds. Segments must be canonical base64url,
 * so a token has exactly one spelling: a tampered character is always a bad token, never the same one.
 */

const purpose = "por-consent-v1.";

/** Where the consent page answers: the function's route `consent/{token}` behind host.json's `routePrefix` "api". */
export const consentPagePath = "/api/consent";

/** Tokens longer than this are rejected before any work: they never come from us. */
const maxTokenLength = 1024;

const segment = /^[A-Za-z0-9_-]+$/;

const payload = z
  .object({
    a: z.string().min(1).max(64),
    p: z.string().min(1).max(64),
    e: z.number().int().positive(),
  })
  .strict();

export interface ConsentSubject {
  associationId: string;
  partnerId: string;
}

export type ConsentTokenFailure = "malformed" | "bad-signature" | "expired";

export type ConsentTokenResult =
  | { ok: true; associationId: string; partnerId: string; expiresAt: Date }
  | { ok: false; reason: ConsentTokenFailure };

export function createConsentToken(key: string, subject: ConsentSubject, expiresAt: Date): string {
  requireKey(key);
  const expiry = Math.floor(expiresAt.getTime() / 1000);
  const body = payload.safeParse({ a: subject.associationId, p: subject.partnerId, e: expiry });
  if (!body.success)
    throw new Error(
      `consent token: ${body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const encoded = Buffer.from(JSON.stringify(body.data), "utf8").toString("base64url");
  return `${encoded}.${mac(key, encoded).toString("base64url")}`;
}

/**
 * Checks a token against the signing key, then against `previousKey` when one is given: after a key
 * rotation (CONSENT_SIGNING_KEY_PREVIOUS) the links already sent stay valid until they expire, while
 * new links are signed with the current key only.
 */
export function verifyConsentToken(
  key: string,
  token: string,
  now: Date,
  previousKey?: string,
): ConsentTokenResult {
  return verifyConsentTokenWithKeys(previousKey === undefined ? [key] : [key, previousKey], token, now);
}

/**
 * Checks a token against each key in turn (newest first): the first that signed it decides. With no
 * key, every token is a bad signature.
 */
export function verifyConsentTokenWithKeys(
  keys: readonly string[],
  token: string,
  now: Date,
): ConsentTokenResult {
  let result: ConsentTokenResult = fail("bad-signature");
  for (const key of keys) {
    result = verifyWithKey(key, token, now);
    if (result.ok || result.reason !== "bad-signature") return result;
  }
  return result;
}

function verifyWithKey(key: string, token: string, now: Date): ConsentTokenResult {
  requireKey(key);
  if (typeof token !== "string" || token.length > maxTokenLength) return fail("malformed");
  const parts = token.split(".");
  if (parts.length !== 2) return fail("malformed");
  const [encoded, signature] = parts as [string, string];
  const given = decodeSegment(signature);
  if (!decodeSegment(encoded) || !given) return fail("malformed");

  const expected = mac(key, encoded);
  // timingSafeEqual throws on unequal lengths; a length mismatch reveals nothing an attacker does not know.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail("bad-signature");

  let claims: z.infer<typeof payload>;
  try {
    claims = payload.parse(JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")));
  } catch {
    return fail("malformed");
  }
  if (now.getTime() >= claims.e * 1000) return fail("expired");
  return { ok: true, associationId: claims.a, partnerId: claims.p, expiresAt: new Date(claims.e * 1000) };
}

export interface ConsentLinks {
  /** The page where the customer sees the claim and may refuse or cancel it. */
  consentUrl(associationId: string, partnerId: string): string | Promise<string>;
}

export interface ConsentLinkOptions {
  /** The signing key, or where to get the current one (a key ring that rotates). */
  key: string | (() => Promise<string | undefined>);
  /** The public origin (`settings.publicBaseUrl`), without the `/api` route prefix. */
  baseUrl: string;
  ttlMs: number;
  clock: () => Date;
}

/**
 * The port the consent-email activity calls. Links point at `${baseUrl}/api/consent/<token>`: the
 * Functions host puts host.json's `routePrefix` ("api") in front of the function's `consent/{token}` route.
 */
export function createConsentLinks(options: ConsentLinkOptions): ConsentLinks {
  if (typeof options.key === "string") requireKey(options.key);
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0)
    throw new Error("consent links: ttlMs must be a positive number of milliseconds");
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    consentUrl(associationId, partnerId) {
      const expiresAt = new Date(options.clock().getTime() + options.ttlMs);
      const sign = (key: string) =>
        `${base}${consentPagePath}/${createConsentToken(key, { associationId, partnerId }, expiresAt)}`;
      if (typeof options.key === "string") return sign(options.key);
      return options.key().then((key) => {
        if (!key)
          throw new NotConfiguredError("CONSENT_SIGNING_KEY is not set: consent links cannot be signed");
        return sign(key);
      });
    },
  };
}

function mac(key: string, encodedPayload: string): Buffer {
  return createHmac("sha256", key).update(purpose).update(encodedPayload).digest();
}

/** The decoded bytes of a canonical base64url segment, or undefined. */
function decodeSegment(text: string): Buffer | undefined {
  if (!segment.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

function requireKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new Error("consent links: the signing key is empty");
}

function fail(reason: ConsentTokenFailure): ConsentTokenResult {
  return { ok: false, reason };
}
