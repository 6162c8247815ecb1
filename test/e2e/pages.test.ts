import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { cporRequest } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";

/** Associations and Score in a real browser: filters, paging by the API's tokens, the score areas. */
describe("dashboard: Associations and Score", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    for (const claimName of ["Contoso Teams rollout", "Northwind Intune rollout"]) {
      const created = await app.call(
        partner.apiKey,
        "POST",
        "/api/v1/associations",
        cporRequest({ partnerLocationId: partner.locationId, claimName, customerTenantId: randomUUID() }),
      );
      expect(created.status).toBe(201);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  const signedIn = (width: Width, path: string) =>
    signedInPage(browser, `${app.url}${path}`, partner.apiKey, width);

  it("lists every association with its Partner Center status, filters by status, and navigates by link", async () => {
    const page = await signedIn(widths[0], "/");
    await page.getByRole("heading", { name: "Today" }).waitFor();
    await page.getByRole("link", { name: "Associations" }).click();
    await page.getByRole("heading", { name: "Associations" }).waitFor();
    expect(page.url()).toBe(`${app.url}/associations`);
    const rows = page.getByRole("row");
    await page.getByRole("rowheader", { name: "Contoso Teams rollout" }).waitFor();
    expect(await rows.count()).toBe(3); // the header and two claims
    await page.getByLabel("Status").selectOption("Approved");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No association matches these filters.").waitFor();
    await page.getByLabel("Status").selectOption("Draft");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("rowheader", { name: "Northwind Intune rollout" }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: /Export CSV/ }).click();
    const file = await (await download).path();
    const csv = await readFile(file, "utf8");
    expect(csv.split("\r\n")[0]).toBe(
      "id,type,status,partnerCenterStatus,customerTenantId,customerDomain,claimName,deadline,nextAction",
    );
    expect(csv).toContain("Northwind Intune rollout");
    await page.goBack();
    await page.getByRole("heading", { name: "Today" }).waitFor();
    await page.close();
  });

  it("shows the score of every solution area against its 100 points", async () => {
    const page = await signedIn(widths[0], "/score");
    await page.getByRole("heading", { name: "Partner Capability Score" }).waitFor();
    for (const area of ["Modern Work", "Security", "Business Applications", "Data & AI", "Infrastructure"])
      await page.getByRole("heading", { name: new RegExp(`^${area}: 0 / 100`) }).waitFor();
    expect(await page.getByText("not qualified").count()).toBe(6);
    await page.close();
  });

  it("has no serious or critical accessibility violation on either page, at 1280 and 390 px", async () => {
    for (const width of widths)
      for (const [path, heading] of [
        ["/associations", "Associations"],
        ["/score", "Partner Capability Score"],
      ] as const) {
        const page = await signedIn(width, path);
        await page.getByRole("heading", { name: heading }).waitFor();
        await page.getByRole("status").waitFor({ state: "detached" });
        await checkPage(page, path.slice(1), width);
        await page.close();
      }
  });
});
