import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  bearerTokenFrom,
  createEntraIdVerifier,
  type EntraIdRejection,
  type EntraIdVerifierOptions,
} from "../../../src/auth/entraId";
import { startFakeEntraId, type FakeEntraId } from "../../fixtures/fakeEntraId";

/** The verifier against a fake Entra ID issuer serving its key set over real HTTP on 127.0.0.1. */
describe("createEntraIdVerifier", () => {
  const partnerId = "fabrikam-consulting-1a2b3c";
  let fake: FakeEntraId;
  let rejections: EntraIdRejection[];

  beforeAll(async () => {
    fake = await startFakeEntraId();
  });
  afterAll(() => fake?.stop());
  beforeEach(() => {
    rejections = [];
  });

  const verifier = (overrides: Partial<EntraIdVerifierOptions> = {}) =>
    createEntraIdVerifier({
      issuer: fake.issuer,
      audience: fake.audience,
      jwksUri: fake.jwksUri,
      tenantPartners: { [fake.tenantId]: partnerId },
      onRejected: (rejection) => rejections.push(rejection),
      ...overrides,
    });
  const now = () => Math.floor(Date.now() / 1000);

  describe("accepts", () => {
    it("a valid delegated access token, as its tenant's partner", async () => {
      expect(await verifier().partnerFor(await fake.accessToken())).toBe(partnerId);
      expect(rejections).toEqual([]);
    });

    it("a token signed with the second published key (key rotation)", async () => {
      expect(await verifier().partnerFor(await fake.accessToken({ key: 1 }))).toBe(partnerId);
    });

    it("an application token (roles, no scp)", async () => {
      const token = await fake.accessToken({ claims: { scp: undefined, roles: ["Associations.ReadWrite"] } });
      expect(await verifier().partnerFor(token)).toBe(partnerId);
    });

    it("a v1.0 access token", async () => {
      expect(await verifier().partnerFor(await fake.accessToken({ claims: { ver: "1.0" } }))).toBe(partnerId);
    });

    it("tenant IDs whatever their case", async () => {
      const upper = verifier({ tenantPartners: { [fake.tenantId.toUpperCase()]: partnerId } });
      expect(await upper.partnerFor(await fake.accessToken())).toBe(partnerId);
      const token = await fake.accessToken({ claims: { tid: fake.tenantId.toUpperCase() } });
      expect(await verifier().partnerFor(token)).toBe(partnerId);
    });

    it("a token expired or not yet valid within the clock tolerance", async () => {
      const expired = await fake.accessToken({
        claims: { iat: now() - 3630, nbf: now() - 3630, exp: now() - 30 },
      });
      const early = await fake.accessToken({ claims: { iat: now() + 30, nbf: now() + 30 } });
      expect(await verifier().partnerFor(expired)).toBe(partnerId);
      expect(await verifier().partnerFor(early)).toBe(partnerId);
      expect(await verifier({ clockToleranceSeconds: 0 }).partnerFor(expired)).toBeUndefined();
      expect(await verifier({ clockToleranceSeconds: 0 }).partnerFor(early)).toBeUndefined();
    });
  });

  describe("refuses, answering undefined", () => {
    const otherTenant = randomUUID();
    const cases: [string, () => Promise<string> | string, Partial<EntraIdRejection>][] = [
      [
        "alg: none",
        () => fake.unsignedToken(),
        { reason: "verification-failed", code: "ERR_JOSE_ALG_NOT_ALLOWED" },
      ],
      [
        "HS256 signed with the public key",
        () => fake.hs256WithPublicKey(),
        { reason: "verification-failed", code: "ERR_JOSE_ALG_NOT_ALLOWED" },
      ],
      [
        "an unknown kid",
        () => fake.unknownKidToken(),
        { reason: "verification-failed", code: "ERR_JWKS_NO_MATCHING_KEY" },
      ],
      [
        "a forged signature under a published kid",
        () => fake.forgedSignatureToken(),
        { reason: "verification-failed", code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" },
      ],
      [
        "another tenant's issuer (same key set: the multi-tenant trap)",
        () => fake.accessToken({ claims: { iss: `${fake.url}/${otherTenant}/v2.0`, tid: otherTenant } }),
        { reason: "verification-failed", claim: "iss" },
      ],
      [
        "another audience (a Microsoft Graph token)",
        () => fake.accessToken({ claims: { aud: "00000003-0000-0000-c000-000000000000" } }),
        { reason: "verification-failed", claim: "aud" },
      ],
      [
        "a tenant outside the allow-list",
        () => fake.accessToken({ claims: { tid: otherTenant } }),
        { reason: "tenant-not-allowed" },
      ],
      [
        "a tid naming an inherited property",
        () => fake.accessToken({ claims: { tid: "constructor" } }),
        { reason: "tenant-not-allowed" },
      ],
      [
        "no tid",
        () => fake.accessToken({ claims: { tid: undefined } }),
        { reason: "verification-failed", claim: "tid" },
      ],
      [
        "an expired token (beyond the tolerance)",
        () => fake.accessToken({ claims: { iat: now() - 3720, nbf: now() - 3720, exp: now() - 120 } }),
        { reason: "verification-failed", code: "ERR_JWT_EXPIRED" },
      ],
      [
        "a future nbf (beyond the tolerance)",
        () => fake.accessToken({ claims: { nbf: now() + 300 } }),
        { reason: "verification-failed", claim: "nbf" },
      ],
      [
        "no exp",
        () => fake.accessToken({ claims: { exp: undefined } }),
        { reason: "verification-failed", claim: "exp" },
      ],
      ["an ID token", () => fake.idToken(), { reason: "not-an-access-token" }],
      [
        "an ID token carrying app roles",
        () => fake.idToken({ claims: { roles: ["Associations.ReadWrite"] } }),
        { reason: "not-an-access-token" },
      ],
      [
        "a token with neither scp nor roles",
        () => fake.accessToken({ claims: { scp: undefined } }),
        { reason: "not-an-access-token" },
      ],
      [
        "a token without an Entra version",
        () => fake.accessToken({ claims: { ver: undefined } }),
        { reason: "not-an-access-token" },
      ],
      [
        "text that is not a JWT",
        () => "not.a.jwt",
        { reason: "verification-failed", code: "ERR_JWS_INVALID" },
      ],
      ["an oversized token", () => "a".repeat(20_000), { reason: "malformed" }],
    ];

    it.each(cases)("%s", async (_name, token, rejection) => {
      const text = await token();
      expect(await verifier().partnerFor(text)).toBeUndefined();
      expect(rejections).toHaveLength(1);
      expect(rejections[0]).toMatchObject(rejection);
      // Diagnostics name a reason, never token content.
      const [, payload = ""] = text.split(".");
      if (payload.length > 16) expect(JSON.stringify(rejections)).not.toContain(payload);
    });
  });

  describe("requiredScope", () => {
    const scoped = () => verifier({ requiredScope: "Associations.ReadWrite" });

    it("accepts the scope among others in scp, or as an app role", async () => {
      const delegated = await fake.accessToken({ claims: { scp: "User.Read Associations.ReadWrite" } });
      const app = await fake.accessToken({ claims: { scp: undefined, roles: ["Associations.ReadWrite"] } });
      expect(await scoped().partnerFor(delegated)).toBe(partnerId);
      expect(await scoped().partnerFor(app)).toBe(partnerId);
    });

    it("refuses a token without it, including look-alike names", async () => {
      for (const claims of [
        { scp: "User.Read" },
        { scp: "Associations.ReadWrite.All" },
        { scp: "associations.readwrite" },
        { scp: undefined, roles: ["Associations.Read"] },
      ]) {
        expect(await scoped().partnerFor(await fake.accessToken({ claims }))).toBeUndefined();
      }
      expect(rejections.map((r) => r.reason)).toEqual(Array(4).fill("missing-scope"));
    });
  });

  describe("the key set", () => {
    it("is fetched once and reused for later tokens", async () => {
      const shared = verifier();
      const before = fake.jwksRequests();
      for (let i = 0; i < 5; i += 1)
        expect(await shared.partnerFor(await fake.accessToken())).toBe(partnerId);
      expect(fake.jwksRequests() - before).toBe(1);
    });

    it("being unavailable refuses every token (an HTTP error, a closed port)", async () => {
      const token = await fake.accessToken();
      expect(await verifier({ jwksUri: `${fake.url}/nowhere` }).partnerFor(token)).toBeUndefined();
      expect(
        await verifier({ jwksUri: `http://127.0.0.1:${await closedPort()}/keys` }).partnerFor(token),
      ).toBe(undefined);
      expect(rejections.map((r) => r.reason)).toEqual(["jwks-unavailable", "jwks-unavailable"]);
    });
  });
});

describe("bearerTokenFrom", () => {
  it("reads the Bearer scheme only", () => {
    expect(bearerTokenFrom("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerTokenFrom("bearer  abc.def.ghi ")).toBe("abc.def.ghi");
    expect(bearerTokenFrom("ApiKey por_x")).toBeUndefined();
    expect(bearerTokenFrom("Bearer")).toBeUndefined();
    expect(bearerTokenFrom("Bearer a b")).toBeUndefined();
    expect(bearerTokenFrom(null)).toBeUndefined();
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
