import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";
import { createStore } from "../../src/store/store";
import { cporRequest, poeSubmissionFor } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";

/**
 * Outbox (local mode): the consent email a submitted PoE sends, newest first, its body readable as
 * text (never rendered as HTML); without a local outbox the page says so.
 */
describe("dashboard: outbox", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let associationId: string;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() }),
    );
    associationId = ((await created.json()) as { id: string }).id;
    const poe = await app.call(
      partner.apiKey,
      "POST",
      `/api/v1/associations/${associationId}/poe`,
      poeSubmissionFor(),
    );
    expect(poe.status).toBe(202);
    await consentEmailSent();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  async function consentEmailSent(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const page = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${associationId}`)
      ).json()) as { items: { status: string }[] };
      if (page.items[0]?.status === "sent") return;
      await sleep(150);
    }
    throw new Error("no consent email was sent");
  }

  const open = (width: Width) => signedInPage(browser, `${app.url}/outbox`, partner.apiKey, width);

  it("shows the consent email a submitted PoE sent, newest first, with its body as text", async () => {
    // An older message whose text looks like markup: it must read as the characters it is.
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    await store.outbox.insertOnce({
      partnerId: partner.partnerId,
      associationId: randomUUID(),
      kind: "status-notice",
      to: "megan@contoso.com",
      from: "noreply@example.com",
      subject: "An older notice",
      text: "Plain words with <b>no bold</b> in them.",
      html: "<p>Plain words</p>",
      createdAt: "2026-01-05T09:00:00.000Z",
      status: "sent",
      sentAt: "2026-01-05T09:00:01.000Z",
    });

    const page = await open(widths[0]);
    const emails = page.locator(".emails > li");
    await emails.first().waitFor();
    expect(await emails.locator("h2").allTextContents()).toEqual([
      "Fabrikam Consulting registered as your Microsoft partner of record for contoso.onmicrosoft.com",
      "An older notice",
    ]);
    const consent = emails.first();
    expect(await consent.textContent()).toContain("megan@contoso.com");
    await consent.getByRole("link", { name: associationId }).waitFor();
    await consent.getByText("Read the email").click();
    await consent.getByText(/\/api\/consent\//).waitFor();

    const older = emails.nth(1);
    await older.getByText("Read the email").click();
    await older.getByText("Plain words with <b>no bold</b> in them.").waitFor();
    expect(await older.locator("b").count()).toBe(0);

    await consent.getByRole("link", { name: associationId }).click();
    await page.waitForURL(`${app.url}/associations/${associationId}`);
    await page.close();
  });

  it("says there is no outbox when the service sends through a mail server", async () => {
    const page = await browser.newPage();
    await page.route("**/api/v1/outbox**", (route) =>
      route.fulfill({
        status: 404,
        contentType: "application/problem+json",
        body: JSON.stringify({ status: 404, title: "Not Found" }),
      }),
    );
    await page.goto(`${app.url}/outbox`);
    await page.getByLabel("Partner API key").fill(partner.apiKey);
    await page.keyboard.press("Enter");
    await page.getByText(/there is no outbox to show/).waitFor();
    await page.close();
  });

  it("has no serious or critical accessibility violation at 1280 and 390 px", async () => {
    for (const width of widths) {
      const page = await open(width);
      const first = page.locator(".emails > li").first();
      await first.getByText("Read the email").click();
      await first.getByText(/\/api\/consent\//).waitFor();
      await checkPage(page, "outbox", width);
      await page.close();
    }
  });
});
