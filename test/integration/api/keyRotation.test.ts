import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsentToken } from "../../../src/auth/consentToken";
import { createCpor, startApp, type AppUnderTest } from "../../support/app";
import { poeSubmissionFor } from "../../support/builders";
import { until } from "../../support/until";

/**
 * `POST /api/v1/admin/consent-signing-key/rotate` through the local host: links already sent keep
 * working after a rotation and stop after a second; new links are signed with the new key.
 */
describe("consent signing key rotation", () => {
  let app: AppUnderTest;
  const configuredKey = randomBytes(32).toString("base64url");

  beforeAll(async () => {
    app = await startApp({
      CONSENT_SIGNING_KEY: configuredKey,
      SECRETS_KEY: randomBytes(32).toString("base64"),
      LIFECYCLE_REFUSAL_WINDOW: "PT1H",
    });
  });

  afterAll(() => app?.host.stop());

  /** A claim in UnderReview, and the consent link its email carries. */
  async function consentLink(partner: Awaited<ReturnType<AppUnderTest["partner"]>>): Promise<string> {
    const id = await createCpor(app, partner);
    expect(
      (await app.call(partner.apiKey, "POST", `/api/v1/associations/${id}/poe`, poeSubmissionFor())).status,
    ).toBe(202);
    const outbox = await until(
      async () =>
        (await (await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${id}`)).json()) as {
          items: { text: string; status: string }[];
        },
      (o) => o.items.some((m) => m.status === "sent"),
    );
    const link = /https?:\/\/\S+\/api\/consent\/[A-Za-z0-9._~-]+/.exec(outbox.items[0]?.text ?? "")?.[0];
    if (!link) throw new Error("no consent link in the email");
    return link.replace(/^https?:\/\/[^/]+/, app.url);
  }

  const opens = async (link: string) => (await fetch(link)).status;
  const rotate = () => app.call(app.adminKey, "POST", "/api/v1/admin/consent-signing-key/rotate");

  it(
    "keeps links sent before a rotation valid, signs new ones with the new key, and retires a key after two rotations",
    { timeout: 90_000 },
    async () => {
      const partner = await app.partner();
      const before = await consentLink(partner);
      expect(await opens(before)).toBe(200);

      const rotated = await rotate();
      expect(rotated.status).toBe(200);
      const answer = (await rotated.json()) as Record<string, string>;
      expect(Object.keys(answer).sort()).toEqual(["previousKeyValidUntil", "rotatedAt"]);
      expect(JSON.stringify(answer)).not.toContain(configuredKey);
      expect(Date.parse(answer["previousKeyValidUntil"] ?? "") - Date.parse(answer["rotatedAt"] ?? "")).toBe(
        60 * 24 * 3600 * 1000,
      );

      expect(await opens(before)).toBe(200);
      const after = await consentLink(partner);
      expect(await opens(after)).toBe(200);
      const token = after.slice(after.lastIndexOf("/") + 1);
      expect(verifyConsentToken(configuredKey, token, new Date())).toEqual({
        ok: false,
        reason: "bad-signature",
      });

      expect((await rotate()).status).toBe(200);
      expect(await opens(after)).toBe(200); // signed with the previous key now
      expect(await opens(before)).toBe(401); // the invalid-link page: its key was retired by the second rotation
      expect(
        (await app.call(partner.apiKey, "POST", "/api/v1/admin/consent-signing-key/rotate")).status,
      ).toBe(401);
    },
  );
});
