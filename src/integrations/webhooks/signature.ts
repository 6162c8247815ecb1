import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, as Stripe signs its webhooks (reliability-security.md "Signed payloads"):
 *
 *   Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *   Webhook-Id: <event id>   (the same on every redelivery of one event: dedupe on it)
 *
 * The key is the partner's webhook secret as text (the base64url string `PUT /api/v1/webhook`
 * answered, not decoded), and the body is the request body exactly as received, before any JSON
 * parsing. Receivers may copy `verifyWebhookSignature` as it is: it needs only `node:crypto`.
 */

export const webhookSignatureHeader = "Webhook-Signature";
export const webhookIdHeader = "Webhook-Id";

/** How far a signature's timestamp may be from the receiver's clock, either way: against replays. */
export const defaultToleranceSeconds = 300;

/** The `Webhook-Signature` value for `body` sent at `now`. */
export function signWebhook(secret: string, body: string | Uint8Array, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, String(t), body)}`;
}

/**
 * True when `header` carries a timestamp within `toleranceSeconds` of `now` and at least one `v1`
 * signature of `"<t>.<body>"` under `secret`. Several `v1=` entries are allowed (a sender signing
 * with an old and a new secret while keys rotate): any one that matches is enough. Every candidate
 * is compared in constant time, and a malformed header is simply false.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  now: Date,
  toleranceSeconds = defaultToleranceSeconds,
): boolean {
  const parsed = parseSignatureHeader(header ?? "");
  if (!parsed) return false;
  if (Math.abs(now.getTime() / 1000 - Number(parsed.t)) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.t, body), "hex");
  let matched = false;
  for (const candidate of parsed.v1) {
    // Every candidate is a 32-byte digest (checked when parsing), so the lengths always agree.
    if (timingSafeEqual(Buffer.from(candidate, "hex"), expected)) matched = true;
  }
  return matched;
}

/**
 * `t=<digits>` exactly once and one or more `v1=<64 hex digits>`; entries of other schemes
 * (`v0=`, a future `v2=`) are ignored. Undefined when the header does not have that shape.
 */
function parseSignatureHeader(header: string): { t: string; v1: string[] } | undefined {
  let t: string | undefined;
  const v1: string[] = [];
  for (const entry of header.split(",")) {
    const eq = entry.indexOf("=");
    if (eq < 0) return undefined;
    const key = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (key === "t") {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      t = value;
    } else if (key === "v1") {
      if (!/^[0-9a-f]{64}$/i.test(value)) return undefined;
      v1.push(value.toLowerCase());
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

function hmacHex(secret: string, t: string, body: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
}
