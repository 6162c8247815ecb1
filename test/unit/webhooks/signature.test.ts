import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";

const secret = "whsec-test-0123456789abcdefghijklmnopqrstuvwxyz";
const otherSecret = "whsec-other-0123456789abcdefghijklmnopqrstuvwxy";
const body = JSON.stringify({ eventId: "e-1", type: "association.status_changed", to: "Approved" });
const now = new Date("2026-11-01T10:00:00.000Z");
const t = now.getTime() / 1000;
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const v1 = (key: string, timestamp: number, payload: string) =>
  createHmac("sha256", key).update(`${timestamp}.${payload}`).digest("hex");

describe("webhook signatures", () => {
  it("signs as t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body> and verifies its own signature", () => {
    const header = signWebhook(secret, body, now);
    expect(header).toBe(`t=${t},v1=${v1(secret, t, body)}`);
    expect(verifyWebhookSignature(secret, header, body, now)).toBe(true);
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), at(299))).toBe(true);
  });

  it.each([
    ["a tampered body", secret, (h: string) => h, body.replace("Approved", "Rejected"), now],
    ["a tampered timestamp", secret, (h: string) => h.replace(`t=${t}`, `t=${t + 1}`), body, now],
    ["the wrong secret", otherSecret, (h: string) => h, body, now],
    ["a signature older than the tolerance", secret, (h: string) => h, body, at(301)],
    ["a signature from further in the future than the tolerance", secret, (h: string) => h, body, at(-301)],
  ])("rejects %s", (_what, key, tamper, received, clock) => {
    const header = tamper(signWebhook(secret, body, now));
    expect(verifyWebhookSignature(key, header, received, clock)).toBe(false);
  });

  it("takes the tolerance as a parameter", () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(secret, header, body, at(30), 10)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, at(30), 60)).toBe(true);
  });

  it("accepts any matching v1 among several (key rotation) and ignores other schemes", () => {
    const old = v1(otherSecret, t, body);
    const current = v1(secret, t, body);
    expect(verifyWebhookSignature(secret, `t=${t},v1=${old},v1=${current}`, body, now)).toBe(true);
    expect(verifyWebhookSignature(otherSecret, `t=${t},v1=${old},v1=${current}`, body, now)).toBe(true);
    expect(verifyWebhookSignature(secret, ` v0=abc , t=${t} , v1=${current.toUpperCase()}`, body, now)).toBe(
      true,
    );
    expect(verifyWebhookSignature(secret, `t=${t},v1=${old},v1=${old}`, body, now)).toBe(false);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["no timestamp", `v1=${v1(secret, t, body)}`],
    ["no v1", `t=${t}`],
    ["two timestamps", `t=${t},t=${t},v1=${v1(secret, t, body)}`],
    ["a timestamp that is not digits", `t=${t}.5,v1=${v1(secret, t, body)}`],
    ["a v1 that is not 64 hex digits", `t=${t},v1=${v1(secret, t, body).slice(2)}`],
    ["an entry without =", `t=${t},v1=${v1(secret, t, body)},junk`],
  ])("rejects a malformed header: %s", (_what, header) => {
    expect(verifyWebhookSignature(secret, header, body, now)).toBe(false);
  });
});
