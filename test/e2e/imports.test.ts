import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { columnsOfType, importRowTypes, maxImportRows } from "../../src/domain/csvImport";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";

/**
 * Imports: a CSV file uploaded through the page (sent as text/csv), then each row's result as the
 * job reaches it: the association a valid row created, the line and fields of an invalid one; a file
 * the service cannot take at all is named beside the rows box; the help states the parser's columns.
 */
describe("dashboard: imports", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  const open = (width: Width) => signedInPage(browser, `${app.url}/imports`, partner.apiKey, width);

  const header = "type,customerTenantId,role,enrollmentNumber,claimName";
  /** A TPOR record's row; each has its own enrollment number. */
  let enrollment = 20_000_000;
  const tporRow = (tenant: string, claimName: string) =>
    `tpor,${tenant},licensing-solution-provider,${String((enrollment += 1))},${claimName}`;

  async function upload(page: Page, csv: string) {
    await page.getByLabel("CSV file").setInputFiles({
      name: "rows.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    // The file is read into the rows box before it is sent.
    await page.waitForFunction(`document.getElementById("import-rows").value.length === ${csv.length}`);
    await page.getByRole("button", { name: "Import" }).click();
  }

  it("uploads a file and shows each row's result: the association made, or the line's errors", async () => {
    const page = await open(widths[0]);
    await upload(
      page,
      [header, tporRow(randomUUID(), "Contoso enrollment"), tporRow("not-a-tenant", "Bad")].join("\n"),
    );

    await page.getByRole("heading", { name: "Import progress" }).waitFor();
    await page.getByText("Finished: 1 succeeded, 1 failed of 2.").waitFor();
    const bar = page.getByRole("progressbar", { name: "2 of 2 handled" });
    expect(await bar.getAttribute("value")).toBe("2");
    const results = page.getByRole("list", { name: "Results" });
    const created = results.getByRole("listitem").filter({ hasText: "line 2" });
    await created.getByText("created").waitFor();
    const invalid = results.getByRole("listitem").filter({ hasText: "line 3" });
    await invalid.getByText("invalid").waitFor();
    await invalid.getByText(/^customerTenantId: must be a GUID/).waitFor();
    expect(await invalid.getByRole("link").count()).toBe(0);

    await created.getByRole("link", { name: "line 2" }).click();
    await page.getByRole("heading", { name: "Contoso enrollment" }).waitFor();
    expect(page.url()).toMatch(/\/associations\/[^/]+$/);
    await page.close();
  });

  it("names what is wrong with a file it cannot take beside the rows box, and starts nothing", async () => {
    const page = await open(widths[0]);
    await upload(page, "type,colour\ntpor,red");
    const box = page.getByLabel("Rows (CSV)");
    await page.getByText(/^header column 2: "colour" is not a column/).waitFor();
    expect(await box.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("heading", { name: "Import progress" }).count()).toBe(0);
    await page.close();
  });

  it("states the columns the service takes, and its example imports as it is", async () => {
    const page = await open(widths[0]);
    await page.getByText("Columns and an example").click();
    for (const type of importRowTypes) {
      const entry = page
        .locator(".columns > div")
        .filter({ has: page.locator("dt code", { hasText: type }) });
      expect((await entry.locator("dd").textContent())?.split(", ")).toEqual(columnsOfType[type]);
    }
    await page.getByText(`at most ${maxImportRows}`).waitFor();
    const example =
      (await page.getByRole("region", { name: "Example file, scrollable" }).textContent()) ?? "";
    await page.getByLabel("Rows (CSV)").fill(example);
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Finished: 2 succeeded, 0 failed of 2.").waitFor();
    await page.close();
  });

  it("has no serious or critical accessibility violation at 1280 and 390 px, with results shown", async () => {
    for (const width of widths) {
      const page = await open(width);
      await page.getByText("Columns and an example").click();
      await upload(page, [header, tporRow(randomUUID(), "Fine"), tporRow("nope", "Bad")].join("\n"));
      await page.getByText(/^Finished: /).waitFor();
      await checkPage(page, "imports", width);
      await page.close();
    }
  });
});
