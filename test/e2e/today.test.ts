import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { cporRequest } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, widths } from "./browser";

/**
 * The dashboard in a real browser against the app on the local host: signing in with the partner's
 * key, and Today showing the claim that waits for its PoE.
 */
describe("dashboard: sign in and Today", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    app = await startApp({ LIFECYCLE_POE_DEADLINE: "P5D" });
    partner = await app.partner("Fabrikam Consulting");
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, claimName: "Contoso Teams rollout" }),
    );
    expect(created.status).toBe(201);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  async function open(width: (typeof widths)[number]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: width.width, height: width.height } });
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    await page.goto(app.url);
    return page;
  }

  it("refuses a wrong key beside the field, then signs in and lists the claim waiting for its PoE", async () => {
    const page = await open(widths[0]);
    const key = page.getByLabel("Partner API key");
    await key.fill("por_not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("This key opens nothing");
    expect(await key.getAttribute("aria-invalid")).toBe("true");

    await key.fill(partner.apiKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Today" }).waitFor();
    const item = page.getByRole("listitem").filter({ hasText: "Contoso Teams rollout" });
    await item.waitFor();
    expect(await item.textContent()).toMatch(/5 days left/);
    // The key is kept for this tab only: in sessionStorage, never in localStorage or the URL.
    expect(await page.evaluate('sessionStorage.getItem("partner-of-record.apiKey")')).toBe(partner.apiKey);
    expect(await page.evaluate("JSON.stringify(localStorage)")).not.toContain(partner.apiKey);
    expect(page.url()).not.toContain(partner.apiKey);
    await page.close();
  });

  it("has no serious or critical accessibility violation and works at 1280 and 390 px, with no CSP error", async () => {
    for (const width of widths) {
      const page = await open(width);
      await checkPage(page, "sign-in", width);
      await page.getByLabel("Partner API key").fill(partner.apiKey);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Today" }).waitFor();
      await page.getByText("Contoso Teams rollout").waitFor();
      await checkPage(page, "today", width);
      await page.close();
    }
    expect(cspErrors).toEqual([]);
  });
});
