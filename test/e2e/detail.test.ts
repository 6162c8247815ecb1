import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { associationViewResponse } from "../../src/http/responseSchemas";
import { createStore } from "../../src/store/store";
import { cporRequest, draftAssociation, poeSubmissionFor } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import {
  checkPage,
  launchChromium,
  screenshot,
  seriousViolations,
  signedInPage,
  widths,
  type Width,
} from "./browser";

/**
 * An association's page: where it stands, its timeline, the PoE template, the actions allowed now
 * behind their dialogs (PoE, review outcome, dispute, DPOR confirmation, withdrawal), the PoE and
 * consent state, each workload's usage chart and the incentives earned.
 */
describe("dashboard: association detail", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let id: string;

  beforeAll(async () => {
    // Windows long enough to click through: the PoE deadline and the refusal window (a claim under
    // review is approved when it ends) are seconds by default (test/support/appSettings.ts).
    app = await startApp({ LIFECYCLE_POE_DEADLINE: "PT10M", LIFECYCLE_REFUSAL_WINDOW: "PT10M" });
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
  /** A new claim of a fresh customer tenant (so no claim here holds its workloads). */
  async function newClaim(claimName: string): Promise<string> {
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, claimName, customerTenantId: randomUUID() }),
    );
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }

  /** The association's status as the API answers it, once it is `status` (the workflow moves some). */
  async function statusBecomes(associationId: string, status: string): Promise<void> {
    const until = Date.now() + 20_000;
    for (;;) {
      const view = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/associations/${associationId}`)
      ).json()) as { status: string };
      if (view.status === status) return;
      if (Date.now() > until) throw new Error(`still ${view.status}, never ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The dialog `name`, opened by its button `opener`, checked by axe as it opens. */
  async function openDialog(page: Page, opener: string, name: string): Promise<Locator> {
    await page.getByRole("button", { name: opener, exact: true }).click();
    const dialog = page.getByRole("dialog", { name });
    await dialog.waitFor();
    expect(await seriousViolations(page), `the dialog "${name}"`).toEqual([]);
    return dialog;
  }

  /** The error the page shows beside the control labelled `label` (its aria-describedby). */
  async function errorBeside(scope: Locator, label: string): Promise<string> {
    const control = scope.getByLabel(label, { exact: true });
    expect(await control.getAttribute("aria-invalid")).toBe("true");
    const described = (await control.getAttribute("aria-describedby")) ?? "";
    const errorId = described.split(" ").find((part) => part.endsWith("-error"));
    expect(errorId, `an error beside ${label}`).toBeDefined();
    return (await scope.locator(`[id="${errorId}"]`).textContent()) ?? "";
  }

  const today = () => new Date().toISOString().slice(0, 10);
  const pdf = { name: "statement-of-work.pdf", mimeType: "application/pdf" };

  it("submits the PoE through its dialog: a missing signer is named beside its field; then the consent state shows", async () => {
    const claimId = await newClaim("Contoso PoE through the page");
    const page = await signedIn(widths[0], `/associations/${claimId}`);
    await page.getByRole("heading", { name: "Contoso PoE through the page" }).waitFor();
    const state = page.getByRole("region", { name: "Proof of execution and consent" });
    await state.getByText("Not submitted yet.").waitFor();
    await state.getByText("Not sent yet: it goes out once the claim is submitted.").waitFor();

    const dialog = await openDialog(page, "Submit the PoE…", "Submit the claim with its proof of execution?");
    await dialog
      .getByLabel("Signed document")
      .setInputFiles({ ...pdf, buffer: Buffer.from("%PDF-1.4 signed statement of work") });
    await dialog.getByLabel("Signer's email").fill("megan@contoso.com");
    await dialog.getByLabel("Signed on").fill(today());
    await dialog.getByLabel("Services delivered").fill("Teams rollout and Exchange migration.");
    expect(await dialog.getByRole("checkbox", { name: "teams" }).isChecked()).toBe(true);
    await dialog.getByRole("button", { name: "Submit the PoE", exact: true }).click();
    await dialog.locator(".field-error").first().waitFor();
    expect(await errorBeside(dialog, "Signed by (the customer's name)")).toBe(
      "no signature: name the customer who signed",
    );
    expect(await dialog.getByLabel("Signer's email").getAttribute("aria-invalid")).toBe("false");
    expect(await seriousViolations(page), "the PoE dialog with its errors").toEqual([]);
    await screenshot(page, "association-poe-dialog");

    await dialog.getByLabel("Signed by (the customer's name)").fill("Megan Bowen");
    await dialog.getByRole("button", { name: "Submit the PoE", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    // The page reads a Submitted claim again until the workflow has emailed the customer.
    await page.getByText("Under review (UnderReview)").waitFor();
    await state
      .getByText(`statement-of-work.pdf (33 bytes), signed by Megan Bowen on ${today()}; submitted`)
      .waitFor();
    await state.getByText(/^Sent to megan@contoso\.com at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/).waitFor();
    await state
      .getByText(/^No refusal so far; the claim is approved at .* unless the customer refuses\.$/)
      .waitFor();
    expect(await page.getByRole("button", { name: "Submit the PoE…" }).count()).toBe(0);
    await page.getByRole("button", { name: "Record a review outcome…" }).waitFor();
    await page.close();
    // What the page read, held to the API's strict schema: the PoE's facts, never the document.
    const view = associationViewResponse.parse(
      await (await app.call(partner.apiKey, "GET", `/api/v1/associations/${claimId}`)).json(),
    );
    expect(view.poeSubmissions).toEqual([
      {
        at: expect.any(String) as unknown,
        documentName: "statement-of-work.pdf",
        bytes: 33,
        customerSignerName: "Megan Bowen",
        signedDate: today(),
      },
    ]);
    expect(view.consent).toEqual({ emailSentAt: expect.any(String) as unknown, customerAnswer: null });
  });

  it("records Partner Center's rejection with its reason, then disputes it", async () => {
    const claimId = await newClaim("Contoso review and dispute");
    const submitted = await app.call(
      partner.apiKey,
      "POST",
      `/api/v1/associations/${claimId}/poe`,
      poeSubmissionFor(),
    );
    expect(submitted.status).toBe(202);
    await statusBecomes(claimId, "UnderReview");
    const page = await signedIn(widths[0], `/associations/${claimId}`);
    await page.getByText("Under review (UnderReview)").waitFor();

    const review = await openDialog(
      page,
      "Record a review outcome…",
      "Record Partner Center's review outcome?",
    );
    // A request for action needs a reason: the API says so beside the reasons.
    await review.getByLabel("Outcome").selectOption("partner-action-required");
    await review.getByRole("group", { name: "What the reviewer asks for" }).waitFor();
    await review.getByRole("button", { name: "Record the outcome" }).click();
    await review
      .getByRole("group", { name: "What the reviewer asks for" })
      .getByText(/^partner-action-required needs at least one reason/)
      .waitFor();
    await review.getByLabel("Outcome").selectOption("rejected");
    const reasons = review.getByRole("group", { name: "Why it was rejected" });
    expect(await reasons.getByRole("checkbox").count()).toBe(7);
    await reasons.getByRole("checkbox", { name: "Insufficient proof of execution" }).check();
    await review.getByLabel("Comment (optional)").fill("No signature on page 2.");
    expect(await seriousViolations(page), "the review dialog with its reasons").toEqual([]);
    await review.getByRole("button", { name: "Record the outcome" }).click();
    await review.waitFor({ state: "hidden" });
    await expect
      .poll(() => page.locator("dl.facts dd").first().textContent(), { timeout: 15_000 })
      .toBe("Rejected");
    await page.getByText(/^rejected on .* \(insufficient-poe\): No signature on page 2\.$/).waitFor();
    expect(await page.getByRole("button", { name: "Record a review outcome…" }).count()).toBe(0);

    const dispute = await openDialog(page, "Dispute…", "Dispute the rejection?");
    await dispute.getByLabel("Why the rejection is wrong").fill("The customer signed page 2 on 1 November.");
    await dispute.getByRole("button", { name: "Dispute", exact: true }).click();
    await dispute.waitFor({ state: "hidden" });
    await page.getByText("Under review (Dispute)").waitFor();
    await page
      .getByText("the partner disputed the rejection: The customer signed page 2 on 1 November.")
      .waitFor();
    expect(await page.getByRole("button", { name: "Dispute…" }).count()).toBe(0);
    await page.getByRole("button", { name: "Record a review outcome…" }).waitFor();
    await statusBecomes(claimId, "Dispute");
    await page.close();
  });

  it("confirms a DPOR with its evidence", async () => {
    const created = await app.call(partner.apiKey, "POST", "/api/v1/associations", {
      type: "dpor",
      partnerLocationId: partner.locationId,
      customerTenantId: randomUUID(),
      customerDomain: "contoso.onmicrosoft.com",
      subscriptionId: randomUUID(),
      customerContact: { name: "Megan Bowen", title: "Account owner", email: "megan@contoso.com" },
      partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
    });
    expect(created.status).toBe(201);
    const dporId = ((await created.json()) as { id: string }).id;
    const page = await signedIn(widths[0], `/associations/${dporId}`);
    await page.getByText("Not set yet (requested from the customer) (Requested)").waitFor();
    expect(await page.getByRole("button", { name: "Submit the PoE…" }).count()).toBe(0);

    const dialog = await openDialog(
      page,
      "Confirm the DPOR…",
      "Confirm the customer set you as Digital Partner of Record?",
    );
    await dialog.getByLabel("What shows it").selectOption("partner-center-report");
    await dialog.getByLabel("Note (optional)").fill("Listed in the DPOR report of 2 December.");
    await dialog.getByLabel("Document (optional)").setInputFiles({
      name: "dpor-report.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4 report"),
    });
    await dialog.getByRole("button", { name: "Confirm", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect
      .poll(() => page.locator("dl.facts dd").first().textContent(), { timeout: 15_000 })
      .toBe("Active");
    await page
      .getByText(
        /by a Partner Center report \(dpor-report\.pdf\): Listed in the DPOR report of 2 December\.$/,
      )
      .waitFor();
    expect(await page.getByRole("button", { name: "Confirm the DPOR…" }).count()).toBe(0);
    await statusBecomes(dporId, "Active");
    await page.close();
  });

  it("charts an approved claim's usage against each threshold, with the readings as a table and the incentives earned", async () => {
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString();
    const customerTenantId = randomUUID();
    const approved = draftAssociation(partner.partnerId, {
      status: "Approved",
      customerTenantId,
      request: cporRequest({ customerTenantId, claimName: "Contoso usage and incentives" }),
      units: ["workload:teams", "workload:exchange"],
      statusChangedAt: day(20),
      baseline: { approvedAt: day(20), workloads: {} },
    });
    await store.associations.create(approved);
    // Teams on 400 seats: 40, 60, 80 active (10%, 15%, 20%): active-15 reached, active-40 ahead.
    for (const [ago, activeUsers] of [
      [19, 40],
      [9, 60],
      [0, 80],
    ] as const)
      await store.usageSnapshots.record({
        customerTenantId,
        workload: "teams",
        reportRefreshDate: day(ago).slice(0, 10),
        paidSeats: 400,
        activeUsers,
        fetchedAt: day(ago),
      });
    await store.usageSnapshots.recordNotMeasurable(
      customerTenantId,
      "exchange",
      "the app lacks Reports.Read.All in the customer tenant",
      day(19),
    );
    await store.incentiveLedger.recordOnce({
      partnerId: partner.partnerId,
      associationId: approved.id,
      claimName: "Contoso usage and incentives",
      customerTenantId,
      workload: "teams",
      milestoneKey: "active-15",
      programId: "fy20-osu-milestones",
      programVersion: 1,
      units: 1,
      amount: 4000,
      currency: "USD",
      reportRefreshDate: day(9).slice(0, 10),
      earnedAt: day(9),
      payableOn: "2027-01-16",
    });

    for (const width of widths) {
      const page = await signedIn(width, `/associations/${approved.id}`);
      await page.getByRole("heading", { name: "Usage toward milestones" }).waitFor();
      const chart = page.getByRole("img", {
        name: `teams: active share by report date from ${day(19).slice(0, 10)} to ${day(0).slice(0, 10)}, latest 20%; thresholds active-15 (15%), active-40 (40%)`,
      });
      await chart.waitFor();
      expect(await chart.evaluate((canvas: { tagName: string }) => canvas.tagName)).toBe("CANVAS");
      // The readings, and against each threshold whether they met it.
      await page.getByText("teams: the readings as a table").click();
      const table = page.getByRole("table", { name: /^teams: readings since approval/ });
      await table.getByRole("columnheader", { name: "active-15 (15%)" }).waitFor();
      await table.getByRole("columnheader", { name: "active-40 (40%)" }).waitFor();
      const rows = await table.getByRole("row").allInnerTexts();
      expect(rows.slice(1).map((r) => r.split("\t").map((c) => c.trim()))).toEqual([
        [day(19).slice(0, 10), "400", "40", "10%", "below", "below"],
        [day(9).slice(0, 10), "400", "60", "15%", "met", "below"],
        [day(0).slice(0, 10), "400", "80", "20%", "met", "below"],
      ]);
      await page
        .getByRole("progressbar", { name: "teams, active-15: 20% active of 15% — reached" })
        .waitFor();
      await page.getByRole("progressbar", { name: "teams, active-40: 20% active of 40%" }).waitFor();
      // Exchange cannot be measured: its reason, and no bar that would read 0%.
      await page
        .getByText(
          /Not measurable in the customer tenant since .*: the app lacks Reports\.Read\.All in the customer tenant\./,
        )
        .waitFor();
      expect(await page.getByRole("progressbar", { name: /^exchange/ }).count()).toBe(0);

      const earned = page.getByRole("table", { name: "Incentives earned by this association" });
      expect(
        (await earned.getByRole("row").allInnerTexts()).map((r) => r.split("\t").map((c) => c.trim())),
      ).toEqual([
        ["Workload", "Milestone", "Amount", "Earned", "Payable"],
        ["teams", "active-15", "$4,000.00", day(9).slice(0, 10), "2027-01-16"],
        ["Total", "$4,000.00", ""],
      ]);
      await checkPage(page, "association-usage", width);
      await page.close();
    }
  });

  it("says when an approved claim has earned nothing yet", async () => {
    const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    const customerTenantId = randomUUID();
    const approved = draftAssociation(partner.partnerId, {
      status: "Approved",
      customerTenantId,
      request: cporRequest({ customerTenantId, claimName: "Contoso nothing earned" }),
    });
    await store.associations.create(approved);
    const page = await signedIn(widths[0], `/associations/${approved.id}`);
    await page.getByRole("heading", { name: "Incentives earned" }).waitFor();
    await page.getByText("None yet: each milestone reached is recorded here once.").waitFor();
    await page.close();
  });
});
