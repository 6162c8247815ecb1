import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { Association } from "../../src/domain/association";
import type { IncentiveLedgerEntry } from "../../src/domain/incentiveLedgerEntry";
import type { forecastResponse } from "../../src/http/responseSchemas";
import { createStore, type Store } from "../../src/store/store";
import { cporRequest, draftAssociation } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";
import type { z } from "zod";

const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString();

/** An Approved claim with its baseline, stored directly (the lifecycle would take minutes). */
function approvedClaim(partnerId: string, claimName: string, units: Association["units"]): Association {
  const request = cporRequest({ claimName, customerTenantId: randomUUID() });
  return draftAssociation(partnerId, {
    status: "Approved",
    request,
    customerTenantId: request.customerTenantId,
    units,
    statusChangedAt: day(20),
    baseline: { approvedAt: day(20), workloads: {} },
  });
}

/** Rows of a table's body, each as its cells' text. */
async function bodyRows(page: Page, caption: string): Promise<string[][]> {
  const rows = await page.getByRole("table", { name: caption }).locator("tbody tr").allInnerTexts();
  return rows.map((row) => row.split("\t").map((cell) => cell.trim()));
}

/** Incentives: the ledger by month and workload (chart and tables), filters, the CSV, the forecast. */
describe("dashboard: Incentives", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let store: Store;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let earning: Association;
  let rising: Association;

  const entry = (
    workload: IncentiveLedgerEntry["workload"],
    milestoneKey: string,
    amount: number,
    earnedAt: string,
    payableOn: string,
  ): IncentiveLedgerEntry => ({
    partnerId: partner.partnerId,
    associationId: earning.id,
    claimName: "Contoso modern work",
    customerTenantId: earning.customerTenantId,
    customerDomain: "contoso.onmicrosoft.com",
    workload,
    milestoneKey,
    programId: "fy20-osu-milestones",
    programVersion: 1,
    units: 400,
    amount,
    currency: "USD",
    reportRefreshDate: earnedAt.slice(0, 10),
    earnedAt,
    payableOn,
  });

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    earning = approvedClaim(partner.partnerId, "Contoso modern work", [
      "workload:teams",
      "workload:exchange",
    ]);
    rising = approvedClaim(partner.partnerId, "Northwind Teams adoption", ["workload:teams"]);
    await store.associations.create(earning);
    await store.associations.create(rising);
    for (const e of [
      entry("teams", "active-15", 300, "2026-10-05T08:00:00.000Z", "2026-11-25"),
      entry("exchange", "active-15", 150, "2026-10-20T08:00:00.000Z", "2026-11-25"),
      entry("teams", "active-40", 1250.5, "2026-11-10T08:00:00.000Z", "2026-12-25"),
    ])
      await store.incentiveLedger.recordOnce(e);
    // Teams on 400 seats at 5 %, 7.5 % and 10 % active over 19 days: 15 % is projected in about 20 days.
    for (const [ago, activeUsers] of [
      [19, 20],
      [9, 30],
      [0, 40],
    ] as const)
      await store.usageSnapshots.record({
        customerTenantId: rising.customerTenantId,
        workload: "teams",
        reportRefreshDate: day(ago).slice(0, 10),
        paidSeats: 400,
        activeUsers,
        fetchedAt: day(ago),
      });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  const signedIn = (width: Width, path: string, apiKey = partner.apiKey) =>
    signedInPage(browser, `${app.url}${path}`, apiKey, width);

  it("charts what was earned per month and workload, with the tables of the same figures", async () => {
    const page = await signedIn(widths[0], "/");
    await page.getByRole("heading", { name: "Today" }).waitFor();
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Incentives" }).click();
    await page.getByRole("heading", { name: "Earned by month" }).waitFor();
    expect(page.url()).toBe(`${app.url}/incentives`);

    const chart = page.getByRole("img", { name: /^Incentives earned in USD by month and workload/ });
    expect(await chart.getAttribute("aria-label")).toBe(
      "Incentives earned in USD by month and workload. 2026-10: 450.00 USD; 2026-11: 1,250.50 USD.",
    );
    expect(await bodyRows(page, "Earned in USD by month and workload")).toEqual([
      ["2026-10", "150.00 USD", "300.00 USD", "450.00 USD"],
      ["2026-11", "0.00 USD", "1,250.50 USD", "1,250.50 USD"],
    ]);
    expect(await bodyRows(page, "Earned by workload")).toEqual([
      ["exchange", "1", "150.00 USD"],
      ["teams", "2", "1,550.50 USD"],
    ]);
    expect(await bodyRows(page, "Earned by month payable")).toEqual([
      ["2026-11", "2", "450.00 USD"],
      ["2026-12", "1", "1,250.50 USD"],
    ]);

    const entries = page.getByRole("region", { name: "Ledger entries, scrollable" });
    expect(await entries.getByRole("link", { name: "Contoso modern work" }).count()).toBe(3);
    await entries.getByRole("link", { name: "Contoso modern work" }).first().click();
    await page.getByRole("heading", { name: "Contoso modern work" }).waitFor();
    expect(page.url()).toBe(`${app.url}/associations/${earning.id}`);
    await page.close();
  });

  it("filters by workload and month, with the API's error beside the field it names", async () => {
    const page = await signedIn(widths[0], "/incentives");
    await page.getByRole("heading", { name: "Earned by month" }).waitFor();
    await page.getByRole("combobox", { name: "Workload" }).selectOption("teams");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByRole("button", { name: "Clear filters" }).waitFor();
    expect(await bodyRows(page, "Earned by workload")).toEqual([["teams", "2", "1,550.50 USD"]]);

    const month = page.getByRole("textbox", { name: "Month earned" });
    await month.fill("2026-13");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByText("must be a month, YYYY-MM").waitFor();
    expect(await month.getAttribute("aria-invalid")).toBe("true");
    // What was shown stays: the refused filter changed nothing.
    expect(await bodyRows(page, "Earned by workload")).toEqual([["teams", "2", "1,550.50 USD"]]);

    await month.fill("2026-11");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByText("must be a month, YYYY-MM").waitFor({ state: "detached" });
    expect(await bodyRows(page, "Earned by workload")).toEqual([["teams", "1", "1,250.50 USD"]]);

    await month.fill("2025-01");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByText("No ledger entry matches these filters.").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.getByRole("table", { name: "Earned by workload" }).waitFor();
    expect(await bodyRows(page, "Earned by workload")).toHaveLength(2);
    await page.close();
  });

  it("exports the API's CSV of the entries under the filters shown", async () => {
    const page = await signedIn(widths[0], "/incentives");
    await page.getByRole("heading", { name: "Earned by month" }).waitFor();
    await page.getByRole("combobox", { name: "Workload" }).selectOption("teams");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByRole("button", { name: "Clear filters" }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    expect((await download).suggestedFilename()).toBe("incentives.csv");
    const lines = (await readFile(await (await download).path(), "utf8")).trim().split("\r\n");
    expect(lines[0]).toBe(
      "associationId,claimName,customerTenantId,customerDomain,workload,milestoneKey,programId,programVersion,units,amount,currency,reportRefreshDate,earnedAt,payableOn",
    );
    expect(lines.slice(1).sort()).toEqual(
      [
        `${earning.id},Contoso modern work,${earning.customerTenantId},contoso.onmicrosoft.com,teams,active-15,fy20-osu-milestones,1,400,300,USD,2026-10-05,2026-10-05T08:00:00.000Z,2026-11-25`,
        `${earning.id},Contoso modern work,${earning.customerTenantId},contoso.onmicrosoft.com,teams,active-40,fy20-osu-milestones,1,400,1250.5,USD,2026-11-10,2026-11-10T08:00:00.000Z,2026-12-25`,
      ].sort(),
    );
    await page.close();
  });

  it("shows the forecast of payments: the windows, the months and each projected milestone", async () => {
    const response = await app.call(partner.apiKey, "GET", "/api/v1/forecast");
    const forecast = (await response.json()) as z.infer<typeof forecastResponse>;
    expect(forecast.items.map((i) => [i.associationId, i.workload, i.milestoneKey])).toEqual([
      [rising.id, "teams", "active-15"],
    ]);
    const [item] = forecast.items;
    const amount = `${new Intl.NumberFormat("en", { minimumFractionDigits: 2 }).format(item!.amount)} USD`;

    const page = await signedIn(widths[0], "/incentives");
    await page.getByRole("heading", { name: "Forecast of payments" }).waitFor();
    await page.getByRole("table", { name: "Projected milestones" }).waitFor();
    expect(await page.locator("dl dd").allInnerTexts()).toEqual([
      `1 milestone, ${amount}`,
      `1 milestone, ${amount}`,
      `1 milestone, ${amount}`,
    ]);
    expect(await bodyRows(page, "Expected payments by month payable")).toEqual([
      [item!.payableOn.slice(0, 7), "1", amount],
    ]);
    expect(await bodyRows(page, "Projected milestones")).toEqual([
      ["Northwind Teams adoption", "teams", "active-15", item!.projectedOn, amount, item!.payableOn],
    ]);
    const link = page.getByRole("link", { name: "Northwind Teams adoption" });
    expect(await link.getAttribute("href")).toBe(`/associations/${rising.id}`);
    await page.close();
  });

  it("tells a partner with nothing earned or projected what comes next", async () => {
    const other = await app.partner("Northwind Traders");
    for (const width of widths) {
      const page = await signedIn(width, "/incentives", other.apiKey);
      await page.getByText("No incentives earned yet.").waitFor();
      await page.getByText("No milestone is projected within 90 days.").waitFor();
      expect(await page.getByRole("button", { name: "Export CSV" }).count()).toBe(0);
      await checkPage(page, "incentives-empty", width);
      await page.close();
    }
  });

  it("has no serious or critical accessibility violation at 1280 and 390 px", async () => {
    for (const width of widths) {
      const page = await signedIn(width, "/incentives");
      await page.getByRole("table", { name: "Earned by workload" }).waitFor();
      await page.getByRole("table", { name: "Projected milestones" }).waitFor();
      await checkPage(page, "incentives", width);
      await page.close();
    }
  });
});
