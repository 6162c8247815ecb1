import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * The claim lifecycle as Partner Center runs it, end to end on the local host through the public
 * API, the consent page and the inbound-email queue: review outcomes, the partner-action window,
 * disputes (accepted, refused, expired, re-claim conflict), decisions racing each other, and a
 * customer's cancellation after the workflow has completed. Durations are seconds: the refusal
 * window is long enough to record outcomes while UnderReview.
 */
describe("the claim lifecycle as Partner Center runs it", () => {
  let app: AppUnderTest;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp({
      LIFECYCLE_REFUSAL_WINDOW: "PT30S",
      LIFECYCLE_PARTNER_ACTION_WINDOW: "PT3S",
      LIFECYCLE_DISPUTE_WINDOW: "PT4S",
    });
    partner = await app.partner("Fabrikam Consulting");
  });

  afterAll(() => app?.host.stop());

  const poe = poeSubmissionFor();

  interface View {
    id: string;
    status: string;
    customerTenantId: string;
    partnerCenterStatus: string;
    deadline: { at: string; what: string; to: string } | null;
    nextAction: string;
    timeline: { kind: string; from?: string; to?: string; actor: string; reason: string }[];
  }

  const post = (path: string, body: unknown, key = partner.apiKey) => app.call(key, "POST", path, body);

  async function create(overrides: Record<string, unknown> = {}): Promise<View> {
    const response = await post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID(), ...overrides }),
    );
    expect(response.status).toBe(201);
    return (await response.json()) as View;
  }

  const read = async (id: string) =>
    (await (await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`)).json()) as View;

  async function waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    let last: View | undefined;
    while (Date.now() < deadline) {
      last = await read(id);
      if (last.status === status) return last;
      await sleep(100);
    }
    throw new Error(`association ${id} stayed ${last?.status}, wanted ${status}`);
  }

  async function underReview(): Promise<View> {
    const association = await create();
    expect((await post(`/api/v1/associations/${association.id}/poe`, poe)).status).toBe(202);
    return waitForStatus(association.id, "UnderReview");
  }

  const review = (id: string, body: unknown) => post(`/api/v1/associations/${id}/review`, body);

  async function rejected(): Promise<View> {
    const association = await underReview();
    const response = await review(association.id, { outcome: "rejected", reasons: ["insufficient-poe"] });
    expect(response.status).toBe(200);
    return (await response.json()) as View;
  }

  it("shows where a new claim stands in Partner Center's terms", async () => {
    const association = await create();
    expect(association).toMatchObject({
      status: "Draft",
      partnerCenterStatus: "Editing",
      deadline: { to: "Expired" },
      nextAction: expect.stringContaining("POST /poe") as unknown,
    });
  });

  it("records an approval at once, as the reviewers' (system) decision", async () => {
    const association = await underReview();
    const response = await review(association.id, { outcome: "approved", comment: "Looks good." });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "Approved", partnerCenterStatus: "Approved" });
    const { timeline } = await read(association.id);
    expect(timeline.at(-1)).toMatchObject({
      kind: "status-changed",
      from: "UnderReview",
      to: "Approved",
      actor: "system",
      reason: expect.stringContaining("Partner Center review: approved") as unknown,
    });
  });

  it("names the offending field of an outcome that does not fit", async () => {
    const association = await underReview();
    const missing = await review(association.id, { outcome: "partner-action-required" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ errors: [{ path: "reasons" }] });
    const wrong = await review(association.id, {
      outcome: "partner-action-required",
      reasons: ["customer-decline"],
    });
    expect(await wrong.json()).toMatchObject({ errors: [{ path: "reasons.0" }] });
    const unknown = await review(association.id, { outcome: "maybe" });
    expect(await unknown.json()).toMatchObject({ errors: [{ path: "outcome" }] });
    expect((await read(association.id)).status).toBe("UnderReview");
  });

  it("refuses an outcome outside review with 409 naming the status", async () => {
    const association = await create();
    const response = await review(association.id, { outcome: "approved" });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { detail: string }).detail).toContain("Draft");
  });

  it("asks the partner for action, takes a corrected PoE back to review, without emailing the customer again", async () => {
    const association = await underReview();
    const asked = await review(association.id, {
      outcome: "partner-action-required",
      reasons: ["missing-customer-acknowledgment", "missing-or-old-dates"],
    });
    expect(await asked.json()).toMatchObject({
      status: "PartnerActionRequired",
      partnerCenterStatus: "Partner action required",
      deadline: { to: "Rejected" },
      nextAction: expect.stringContaining("missing-customer-acknowledgment") as unknown,
    });
    const corrected = await post(`/api/v1/associations/${association.id}/poe`, poe);
    expect(corrected.status).toBe(202);
    expect(((await corrected.json()) as View).status).toBe("UnderReview");
    await sleep(4_000); // past the partner-action window: nothing may reject it now
    expect((await read(association.id)).status).toBe("UnderReview");
    const outbox = (await (
      await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${association.id}`)
    ).json()) as { items: unknown[] };
    expect(outbox.items).toHaveLength(1);
  });

  it("rejects for no partner response when the window passes, then closes the dispute window", async () => {
    const association = await underReview();
    await review(association.id, { outcome: "partner-action-required", reasons: ["missing-poe"] });
    const rejectedView = await waitForStatus(association.id, "Rejected");
    expect(rejectedView.timeline.at(-1)?.reason).toMatch(/no-partner-response/);
    expect(rejectedView.nextAction).toContain("POST /dispute");
    const final = await waitForStatus(association.id, "RejectedFinal");
    expect(final.timeline.at(-1)?.reason).toBe("dispute window closed");
  });

  it("accepts one dispute within the window, claims the units again, and a rejection after it is final", async () => {
    const association = await rejected();
    const rival = await app.partner("Contoso Partners");
    const disputed = await post(`/api/v1/associations/${association.id}/dispute`, {
      reason: "The customer signed the statement of work on 1 November.",
      poe,
    });
    expect(disputed.status).toBe(200);
    expect(await disputed.json()).toMatchObject({ status: "Dispute" });
    const taken = await post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: rival.locationId, customerTenantId: association.customerTenantId }),
      rival.apiKey,
    );
    expect(taken.status).toBe(409); // the units are held again
    await sleep(4_500); // past the dispute window: a dispute in progress does not expire
    expect((await read(association.id)).status).toBe("Dispute");
    const again = await review(association.id, { outcome: "rejected", reasons: ["insufficient-poe"] });
    expect(await again.json()).toMatchObject({ status: "RejectedFinal" });
    const second = await post(`/api/v1/associations/${association.id}/dispute`, { reason: "once more" });
    expect(second.status).toBe(409);
  });

  it("refuses a dispute once its window has closed", async () => {
    const association = await rejected();
    await waitForStatus(association.id, "RejectedFinal");
    const late = await post(`/api/v1/associations/${association.id}/dispute`, { reason: "late" });
    expect(late.status).toBe(409);
  });

  it("answers 409 naming the unit when another partner took it before the dispute, and changes nothing", async () => {
    const association = await rejected();
    const rival = await app.partner("Northwind Partners");
    const taken = await post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: rival.locationId, customerTenantId: association.customerTenantId }),
      rival.apiKey,
    );
    expect(taken.status).toBe(201);
    const disputed = await post(`/api/v1/associations/${association.id}/dispute`, {
      reason: "we did the work",
    });
    expect(disputed.status).toBe(409);
    const problem = (await disputed.json()) as { unit?: string; detail: string };
    expect(problem.unit).toMatch(/^workload:/);
    expect(problem.detail).not.toContain(rival.partnerId);
    const after = await read(association.id);
    expect(after.status).toBe("Rejected");
    expect(after.timeline.filter((e) => e.to === "Dispute")).toHaveLength(0);
  });

  it("answers 404 to a dispute of an unknown, a foreign or a malformed ID", async () => {
    const foreign = await app.partner("Litware");
    const theirs = await post(
      "/api/v1/associations",
      cporRequest({ partnerLocationId: foreign.locationId, customerTenantId: randomUUID() }),
      foreign.apiKey,
    );
    const { id: foreignId } = (await theirs.json()) as { id: string };
    for (const id of [randomUUID(), foreignId, "not-a-guid"]) {
      const response = await post(`/api/v1/associations/${id}/dispute`, { reason: "why not" });
      expect(response.status).toBe(404);
    }
  });

  it("lets exactly one of 20 concurrent withdrawals win; the others get 409 naming the status", async () => {
    const association = await underReview();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(`/api/v1/associations/${association.id}/withdraw`, { reason: `withdrawal ${i}` }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const conflicts = await Promise.all(answers.filter((r) => r.status === 409).map((r) => r.json()));
    for (const c of conflicts) expect((c as { detail: string }).detail).toContain("RejectedFinal");
    const { timeline } = await read(association.id);
    expect(timeline.filter((e) => e.to === "RejectedFinal")).toHaveLength(1);
  });

  it("submits only claims: a DPOR is the customer's to set", async () => {
    const response = await post("/api/v1/associations", {
      type: "dpor",
      partnerLocationId: partner.locationId,
      customerTenantId: randomUUID(),
      customerDomain: "contoso.onmicrosoft.com",
      subscriptionId: randomUUID(),
      customerContact: { name: "Megan Bowen", title: "CIO", email: "megan@contoso.com" },
      partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const submitted = await post(`/api/v1/associations/${id}/submit`, {});
    expect(submitted.status).toBe(409);
    expect((await read(id)).status).toBe("Requested");
  });

  it("pages the outbox as asked", async () => {
    await underReview();
    await underReview();
    const first = await app.call(partner.apiKey, "GET", "/api/v1/outbox?pageSize=1");
    const page = (await first.json()) as { items: unknown[]; continuationToken?: string };
    expect(page.items).toHaveLength(1);
    expect(page.continuationToken).toBeDefined();
    const next = await app.call(
      partner.apiKey,
      "GET",
      `/api/v1/outbox?pageSize=1&continuationToken=${encodeURIComponent(page.continuationToken ?? "")}`,
    );
    expect(((await next.json()) as { items: unknown[] }).items).toHaveLength(1);
    const bad = await app.call(partner.apiKey, "GET", "/api/v1/outbox?pageSize=0");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ path: "pageSize" }] });
  });

  describe("a claim that needs no PoE, approved and finished", () => {
    const revrec = () =>
      create({
        engagement: "revrec",
        workloads: undefined,
        subscriptionId: randomUUID(),
        licensingProgram: "ea",
      });

    async function approvedAndFinished(): Promise<View> {
      const association = await revrec();
      expect((await post(`/api/v1/associations/${association.id}/poe`, poe)).status).toBe(409);
      const submitted = await post(`/api/v1/associations/${association.id}/submit`, {});
      expect(submitted.status).toBe(202);
      await waitForStatus(association.id, "UnderReview");
      expect((await review(association.id, { outcome: "approved" })).status).toBe(200);
      const deadline = Date.now() + 20_000;
      while ((await app.host.hub.getInstance(association.id))?.runtimeStatus !== "Completed") {
        if (Date.now() > deadline) throw new Error("the workflow did not complete");
        await sleep(100);
      }
      return read(association.id);
    }

    async function consentLink(id: string): Promise<string> {
      const outbox = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${id}`)
      ).json()) as { items: { text: string }[] };
      const link = /https?:\/\/\S+\/api\/consent\/[A-Za-z0-9._~-]+/.exec(outbox.items[0]?.text ?? "")?.[0];
      if (!link) throw new Error("no consent link in the email");
      return link;
    }

    it("takes the customer's cancellation from the consent page, and keeps the dispute window", async () => {
      const association = await approvedAndFinished();
      const cancelled = await fetch(await consentLink(association.id), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "action=cancel&reason=Contract+ended",
      });
      expect(await cancelled.text()).toContain("Your cancellation is recorded");
      const view = await read(association.id);
      expect(view.status).toBe("Rejected");
      expect(view.timeline.at(-1)).toMatchObject({ actor: "customer", from: "Approved", to: "Rejected" });
      await waitForStatus(association.id, "RejectedFinal"); // the restarted workflow keeps the deadline
      const again = await fetch(await consentLink(association.id), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "action=cancel",
      });
      expect(await again.text()).toContain("Already recorded");
    });

    it("takes the customer's cancellation from an email reply", async () => {
      const association = await approvedAndFinished();
      const queue = new QueueClient(
        inject("storageConnectionString"),
        process.env["INBOUND_EMAIL_QUEUE"] ?? "",
      );
      await queue.createIfNotExists();
      const reply = {
        messageId: `<${randomUUID()}@mail.contoso.com>`,
        from: "Megan Bowen <megan@contoso.com>",
        to: "consent@partner-of-record.example.com",
        subject: "RE: Fabrikam asks to be your partner of record",
        text: `CANCEL\n\nWe ended the contract.\n\n> ${await consentLink(association.id)}`,
        receivedAt: new Date().toISOString(),
      };
      await queue.sendMessage(Buffer.from(JSON.stringify(reply)).toString("base64"));
      const view = await waitForStatus(association.id, "Rejected");
      expect(view.timeline.at(-1)).toMatchObject({ actor: "customer", from: "Approved" });
    });
  });
});
