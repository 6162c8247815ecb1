import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { z } from "zod";
import { metricName } from "../../dashboard/src/score/names";
import type { PcsSnapshot } from "../../src/domain/pcs/records";
import type { pcsCustomersResponse } from "../../src/http/responseSchemas";
import { createStore } from "../../src/store/store";
import { cporRequest, draftAssociation } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";

const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);

/** Rows of a table's body, each as its cells' text. */
async function bodyRows(page: Page, caption: string): Promise<string[][]> {
  const rows = await page.getByRole("table", { name: caption }).locator("tbody tr").allInnerTexts();
  return rows.map((row) => row.split("\t").map((cell) => cell.trim()));
}

const customersCaption = "Customers and the metrics they count toward";

/** Score, below the areas: one area's trend against the 70-point line, and its customers with reasons. */
describe("dashboard: Score trend and customer eligibility", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let tenant: string;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    const request = cporRequest({ customerTenantId: randomUUID() });
    tenant = request.customerTenantId;
    const approvedAt = `${day(30)}T10:00:00.000Z`;
    await store.associations.create(
      draftAssociation(partner.partnerId, {
        status: "Approved",
        request,
        customerTenantId: tenant,
        statusChangedAt: approvedAt,
        baseline: { approvedAt, workloads: {} },
      }),
    );
    for (const [ago, total, qualifiedToday] of [
      [20, 40, false],
      [10, 55.5, false],
      [1, 72, true],
    ] as const) {
      const snapshot: PcsSnapshot = {
        area: "modern-work",
        day: day(ago),
        programYear: "FY27",
        total,
        qualifiedToday,
        metrics: [{ metric: "net-customer-adds", points: total, max: 100 }],
      };
      await store.pcs.putSnapshot(partner.partnerId, snapshot);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
  });

  const signedIn = (width: Width, path: string) =>
    signedInPage(browser, `${app.url}${path}`, partner.apiKey, width);

  /** The customers table as the page should show the API's answer for `area`. */
  async function expectedCustomers(area: string): Promise<string[][]> {
    const response = await app.call(partner.apiKey, "GET", `/api/v1/pcs/customers?area=${area}`);
    const { items } = (await response.json()) as z.infer<typeof pcsCustomersResponse>;
    return items.map((c) => [
      c.customerTenantId,
      c.metrics.length === 0 ? "nothing yet" : c.metrics.map(metricName).join(", "),
      c.reasons.length === 0 ? "—" : c.reasons.map((r) => `${metricName(r.metric)}: ${r.reason}`).join("\n"),
    ]);
  }

  it("draws an area's daily total against the 70-point line, with the same figures in a table", async () => {
    const page = await signedIn(widths[0], "/score");
    await page.getByRole("heading", { name: "Trend of Modern Work" }).waitFor();
    const chart = page.getByRole("img", { name: /^Modern Work: total points by day/ });
    expect(await chart.getAttribute("aria-label")).toBe(
      `Modern Work: total points by day from ${day(20)} (40) to ${day(1)} (72), against the 70-point line.`,
    );
    await page.getByText("The trend's figures (3 days)").click();
    expect(await bodyRows(page, "Daily totals of Modern Work")).toEqual([
      [day(20), "40", "no"],
      [day(10), "55.5", "no"],
      [day(1), "72", "yes"],
    ]);
    await page.close();
  });

  it("lists each customer with the metrics it counts toward and why not the others, per area", async () => {
    const page = await signedIn(widths[0], "/score");
    await page.getByRole("heading", { name: "Customers in Modern Work" }).waitFor();
    const modernWork = await expectedCustomers("modern-work");
    expect(modernWork.map(([customer]) => customer)).toEqual([tenant]);
    expect(await bodyRows(page, customersCaption)).toEqual(modernWork);

    await page.getByRole("combobox", { name: "Solution area" }).selectOption("Security");
    await page.getByRole("heading", { name: "Customers in Security" }).waitFor();
    await page.getByText("No score recorded for Security").waitFor();
    const security = await expectedCustomers("security");
    if (security.length === 0) await page.getByText("No customer counts toward Security yet.").waitFor();
    else expect(await bodyRows(page, customersCaption)).toEqual(security);
    await page.close();
  });

  it("has no serious or critical accessibility violation with the trend's figures open, at 1280 and 390 px", async () => {
    for (const width of widths) {
      const page = await signedIn(width, "/score");
      await page.getByRole("table", { name: customersCaption }).waitFor();
      await page.getByText("The trend's figures (3 days)").click();
      await page.getByRole("table", { name: "Daily totals of Modern Work" }).waitFor();
      await checkPage(page, "score-trend", width);
      await page.close();
    }
  });
});
