import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * The CPOR lifecycle end to end on the local host, through the public API, the consent page and
 * the inbound-email queue only. Lifecycle durations are seconds (PoE deadline 6 s, refusal window 3 s).
 */
describe("CPOR association lifecycle", () => {
  let app: AppUnderTest;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
  });

  afterAll(() => app?.host.stop());

  const poe = poeSubmissionFor();

  async function create(overrides: Record<string, unknown> = {}) {
    const body = cporRequest({
      partnerLocationId: partner.locationId,
      customerTenantId: randomUUID(),
      ...overrides,
    });
    const response = await app.call(partner.apiKey, "POST", "/api/v1/associations", body);
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; customerTenantId: string };
  }

  async function read(id: string) {
    const response = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`);
    return (await response.json()) as {
      status: string;
      timeline: { kind: string; to?: string; actor: string }[];
    };
  }

  async function waitForStatus(id: string, status: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = (await read(id)).status;
      if (last === status) return;
      await sleep(100);
    }
    throw new Error(`association ${id} stayed ${last}, wanted ${status}`);
  }

  async function consentLink(id: string): Promise<string> {
    const outbox = (await (
      await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${id}`)
    ).json()) as {
      items: { kind: string; to: string; text: string; html: string }[];
    };
    expect(outbox.items).toHaveLength(1);
    const [email] = outbox.items;
    expect(email).toMatchObject({ kind: "consent", to: "megan@contoso.com" });
    expect(email?.html).toContain("<");
    const link = /https?:\/\/\S+\/api\/consent\/[A-Za-z0-9._~-]+/.exec(email?.text ?? "")?.[0];
    if (!link) throw new Error("no consent link in the email");
    return link;
  }

  async function submitPoe(id: string) {
    const response = await app.call(partner.apiKey, "POST", `/api/v1/associations/${id}/poe`, poe);
    expect(response.status).toBe(202);
    await waitForStatus(id, "UnderReview");
  }

  it("goes to Rejected when the customer refuses on the consent page, and frees the workloads", async () => {
    const association = await create();
    await submitPoe(association.id);
    const link = await consentLink(association.id);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Fabrikam Consulting");
    expect((await read(association.id)).status).toBe("UnderReview"); // a GET changes nothing
    const refused = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=refuse&reason=We+did+not+hire+them",
    });
    expect(refused.status).toBe(200);
    await waitForStatus(association.id, "Rejected");
    const { timeline } = await read(association.id);
    expect(timeline.filter((e) => e.kind === "status-changed").map((e) => `${e.to}:${e.actor}`)).toEqual([
      "Submitted:partner",
      "UnderReview:system",
      "Rejected:customer",
    ]);
    const rival = await app.partner("Contoso Partners");
    const reclaim = await app.call(
      rival.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: rival.locationId, customerTenantId: association.customerTenantId }),
    );
    expect(reclaim.status).toBe(201);
  });

  it("is Approved when the refusal window passes", async () => {
    const association = await create();
    await submitPoe(association.id);
    await waitForStatus(association.id, "Approved");
  });

  it("expires when no proof of execution arrives before the deadline", async () => {
    const association = await create();
    await waitForStatus(association.id, "Expired");
  });

  it("goes to RejectedFinal when the partner withdraws", async () => {
    const association = await create();
    const response = await app.call(
      partner.apiKey,
      "POST",
      `/api/v1/associations/${association.id}/withdraw`,
      {
        reason: "signed with the wrong partner ID",
      },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe("RejectedFinal");
    expect((await read(association.id)).status).toBe("RejectedFinal");
  });

  it("takes a REFUSE reply to the consent email through the inbound-email queue", async () => {
    const association = await create();
    await submitPoe(association.id);
    const link = await consentLink(association.id);
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
      text: `REFUSE\n\nWe never agreed to this.\n\n> ${link}`,
      receivedAt: new Date().toISOString(),
    };
    await queue.sendMessage(Buffer.from(JSON.stringify(reply)).toString("base64"));
    await waitForStatus(association.id, "Rejected");
  });

  it("records one dispute of a rejection, and refuses a second", async () => {
    const association = await create();
    await submitPoe(association.id);
    const link = await consentLink(association.id);
    await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=refuse",
    });
    await waitForStatus(association.id, "Rejected");
    const dispute = () =>
      app.call(partner.apiKey, "POST", `/api/v1/associations/${association.id}/dispute`, {
        reason: "The customer signed the statement of work on 1 November.",
      });
    const first = await dispute();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { status: string }).status).toBe("Dispute");
    const second = await dispute();
    expect(second.status).toBe(409);
    const { timeline } = await read(association.id);
    expect(timeline.filter((e) => e.to === "Dispute")).toHaveLength(1);
  });
});
