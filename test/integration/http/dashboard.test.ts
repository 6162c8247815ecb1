import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "../../support/app";

/** The dashboard as the function app serves it: pages, hashed assets, a strict CSP, nothing else. */
describe("the dashboard's files", () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp();
  });

  afterAll(() => app?.host.stop());

  const get = (path: string, method = "GET") => fetch(`${app.url}${path}`, { method });

  it("answers every page path with the app's HTML under a strict Content-Security-Policy", async () => {
    for (const path of ["/", "/dashboard", "/associations/some-id"]) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await page.text()).toContain('<div id="app"></div>');
    }
  });

  it("serves the built assets the page names, cached for good, and nothing outside them", async () => {
    const html = await (await get("/")).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await get(script!);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get(style!)).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const head = await get(script!, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const path of [
      "/assets/missing.js",
      "/assets/%2e%2e/%2e%2e/host.json",
      "/favicon.ico",
      "/host.json",
    ])
      expect((await get(path)).status, path).toBe(404);
  });

  it("leaves /api to the API: an unknown API path is still a problem+json 404", async () => {
    const response = await get("/api/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });
});
