import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { registerWebhook, startApp, type AppUnderTest } from "../../support/app";
import { cporRequest, poeSubmissionFor } from "../../support/builders";

/**
 * `POST /api/v1/customers/{tenantId}/erase` through the local host: a claim that reached
 * UnderReview (consent email in the outbox, PoE signer in the timeline, webhooks delivered) loses
 * every name and address of the customer's people, and keeps its IDs, status and history.
 */
describe("customer erasure", () => {
  let app: AppUnderTest;
  let hooks: FakeWebhookReceiver;

  beforeAll(async () => {
    hooks = await startFakeWebhookReceiver();
    // A refusal window longer than the test: the claim waits in UnderReview.
    app = await startApp({ WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", LIFECYCLE_REFUSAL_WINDOW: "PT1H" });
  });

  afterAll(async () => {
    await app?.host.stop();
    await hooks?.close();
  });

  async function json<T>(response: Response): Promise<T> {
    return (await response.json()) as T;
  }

  async function underReview(apiKey: string, locationId: string, tenantId: string) {
    const created = await app.call(
      apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({
        partnerLocationId: locationId,
        customerTenantId: tenantId,
        customerContact: { name: "Seán O'Brien", title: "Head of IT", email: "sean.obrien@contoso.com" },
      }),
    );
    expect(created.status).toBe(201);
    const { id } = await json<{ id: string }>(created);
    const poe = poeSubmissionFor({
      customerSignerName: "Megan Bowen",
      customerSignerEmail: "megan@contoso.com",
    });
    expect((await app.call(apiKey, "POST", `/api/v1/associations/${id}/poe`, poe)).status).toBe(202);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const outbox = await json<{ items: { status: string }[] }>(
        await app.call(apiKey, "GET", `/api/v1/outbox?associationId=${id}`),
      );
      const read = await json<{ status: string }>(
        await app.call(apiKey, "GET", `/api/v1/associations/${id}`),
      );
      if (read.status === "UnderReview" && outbox.items.some((m) => m.status === "sent")) return id;
      if (Date.now() > deadline) throw new Error(`association ${id} stayed ${read.status}`);
      await sleep(200);
    }
  }

  it(
    "erases names and addresses from the association, its emails, timeline and webhook payloads; keeps the rest",
    { timeout: 60_000 },
    async () => {
      const partner = await app.partner("Fabrikam Consulting");
      await registerWebhook(app, partner.apiKey, hooks.url);
      const tenantId = randomUUID();
      const id = await underReview(partner.apiKey, partner.locationId, tenantId);
      const before = await json<Record<string, unknown>>(
        await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`),
      );
      expect(JSON.stringify(before)).toContain("sean.obrien@contoso.com");

      const erased = await app.call(
        partner.apiKey,
        "POST",
        `/api/v1/customers/${tenantId.toUpperCase()}/erase`,
      );
      expect(erased.status).toBe(200);
      const report = await json<{
        customerTenantId: string;
        associations: { id: string; fields: string[] }[];
        auditEvents: number;
        outboxMessages: number;
        webhookDeliveries: number;
      }>(erased);
      expect(report.customerTenantId).toBe(tenantId);
      expect(report.associations).toEqual([
        { id, fields: ["customerContact.name", "customerContact.title", "customerContact.email"] },
      ]);
      expect(report.outboxMessages).toBe(1);
      expect(report.auditEvents).toBeGreaterThanOrEqual(1); // the PoE's signer at least

      const personal = /O'Brien|O&#39;Brien|sean\.obrien|Megan|megan@|Head of IT/i;
      const after = await json<{ status: string; id: string; customerTenantId: string; timeline: unknown[] }>(
        await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`),
      );
      expect(JSON.stringify(after)).not.toMatch(personal);
      expect(after).toMatchObject({ id, status: "UnderReview", customerTenantId: tenantId });
      expect(after.timeline.length).toBe((before["timeline"] as unknown[]).length);

      const outbox = await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${id}`);
      const emails = await json<{ items: { to: string; text: string; kind: string }[] }>(outbox);
      expect(emails.items).toHaveLength(1);
      expect(emails.items[0]).toMatchObject({ kind: "consent", to: "erased@erased.invalid" });
      expect(JSON.stringify(emails)).not.toMatch(personal);

      const deliveries = await app.call(partner.apiKey, "GET", "/api/v1/webhook/deliveries");
      expect(JSON.stringify(await deliveries.json())).not.toMatch(personal);

      const again = await json<typeof report>(
        await app.call(partner.apiKey, "POST", `/api/v1/customers/${tenantId}/erase`),
      );
      expect(again).toMatchObject({
        associations: [{ id, fields: [] }],
        auditEvents: 0,
        outboxMessages: 0,
        webhookDeliveries: 0,
      });
    },
  );

  it("answers 404 for a tenant the partner has no association with (another partner's too), 400 for a tenant that is not a GUID", async () => {
    const owner = await app.partner("Northwind Traders");
    const tenantId = randomUUID();
    const created = await app.call(
      owner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: owner.locationId, customerTenantId: tenantId }),
    );
    expect(created.status).toBe(201);
    const { id } = await json<{ id: string }>(created);

    const stranger = await app.partner("Tailspin Toys");
    expect((await app.call(stranger.apiKey, "POST", `/api/v1/customers/${tenantId}/erase`)).status).toBe(404);
    expect((await app.call(owner.apiKey, "POST", `/api/v1/customers/${randomUUID()}/erase`)).status).toBe(
      404,
    );
    const bad = await app.call(owner.apiKey, "POST", "/api/v1/customers/contoso/erase");
    expect(bad.status).toBe(400);
    expect((await json<{ errors: { path: string }[] }>(bad)).errors.map((e) => e.path)).toEqual(["tenantId"]);
    const read = await json<{ customerContact: { email: string } }>(
      await app.call(owner.apiKey, "GET", `/api/v1/associations/${id}`),
    );
    expect(read.customerContact.email).toBe("megan@contoso.com"); // the stranger erased nothing
  });
});
