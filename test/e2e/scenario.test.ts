import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startFakeGraph, type FakeGraph } from "../fixtures/fakeGraph";
import { cporRequest, poeSubmissionFor } from "../support/builders";
import { startApp, type AppUnderTest } from "../support/app";
import { checkPage, launchChromium, seriousViolations, signedInPage, widths } from "./browser";

/**
 * The partner's day through the dashboard only, against the app on the local host: a claim made
 * with the form, its PoE submitted, the consent email read in the outbox, the customer's refusal
 * on the consent page, and the refusal on the claim's page and on Today; then a claim approved by
 * recording Partner Center's outcome, whose usage (Microsoft Graph, faked on loopback) crosses a
 * milestone: on Today, on its chart and in Incentives. (Bulk PAL linking: pal.test.ts.)
 */
const dayMs = 86_400_000;
const date = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);

describe("dashboard: a partner's day, end to end", () => {
  let app: AppUnderTest;
  let graph: FakeGraph;
  let pollQueue: QueueClient;
  let browser: Browser;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    graph = await startFakeGraph({ tls: inject("fakeTls") });
    const queueName = `usage-poll-${randomBytes(4).toString("hex")}`;
    app = await startApp({
      // Claims stay in review until the test decides (no approval by the refusal window meanwhile).
      LIFECYCLE_REFUSAL_WINDOW: "PT10M",
      USAGE_PROVIDER: "graph",
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      AZURE_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      USAGE_POLL_QUEUE: queueName,
      // The timer never fires during the test (midnight on 1 January): the test polls through the queue.
      USAGE_POLL_SCHEDULE: "0 0 0 1 1 *",
    });
    pollQueue = new QueueClient(inject("storageConnectionString"), queueName);
    await pollQueue.createIfNotExists();
    partner = await app.partner("Fabrikam Consulting");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.host.stop();
    await graph?.stop();
  });

  const open = (path: string, width: (typeof widths)[number] = widths[0]) =>
    signedInPage(browser, `${app.url}${path}`, partner.apiKey, width);

  async function statusOf(id: string): Promise<string> {
    const view = (await (await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`)).json()) as {
      status: string;
    };
    return view.status;
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  /** Opens the dialog by its button and checks it with axe as it opens. */
  async function dialog(page: Page, opener: string, name: string) {
    await page.getByRole("button", { name: opener, exact: true }).click();
    const found = page.getByRole("dialog", { name });
    await found.waitFor();
    expect(await seriousViolations(page), `the dialog "${name}"`).toEqual([]);
    return found;
  }

  it("makes a claim with the form, submits its PoE, and sees the customer refuse it through the emailed link", async () => {
    const tenant = randomUUID();
    const page = await open("/");
    await page.getByRole("heading", { name: "Today" }).waitFor();
    await page.getByRole("link", { name: "Associations", exact: true }).click();
    await page.getByRole("link", { name: "New association…" }).click();
    await page.getByRole("heading", { name: "New association" }).waitFor();
    for (const width of widths) {
      await page.setViewportSize({ width: width.width, height: width.height });
      await checkPage(page, "new-association", width);
    }
    await page.setViewportSize({ width: widths[0].width, height: widths[0].height });

    // A first try without the customer's domain: the API's error appears beside that field.
    await page.getByLabel("Claim name (yours, optional)").fill("Contoso Teams rollout");
    await page.getByLabel("Partner location ID").fill(partner.locationId);
    await page.getByLabel("Customer tenant ID").fill(tenant);
    await page.getByRole("checkbox", { name: "teams", exact: true }).check();
    await page.getByLabel("Services in scope").fill("Teams deployment and adoption workshops.");
    await page.getByLabel("Customer contact: name").fill("Megan Bowen");
    await page.getByLabel("Customer contact: title").fill("IT Director");
    await page.getByLabel("Customer contact: email").fill("megan@contoso.com");
    await page.getByLabel("Your contact: name").fill("Alex Wilber");
    await page.getByLabel("Your contact: email").fill("alex@fabrikam.com");
    await page.getByRole("button", { name: "Create" }).click();
    const domain = page.getByLabel("Customer's initial domain");
    await expect.poll(() => domain.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#new-customerDomain-error").textContent()).toMatch(/\w/);
    await domain.fill("contoso.onmicrosoft.com");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "Contoso Teams rollout" }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    expect(await statusOf(id)).toBe("Draft");

    const poe = await dialog(page, "Submit the PoE…", "Submit the claim with its proof of execution?");
    await poe.getByLabel("Signed document").setInputFiles({
      name: "statement-of-work.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4 signed statement of work"),
    });
    await poe.getByLabel("Signed by (the customer's name)").fill("Megan Bowen");
    await poe.getByLabel("Signer's email").fill("megan@contoso.com");
    await poe.getByLabel("Signed on").fill(date(0));
    await poe.getByLabel("Services delivered").fill("Teams deployment and adoption workshops.");
    await poe.getByRole("button", { name: "Submit the PoE", exact: true }).click();
    await poe.waitFor({ state: "hidden" });
    await page.getByText("Under review (UnderReview)").waitFor();

    // The consent email, in the outbox, carries the customer's link.
    await page.getByRole("link", { name: "Outbox" }).click();
    const email = page.getByRole("listitem").filter({ hasText: "megan@contoso.com" }).first();
    await email.waitFor();
    const link = /https?:\/\/\S+\/consent\/[^\s"<]+/.exec((await email.textContent()) ?? "")?.[0];
    expect(link, "the consent link in the email").toBeDefined();

    // The customer opens it and refuses.
    const customer = await browser.newPage();
    await customer.goto(link ?? "");
    await customer.getByLabel("Reason (optional)").fill("We never worked with Fabrikam on Teams.");
    await customer.getByRole("button", { name: "Refuse this association" }).click();
    await until("the refusal", async () => (await statusOf(id)) === "Rejected");
    await customer.close();

    await page.goto(`${app.url}/associations/${id}`);
    await expect
      .poll(() => page.locator("dl.facts dd").first().textContent(), { timeout: 15_000 })
      .toBe("Rejected");
    await page
      .getByText(/We never worked with Fabrikam on Teams\./)
      .first()
      .waitFor();
    await page.getByRole("link", { name: "Today" }).click();
    const news = page.getByRole("region", { name: "Since your last visit" });
    const refusal = news.getByRole("link", { name: "Contoso Teams rollout — the customer refused" });
    await refusal.waitFor();
    await refusal.click();
    await page.getByRole("heading", { name: "Contoso Teams rollout" }).waitFor();
    await page.close();
  });

  it("approves a claim by recording Partner Center's outcome; its usage crosses 15% and shows on Today, its chart and Incentives", async () => {
    const tenant = randomUUID();
    const report = (refreshDate: string, teamsActive: number) =>
      graph.setTenant(tenant, {
        refreshDate,
        skus: [{ skuPartNumber: "SPE_E3", enabled: 400 }],
        counts: { getOffice365ServicesUserCounts: { "Teams Active": teamsActive, "Exchange Active": 0 } },
      });
    const poll = async () => {
      const reads = graph.stats(tenant).subscribedSkusCalls;
      await pollQueue.sendMessage(
        Buffer.from(JSON.stringify({ customerTenantId: tenant })).toString("base64"),
      );
      await until("the poll", () => Promise.resolve(graph.stats(tenant).subscribedSkusCalls > reads));
    };
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({
        partnerLocationId: partner.locationId,
        customerTenantId: tenant,
        workloads: ["teams"],
        claimName: "Contoso Teams adoption",
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const submitted = await app.call(
      partner.apiKey,
      "POST",
      `/api/v1/associations/${id}/poe`,
      poeSubmissionFor({ workloads: ["teams"] }),
    );
    expect(submitted.status).toBe(202);
    await until("the review", async () => (await statusOf(id)) === "UnderReview");
    report(date(-1), 20); // 5% before approval: the baseline
    await poll();

    const page = await open(`/associations/${id}`);
    await page.getByRole("heading", { name: "Contoso Teams adoption" }).waitFor();
    const review = await dialog(page, "Record a review outcome…", "Record Partner Center's review outcome?");
    await review.getByLabel("Outcome").selectOption("approved");
    await review.getByRole("button", { name: "Record the outcome" }).click();
    await review.waitFor({ state: "hidden" });
    await expect
      .poll(() => page.locator("dl.facts dd").first().textContent(), { timeout: 15_000 })
      .toBe("Approved");
    await until("the baseline", async () => {
      const usage = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}/usage`)
      ).json()) as {
        baseline: unknown;
      };
      return usage.baseline !== null;
    });

    report(date(1), 80); // 20%: Teams crosses 15%
    await poll();
    await until("the milestone in the ledger", async () => {
      const ledger = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/incentives?associationId=${id}`)
      ).json()) as {
        items: unknown[];
      };
      return ledger.items.length === 1;
    });

    await page.reload();
    await page.getByRole("heading", { name: "Contoso Teams adoption" }).waitFor();
    const chart = page.getByRole("img", { name: /teams/i }).first();
    await chart.waitFor();
    expect(await chart.getAttribute("aria-label")).toMatch(/15%/);
    await page.getByRole("progressbar", { name: /teams, active-15: 20% active of 15% — reached/ }).waitFor();
    const earned = page.getByRole("region", { name: "Incentives earned, scrollable" });
    expect(await earned.textContent()).toContain("active-15");

    await page.getByRole("link", { name: "Today" }).click();
    const news = page.getByRole("region", { name: "Since your last visit" });
    await news.getByRole("link", { name: "Contoso Teams adoption — teams reached active-15" }).waitFor();

    await page.getByRole("link", { name: "Incentives" }).click();
    await page.getByRole("heading", { name: "Incentives", exact: true }).waitFor();
    await page.getByRole("link", { name: "Contoso Teams adoption" }).first().waitFor();
    await page.close();
  });
});
