import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createWebhookQueue, type WebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { registerWebhook, startApp, type AppUnderTest } from "../../support/app";
import { until } from "../../support/until";
import { statusChangedEvent } from "../../support/builders";

/**
 * `GET /api/v1/webhook/deliveries` and the redeliveries, through the local host: events reach the
 * `partner-webhooks` queue as the lifecycle puts them there, the receiver is down for longer than
 * the retry window (WEBHOOK_RETRY_WINDOW PT4S here, waits of 1 then 2 s), and comes back.
 */
interface DeliveryView {
  id: string;
  event: string;
  attempts: number;
  lastStatus: number | null;
  nextAttemptAt: string | null;
  state: string;
  associationId: string;
  payload: WebhookEvent;
}

describe("webhook deliveries", () => {
  let app: AppUnderTest;
  let hooks: FakeWebhookReceiver;

  beforeAll(async () => {
    hooks = await startFakeWebhookReceiver();
    app = await startApp({ WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", WEBHOOK_RETRY_WINDOW: "PT4S" });
  });

  afterAll(async () => {
    await app?.host.stop();
    await hooks?.close();
  });

  const queue = () =>
    createWebhookQueue(inject("storageConnectionString"), process.env["PARTNER_WEBHOOKS_QUEUE"] ?? "");

  async function deliveries(apiKey: string, query = ""): Promise<DeliveryView[]> {
    const response = await app.call(apiKey, "GET", `/api/v1/webhook/deliveries${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: DeliveryView[] }).items;
  }

  it(
    "records every attempt, dead-letters after the window, and redelivers since a time and one by one",
    { timeout: 90_000 },
    async () => {
      hooks.requests.length = 0;
      hooks.answerAlways(503);
      const partner = await app.partner("Northwind Traders");
      await registerWebhook(app, partner.apiKey, hooks.url);
      const since = new Date().toISOString();
      const events = [
        statusChangedEvent(partner.partnerId, { to: "Approved" }),
        statusChangedEvent(partner.partnerId, { to: "Rejected" }),
      ];
      for (const event of events) await queue().enqueue(event);

      const pending = await until(
        () => deliveries(partner.apiKey),
        (items) => items.length === 2 && items.every((d) => d.attempts >= 1),
      );
      for (const d of pending) {
        expect(d).toMatchObject({ event: "association.status_changed", lastStatus: 503 });
        expect(events.map((e) => e.eventId)).toContain(d.id);
        expect(d.payload).toEqual(events.find((e) => e.eventId === d.id));
      }
      const failed = await until(
        () => deliveries(partner.apiKey, "?state=failed"),
        (items) => items.length === 2,
      );
      for (const d of failed) {
        expect(d.nextAttemptAt).toBeNull();
        expect(d.attempts).toBeGreaterThanOrEqual(3); // at 0 s, 1 s, 3 s and the window's end
        expect(d.lastStatus).toBe(503);
      }
      const attemptsBefore = hooks.requests.length;
      await sleep(2_500);
      expect(hooks.requests.length).toBe(attemptsBefore); // dead-lettered: nothing more is tried

      hooks.answerAlways(200);
      const bulk = await app.call(partner.apiKey, "POST", "/api/v1/webhook/deliveries/redeliver", { since });
      expect(bulk.status).toBe(202);
      const answered = (await bulk.json()) as { redelivered: number; ids: string[] };
      expect(answered.redelivered).toBe(2);
      expect([...answered.ids].sort()).toEqual(events.map((e) => e.eventId).sort());
      const delivered = await until(
        () => deliveries(partner.apiKey, "?state=delivered"),
        (items) => items.length === 2,
      );
      for (const d of delivered) expect(d).toMatchObject({ lastStatus: 200, nextAttemptAt: null });

      const [first] = events;
      const one = await app.call(
        partner.apiKey,
        "POST",
        `/api/v1/webhook/deliveries/${first?.eventId}/redeliver`,
      );
      expect(one.status).toBe(202);
      expect(await one.json()).toMatchObject({ id: first?.eventId, state: "pending" });
      await hooks.waitFor(
        (requests) =>
          requests.filter((r) => r.headers["webhook-id"] === first?.eventId && r.status === 200).length === 2,
      );
    },
  );

  it("answers 404 for another partner's delivery or an unknown one, 409 without a webhook, 400 for a bad query or body", async () => {
    hooks.answerAlways(200);
    const owner = await app.partner("Tailspin Toys");
    await registerWebhook(app, owner.apiKey, hooks.url);
    const event = statusChangedEvent(owner.partnerId, { to: "Approved" });
    await queue().enqueue(event);
    await until(
      () => deliveries(owner.apiKey, "?state=delivered"),
      (items) => items.length === 1,
    );

    const stranger = await app.partner("Contoso Services");
    await registerWebhook(app, stranger.apiKey, hooks.url);
    const path = `/api/v1/webhook/deliveries/${event.eventId}/redeliver`;
    expect((await app.call(stranger.apiKey, "POST", path)).status).toBe(404);
    expect(await deliveries(stranger.apiKey)).toEqual([]);
    expect(
      (await app.call(owner.apiKey, "POST", `/api/v1/webhook/deliveries/${randomUUID()}/redeliver`)).status,
    ).toBe(404);
    expect(
      (await app.call(owner.apiKey, "POST", "/api/v1/webhook/deliveries/no%7Csuch/redeliver")).status,
    ).toBe(404);

    const badQuery = await app.call(
      owner.apiKey,
      "GET",
      "/api/v1/webhook/deliveries?state=lost&since=yesterday",
    );
    expect(badQuery.status).toBe(400);
    const problem = (await badQuery.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["since", "state"]);
    const badBody = await app.call(owner.apiKey, "POST", "/api/v1/webhook/deliveries/redeliver", {
      since: 5,
    });
    expect(badBody.status).toBe(400);

    expect((await app.call(owner.apiKey, "DELETE", "/api/v1/webhook")).status).toBe(204);
    expect((await app.call(owner.apiKey, "POST", path)).status).toBe(409);
    expect(await deliveries(owner.apiKey, "?state=delivered")).toHaveLength(1);
  });
});
