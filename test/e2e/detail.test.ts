import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";
import { createStore } from "../../src/store/store";
import { cporRequest, draftAssociation } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, seriousViolations, signedInPage, widths, type Width } from "./browser";

/** An association's page: where it stands, its timeline, the PoE template and a confirmed withdrawal. */
describe("dashboard: association detail", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let id: string;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, claimName: "Contoso Teams rollout" }),
    );
    id = ((await created.json()) as { id: string }).id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  const signedIn = (width: Width, path: string) =>
    signedInPage(browser, `${app.url}${path}`, partner.apiKey, width);

  it("opens from the table, downloads the PoE template and withdraws after confirming why", async () => {
    const page = await signedIn(widths[0], "/associations");
    await page.getByRole("link", { name: "Contoso Teams rollout" }).click();
    await page.getByRole("heading", { name: "Contoso Teams rollout" }).waitFor();
    expect(page.url()).toBe(`${app.url}/associations/${id}`);
    await page.getByRole("heading", { name: "Timeline" }).waitFor();

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download the PoE template" }).click();
    const pdf = await readFile(await (await download).path());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

    await page.getByRole("button", { name: "Withdraw…" }).click();
    const dialog = page.getByRole("dialog", { name: "Withdraw this association?" });
    await dialog.waitFor();
    expect(await seriousViolations(page), "the withdraw dialog").toEqual([]);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Withdraw…" }).click();
    await dialog.getByLabel("Why (kept on the timeline)").fill("Customer chose another partner");
    await dialog.getByRole("button", { name: "Withdraw", exact: true }).click();
    await page.getByText("Customer chose another partner").waitFor();
    expect(await page.getByRole("button", { name: "Withdraw…" }).count()).toBe(0);
    const stored = (await (await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`)).json()) as {
      status: string;
    };
    expect(stored.status).toBe("RejectedFinal");
    await page.close();
  });

  it("shows an approved claim's way to each milestone with the forecast date", async () => {
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString();
    const approved = draftAssociation(partner.partnerId, {
      status: "Approved",
      units: ["workload:teams"],
      statusChangedAt: day(20),
      baseline: { approvedAt: day(20), workloads: {} },
    });
    await store.associations.create(approved);
    // Teams on 400 seats: 20, 30, 40 active (5%, 7.5%, 10%) on days -19, -9 and 0: by least squares about 0.26 points a day, so 15% in 20 days.
    for (const [ago, activeUsers] of [
      [19, 20],
      [9, 30],
      [0, 40],
    ] as const)
      await store.usageSnapshots.record({
        customerTenantId: approved.customerTenantId,
        workload: "teams",
        reportRefreshDate: day(ago).slice(0, 10),
        paidSeats: 400,
        activeUsers,
        fetchedAt: day(ago),
      });
    const page = await signedIn(widths[0], `/associations/${approved.id}`);
    await page.getByRole("heading", { name: "Usage toward milestones" }).waitFor();
    const bar = page.getByRole("progressbar", { name: "teams, active-15: 10% active of 15%" });
    expect(Number(await bar.getAttribute("value"))).toBeCloseTo(10 / 15, 5);
    await page.getByText(`Forecast: reaches it about ${day(-20).slice(0, 10)}`).waitFor();
    await page.close();
  });

  it("answers another partner's association as missing", async () => {
    const other = await app.partner("Northwind Traders");
    const page = await browser.newPage();
    await page.goto(`${app.url}/associations/${id}`);
    await page.getByLabel("Partner API key").fill(other.apiKey);
    await page.keyboard.press("Enter");
    await page.getByText("No such association (or it is another partner's).").waitFor();
    await page.close();
  });

  it("has no serious or critical accessibility violation at 1280 and 390 px", async () => {
    for (const width of widths) {
      const page = await signedIn(width, `/associations/${id}`);
      await page.getByRole("heading", { name: "Timeline" }).waitFor();
      await checkPage(page, "association", width);
      await page.close();
    }
  });
});
