import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { randomBytes } from "node:crypto";
import { startFakeArm, type FakeArm, type FakeIdentity } from "../fixtures/fakeArm";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, signedInPage, widths, type Width } from "./browser";

/**
 * PAL links: a bulk link through the form against the fake Azure Resource Manager, its progress
 * followed to the end with each tenant's result; the inventory listing the links; a drifted link
 * flagged after "Verify now"; a bad tenant ID named beside the tenants box.
 */
describe("dashboard: PAL links", () => {
  let app: AppUnderTest;
  let arm: FakeArm;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    arm = await startFakeArm(inject("fakeTls"));
    app = await startApp({
      SECRETS_KEY: randomBytes(32).toString("base64"),
      ARM_BASE_URL: arm.url,
      AZURE_AUTHORITY_HOST: arm.url,
    });
    partner = await app.partner("Fabrikam Consulting");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
    await arm?.stop();
  });

  const open = (width: Width) => signedInPage(browser, `${app.url}/pal-links`, partner.apiKey, width);

  /** Fills the bulk-link form with `identity` and `tenants` (one per line) and submits it. */
  async function bulkLink(page: Page, identity: FakeIdentity, tenants: readonly string[]) {
    await page.getByLabel("Identity client ID").fill(identity.clientId);
    await page.getByLabel("Client secret").fill(identity.clientSecret);
    await page.getByLabel("Customer tenant IDs").fill(tenants.join("\n"));
    await page.getByRole("button", { name: /^Link \d+ tenants?$/ }).click();
  }

  /**
   * Records every value the progress bar shows, from its first render on, in `window.progressSeen`
   * (a string, evaluated in the page: this project's type check has no DOM).
   */
  async function recordProgress(page: Page) {
    await page.evaluate(`
      window.progressSeen = [];
      new MutationObserver(() => {
        const bar = document.getElementById("job-progress");
        const value = bar && bar.getAttribute("value");
        if (value !== null && value !== undefined && Number(value) !== window.progressSeen.at(-1))
          window.progressSeen.push(Number(value));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    `);
  }

  /** Waits for the job to finish and answers the progress bar's value and maximum. */
  async function finished(page: Page) {
    await page.getByText(/^Finished: /).waitFor();
    const bar = page.getByRole("progressbar");
    return { value: await bar.getAttribute("value"), max: await bar.getAttribute("max") };
  }

  it("links tenants in bulk, shows the job's progress to the end with each tenant's result, then lists them", async () => {
    const page = await open(widths[0]);
    await page.getByText("No PAL links yet.").waitFor();
    const first = arm.identity();
    const consented = [first, arm.consent(first, randomUUID()), arm.consent(first, randomUUID())];
    const notConsented = randomUUID();
    await recordProgress(page);
    await bulkLink(page, first, [...consented.map((c) => c.tenantId), notConsented]);

    await page.getByRole("heading", { name: "Bulk link progress" }).waitFor();
    expect(await finished(page)).toEqual({ value: "4", max: "4" });
    // The bar moved on its own: it showed the job at its start, then only ever went forward.
    const seen = await page.evaluate<number[]>("window.progressSeen");
    expect(seen[0]).toBeLessThan(4);
    expect(seen.at(-1)).toBe(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await page.getByText("Finished: 3 succeeded, 1 failed of 4.").waitFor();
    const results = page.getByRole("list", { name: "Results" });
    expect(await results.getAttribute("aria-live")).toBe("polite");
    for (const c of consented)
      await results.getByRole("listitem").filter({ hasText: c.tenantId }).getByText("linked").waitFor();
    await results.getByRole("listitem").filter({ hasText: notConsented }).getByText("failed").waitFor();
    // The secret went with the request only: the box is empty and the page never shows it.
    expect(await page.getByLabel("Client secret").inputValue()).toBe("");
    expect(await page.content()).not.toContain(first.clientSecret);

    // The inventory reloads once the job is finished: each link, its partner ID, no drift.
    const inventory = page.getByRole("region", { name: "PAL links, scrollable" });
    for (const c of consented) {
      const row = inventory.getByRole("row").filter({ hasText: c.tenantId });
      await row.waitFor();
      expect(await row.getByRole("cell").allTextContents()).toEqual(
        expect.arrayContaining(["Active", partner.locationId, "none"]),
      );
    }
    expect(await inventory.getByRole("row").filter({ hasText: notConsented }).count()).toBe(0);
    for (const c of consented) expect(arm.linkOf(c)?.partnerId).toBe(partner.locationId);

    await inventory.getByRole("link", { name: consented[0]?.tenantId ?? "" }).click();
    await page.waitForURL(/\/associations\/[^/]+$/);
    await page.close();
  });

  it("flags a link that drifted once it is verified, with what was found", async () => {
    const identity = arm.identity();
    const page = await open(widths[0]);
    await bulkLink(page, identity, [identity.tenantId]);
    await finished(page);
    const row = page.getByRole("row").filter({ hasText: identity.tenantId });
    await row.getByText("none", { exact: true }).waitFor();

    arm.setLink(identity, "5550002");
    await row.getByRole("button", { name: `Verify now ${identity.tenantId}` }).click();
    await row.getByText("Drifted: another partner's ID").waitFor();
    expect(await row.textContent()).toContain("5550002");
    await page.getByText(`The link in ${identity.tenantId} drifted: another partner's ID.`).waitFor();

    await page.getByLabel("Drift", { exact: true }).selectOption("any");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("row").filter({ hasText: identity.tenantId }).waitFor();
    // Only the drifted link is left (a string, evaluated in the page: this project's type check has no DOM).
    await page.waitForFunction("document.querySelectorAll('tbody tr').length === 1");
    await page.close();
  });

  it("names each bad field beside its control (a tenant by its place and value) and starts nothing", async () => {
    const identity = arm.identity();
    const page = await open(widths[0]);
    await bulkLink(page, { ...identity, clientId: "not-a-client" }, [identity.tenantId, "not-a-tenant"]);
    const errorOf = async (label: string) => {
      const control = page.getByLabel(label, { exact: true });
      expect(await control.getAttribute("aria-invalid"), label).toBe("true");
      const [id] =
        (await control.getAttribute("aria-describedby"))?.split(" ").filter((i) => i.endsWith("-error")) ??
        [];
      return page.locator(`[id="${id}"]`).textContent();
    };
    await page.getByText("tenant 2 (not-a-tenant): must be a GUID").waitFor();
    expect(await errorOf("Customer tenant IDs")).toBe("tenant 2 (not-a-tenant): must be a GUID");
    expect(await errorOf("Identity client ID")).toBe("must be a GUID");
    expect(await page.getByLabel("Client secret").getAttribute("aria-invalid")).toBe("false");
    expect(await page.getByRole("heading", { name: "Bulk link progress" }).count()).toBe(0);
    expect(arm.linkOf(identity)).toBeUndefined();
    await page.close();
  });

  it("has no serious or critical accessibility violation at 1280 and 390 px, with a job shown", async () => {
    for (const width of widths) {
      const identity = arm.identity();
      const page = await open(width);
      await bulkLink(page, identity, [identity.tenantId]);
      await finished(page);
      await page.getByRole("row").filter({ hasText: identity.tenantId }).waitFor();
      await checkPage(page, "pal-links", width);
      await page.close();
    }
  });
});
