import { createHash, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Route } from "playwright-core";
import { createStore } from "../../src/store/store";
import { startFakeEntraId, type FakeEntraId } from "../fixtures/fakeEntraId";
import { cporRequest } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, widths } from "./browser";

/**
 * Entra ID sign-in with MSAL, when the service offers it. Entra ID cannot be reached from here and
 * MSAL accepts only an https authority, so the browser's requests to the authority are answered
 * by this test (discovery, the authorize redirect, the token endpoint), with tokens signed by the
 * fake Entra ID whose keys the API trusts: the API then serves the partner the token names.
 */
describe("dashboard: Entra ID sign-in", () => {
  let app: AppUnderTest;
  let fake: FakeEntraId;
  let browser: Browser;
  const clientId = randomUUID();
  const partnerId = `entra-dashboard-${randomBytes(3).toString("hex")}`;
  const locationId = String(4_000_000 + Math.floor(Math.random() * 999_999));
  let authority: string;

  beforeAll(async () => {
    fake = await startFakeEntraId();
    authority = `https://login.fake-entra.test/${fake.tenantId}`;
    app = await startApp({
      ENTRA_ISSUER: fake.issuer,
      ENTRA_AUDIENCE: fake.audience,
      ENTRA_JWKS_URI: fake.jwksUri,
      ENTRA_TENANT_PARTNERS: JSON.stringify({ [fake.tenantId]: partnerId }),
      ENTRA_REQUIRED_SCOPE: "Associations.ReadWrite",
      ENTRA_DASHBOARD_CLIENT_ID: clientId,
      ENTRA_DASHBOARD_AUTHORITY: authority,
      ENTRA_DASHBOARD_SCOPES: `${fake.audience}/Associations.ReadWrite`,
    });
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    await store.partners.put({
      id: partnerId,
      name: "Fabrikam (Entra ID)",
      partnerLocationIds: [locationId],
      createdAt: new Date().toISOString(),
    });
    const created = await app.call(
      "",
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: locationId, claimName: "Signed in with Entra ID" }),
      { authorization: `Bearer ${await fake.accessToken()}` },
    );
    expect(created.status).toBe(201);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
    await fake?.stop();
  });

  it("tells the dashboard how to sign in, and nothing secret", async () => {
    const options = await (await fetch(`${app.url}/api/v1/sign-in`)).json();
    expect(options).toEqual({
      apiKey: true,
      entra: { clientId, authority, scopes: [`${fake.audience}/Associations.ReadWrite`] },
    });
    const page = await fetch(`${app.url}/`);
    expect(page.headers.get("content-security-policy")).toContain(
      "connect-src 'self' https://login.fake-entra.test",
    );
  });

  it("signs in with Microsoft (authorization code with PKCE) and shows the partner's own work", async () => {
    const context = await browser.newContext({
      viewport: { width: widths[0].width, height: widths[0].height },
    });
    const seen: { authorize?: URL; tokenBody?: URLSearchParams } = {};
    const cors = { "access-control-allow-origin": app.url, "access-control-allow-headers": "*" };
    await context.route("https://login.fake-entra.test/**", async (route: Route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (request.method() === "OPTIONS") return route.fulfill({ status: 204, headers: cors });
      if (url.pathname.endsWith("/.well-known/openid-configuration"))
        return route.fulfill({
          headers: cors,
          json: {
            issuer: `${authority}/v2.0`,
            authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
            token_endpoint: `${authority}/oauth2/v2.0/token`,
            end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
            jwks_uri: fake.jwksUri,
            response_modes_supported: ["query", "fragment", "form_post"],
          },
        });
      if (url.pathname.endsWith("/oauth2/v2.0/authorize")) {
        seen.authorize = url;
        const back = new URL(url.searchParams.get("redirect_uri") ?? "");
        const answer = new URLSearchParams({ code: "fake-code", state: url.searchParams.get("state") ?? "" });
        const location =
          url.searchParams.get("response_mode") === "query"
            ? `${back.origin}${back.pathname}?${answer.toString()}`
            : `${back.origin}${back.pathname}#${answer.toString()}`;
        return route.fulfill({ status: 302, headers: { location } });
      }
      if (url.pathname.endsWith("/oauth2/v2.0/token")) {
        seen.tokenBody = new URLSearchParams(request.postData() ?? "");
        const nonce = seen.authorize?.searchParams.get("nonce") ?? undefined;
        const uid = randomUUID();
        return route.fulfill({
          headers: cors,
          json: {
            token_type: "Bearer",
            scope: `${fake.audience}/Associations.ReadWrite`,
            expires_in: 3600,
            ext_expires_in: 3600,
            access_token: await fake.accessToken(),
            id_token: await fake.idToken({
              claims: { aud: clientId, iss: `${authority}/v2.0`, nonce, oid: uid, sub: uid },
            }),
            client_info: Buffer.from(JSON.stringify({ uid, utid: fake.tenantId })).toString("base64url"),
          },
        });
      }
      return route.fulfill({ status: 404, headers: cors });
    });
    const page = await context.newPage();
    await page.goto(app.url);
    await page.getByRole("button", { name: "Sign in with Microsoft" }).click();
    await page.getByRole("heading", { name: "Today" }).waitFor();
    await page.getByText("Signed in with Entra ID").waitFor();

    const authorize = seen.authorize;
    expect(authorize?.searchParams.get("client_id")).toBe(clientId);
    expect(authorize?.searchParams.get("redirect_uri")).toBe(`${app.url}/`);
    expect(authorize?.searchParams.get("scope")).toContain(`${fake.audience}/Associations.ReadWrite`);
    expect(authorize?.searchParams.get("code_challenge_method")).toBe("S256");
    const verifier = seen.tokenBody?.get("code_verifier") ?? "";
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(
      authorize?.searchParams.get("code_challenge"),
    );
    // Nothing of the sign-in is kept beyond the tab, and the page's policy held.
    expect(await page.evaluate("JSON.stringify(localStorage)")).not.toContain("fake-code");
    await checkPage(page, "today-entra", widths[0]);
    await context.close();
  });
});
