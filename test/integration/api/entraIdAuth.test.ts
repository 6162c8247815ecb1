import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createStore } from "../../../src/store/store";
import { startFakeEntraId, type FakeEntraId } from "../../fixtures/fakeEntraId";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * The partner API on the local host with Entra ID configured: a partner's tenant calls with
 * `Authorization: Bearer <access token>` from a fake issuer, beside partners using API keys.
 * Settings are read once, at the app's first request, so the tenant map names a partner ID chosen
 * here, and that partner is written to storage before the first call.
 */
describe("partner API with Entra ID access tokens", () => {
  let app: AppUnderTest;
  let fake: FakeEntraId;
  const partnerId = `entra-partner-${randomBytes(3).toString("hex")}`;
  const locationId = String(4_000_000 + Math.floor(Math.random() * 999_999));

  beforeAll(async () => {
    fake = await startFakeEntraId();
    app = await startApp({
      ENTRA_ISSUER: fake.issuer,
      ENTRA_AUDIENCE: fake.audience,
      ENTRA_JWKS_URI: fake.jwksUri,
      ENTRA_TENANT_PARTNERS: JSON.stringify({ [fake.tenantId]: partnerId }),
      ENTRA_REQUIRED_SCOPE: "Associations.ReadWrite",
    });
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    await store.partners.put({
      id: partnerId,
      name: "Fabrikam (Entra ID)",
      partnerLocationIds: [locationId],
      createdAt: new Date().toISOString(),
    });
  });

  afterAll(async () => {
    await app?.host.stop();
    await fake?.stop();
  });

  const bearer = (token: string, method = "GET", path = "/api/v1/associations", body?: unknown) =>
    app.call("", method, path, body, { authorization: `Bearer ${token}` });

  const expectUnauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 401 });
  };

  it("lets a valid bearer create and list its partner's associations, and only those", async () => {
    const token = await fake.accessToken();
    const created = await bearer(
      token,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: locationId, customerTenantId: randomUUID() }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const other = await app.partner("Contoso Partners");
    const theirs = (await (
      await app.call(
        other.apiKey,
        "POST",
        "/api/v1/associations",
        cporRequest({ partnerLocationId: other.locationId, customerTenantId: randomUUID() }),
      )
    ).json()) as { id: string };

    const list = await bearer(token);
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { items: { id: string }[] }).items.map((a) => a.id);
    expect(ids).toContain(id);
    expect(ids).not.toContain(theirs.id);
    expect((await bearer(token, "GET", `/api/v1/associations/${theirs.id}`)).status).toBe(404);
  });

  it("keeps API keys working beside bearer tokens", async () => {
    const partner = await app.partner("Northwind Traders");
    expect((await app.call(partner.apiKey, "GET", "/api/v1/associations")).status).toBe(200);
  });

  it("answers 401 problem+json to an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthorized(
      await bearer(await fake.accessToken({ claims: { iat: now - 7200, nbf: now - 7200, exp: now - 3600 } })),
    );
  });

  it("answers 401 problem+json to another tenant's token", async () => {
    await expectUnauthorized(await bearer(await fake.accessToken({ claims: { tid: randomUUID() } })));
  });

  it("answers 401 problem+json to an ID token used as an access token", async () => {
    await expectUnauthorized(await bearer(await fake.idToken()));
  });

  it("answers 401 problem+json to a token without the required scope", async () => {
    await expectUnauthorized(await bearer(await fake.accessToken({ claims: { scp: "User.Read" } })));
  });

  it("answers 401 problem+json to alg none and to a forged signature", async () => {
    await expectUnauthorized(await bearer(fake.unsignedToken()));
    await expectUnauthorized(await bearer(await fake.forgedSignatureToken()));
  });

  it("never opens administration with a bearer token", async () => {
    await expectUnauthorized(
      await bearer(await fake.accessToken(), "POST", "/api/v1/admin/partners", {
        name: "Mallory",
        partnerLocationId: "4999999",
      }),
    );
  });
});
