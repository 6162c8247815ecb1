import * as crypto from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  consentPagePath,
  createConsentLinks,
  createConsentToken,
  verifyConsentToken,
} from "../../../src/auth/consentToken";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const key = "k".repeat(32);
const otherKey = "o".repeat(32);
const subject = { associationId: "3f0c1a7e-1d2b-4c3d-8e9f-0a1b2c3d4e5f", partnerId: "fabrikam" };
const now = new Date("2026-11-01T10:00:00Z");
const later = new Date("2026-12-31T10:00:00Z");

/** A canonical base64url signature of the wrong length: the first `bytes` bytes of `signature`. */
const truncated = (signature: string, bytes: number) =>
  Buffer.from(signature, "base64url").subarray(0, bytes).toString("base64url");

/** Replaces the character at `index` with another base64url character. */
function flip(text: string, index: number): string {
  const c = text[index];
  return text.slice(0, index) + (c === "A" ? "B" : "A") + text.slice(index + 1);
}

afterEach(() => vi.mocked(crypto.timingSafeEqual).mockClear());

describe("consent tokens", () => {
  it("round-trips the association, the partner and the expiry", () => {
    const token = createConsentToken(key, subject, later);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyConsentToken(key, token, now)).toEqual({ ok: true, ...subject, expiresAt: later });
  });

  it("rejects a tampered payload as a bad signature", () => {
    const token = createConsentToken(key, subject, later);
    const [payload = "", signature = ""] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify({ a: subject.associationId, p: "contoso-evil", e: 4_000_000_000 }),
    ).toString("base64url");
    expect(verifyConsentToken(key, `${forged}.${signature}`, now)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(verifyConsentToken(key, `${flip(payload, 3)}.${signature}`, now)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("rejects a tampered signature", () => {
    const token = createConsentToken(key, subject, later);
    const [payload = "", signature = ""] = token.split(".");
    expect(verifyConsentToken(key, `${payload}.${flip(signature, 0)}`, now)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    // A signature of another length never reaches timingSafeEqual (which would throw).
    expect(verifyConsentToken(key, `${payload}.${truncated(signature, 16)}`, now)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("rejects a token signed with another key", () => {
    const token = createConsentToken(otherKey, subject, later);
    expect(verifyConsentToken(key, token, now)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects an expired token, but only once the signature holds", () => {
    const token = createConsentToken(key, subject, now);
    expect(verifyConsentToken(key, token, now)).toEqual({ ok: false, reason: "expired" });
    expect(verifyConsentToken(key, token, new Date(now.getTime() - 1000))).toMatchObject({ ok: true });
    expect(verifyConsentToken(otherKey, token, later)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it.each([
    ["empty", ""],
    ["one segment", "abc"],
    ["three segments", "a.b.c"],
    ["not base64url", "ab+c.def/"],
    [
      "non-canonical base64url",
      `${createConsentToken(key, subject, later).split(".")[0]}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB`,
    ],
    ["far too long", `${"a".repeat(2000)}.b`],
  ])("rejects a malformed token (%s)", (_case, token) => {
    expect(verifyConsentToken(key, token, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a correctly signed payload that is not ours as malformed", () => {
    const payload = Buffer.from(JSON.stringify({ a: "x" })).toString("base64url");
    const signature = crypto
      .createHmac("sha256", key)
      .update("por-consent-v1.")
      .update(payload)
      .digest("base64url");
    expect(verifyConsentToken(key, `${payload}.${signature}`, now)).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  it("compares equal-length signatures in constant time", () => {
    const token = createConsentToken(key, subject, later);
    const [payload = "", signature = ""] = token.split(".");
    const compare = vi.mocked(crypto.timingSafeEqual);

    verifyConsentToken(key, token, now);
    verifyConsentToken(key, `${payload}.${flip(signature, 5)}`, now);
    expect(compare).toHaveBeenCalledTimes(2);
    for (const [a, b] of compare.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);

    compare.mockClear();
    verifyConsentToken(key, `${payload}.${truncated(signature, 31)}`, now);
    expect(compare).not.toHaveBeenCalled();
  });

  it("refuses to sign with an empty key or bad IDs", () => {
    expect(() => createConsentToken("", subject, later)).toThrow(/key/);
    expect(() => createConsentToken(key, { ...subject, partnerId: "" }, later)).toThrow(/p:/);
  });
});

describe("consent tokens after a key rotation", () => {
  const newKey = "n".repeat(32);

  it("accepts a link signed with the previous key until it expires, and only when that key is given", () => {
    const old = createConsentToken(key, subject, later);
    expect(verifyConsentToken(newKey, old, now, key)).toMatchObject({ ok: true, ...subject });
    expect(verifyConsentToken(newKey, old, now)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyConsentToken(newKey, old, new Date(later.getTime() + 1000), key)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("accepts the current key's links as before, and neither key's forgeries", () => {
    const current = createConsentToken(newKey, subject, later);
    expect(verifyConsentToken(newKey, current, now, key)).toMatchObject({ ok: true, ...subject });
    const forged = createConsentToken(otherKey, subject, later);
    expect(verifyConsentToken(newKey, forged, now, key)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyConsentToken(newKey, "not-a-token", now, key)).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("createConsentLinks", () => {
  it("links to the consent page behind the api route prefix, expiring after the TTL", async () => {
    const links = createConsentLinks({
      key,
      baseUrl: "https://por.example.com/",
      ttlMs: 60 * 60 * 1000,
      clock: () => now,
    });
    const url = await links.consentUrl(subject.associationId, subject.partnerId);
    expect(url.startsWith(`https://por.example.com${consentPagePath}/`)).toBe(true);
    expect(consentPagePath).toBe("/api/consent");
    const token = url.slice(url.lastIndexOf("/") + 1);
    expect(verifyConsentToken(key, token, now)).toMatchObject({
      ok: true,
      ...subject,
      expiresAt: new Date(now.getTime() + 60 * 60 * 1000),
    });
    expect(verifyConsentToken(key, token, new Date(now.getTime() + 60 * 60 * 1000))).toEqual({
      ok: false,
      reason: "expired",
    });
  });
});
