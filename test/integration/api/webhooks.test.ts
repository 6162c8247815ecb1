import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";
import { createWebhookQueue, type WebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import { createStore } from "../../../src/store/store";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { cporRequest, statusChangedEvent } from "../../support/builders";
import { registerWebhook, startApp, type AppUnderTest } from "../../support/app";
import { hostsFileLoopbackName, startLoopbackTrap, type LoopbackTrap } from "../webhooks/loopbackTrap";

/**
 * Partner webhooks end to end on the local host: registered through the API, fed by the lifecycle's
 * status changes through the `partner-webhooks` queue, delivered to a receiver on loopback.
 * A failed delivery comes back after `queues.visibilityTimeout` (1 s in tests, through the host's
 * AzureFunctionsJobHost__ setting override; 30 s in host.json).
 * The receivers listen on 127.0.0.1, which WEBHOOK_ALLOWED_HOSTS allows; hooks.fabrikam.example is
 * allowed too, so registering it needs no DNS query (tests contact loopback addresses only).
 */
describe("partner webhooks", () => {
  let app: AppUnderTest;
  const receivers: FakeWebhookReceiver[] = [];

  beforeAll(async () => {
    app = await startApp({ WEBHOOK_ALLOWED_HOSTS: "127.0.0.1,hooks.fabrikam.example" });
  });

  afterAll(async () => {
    await app?.host.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  async function receiver() {
    const started = await startFakeWebhookReceiver();
    receivers.push(started);
    return started;
  }

  const register = (apiKey: string, url: string) => registerWebhook(app, apiKey, url);

  const poe = {
    documentName: "statement-of-work.pdf",
    documentBase64: Buffer.from("%PDF-1.4 signed statement of work").toString("base64"),
    customerSignerName: "Megan Bowen",
    customerSignerEmail: "megan@contoso.com",
    signedDate: "2026-11-01",
    servicesDescription: "Teams rollout and Exchange migration, with adoption workshops.",
    workloads: ["teams", "exchange"],
  };

  /** Creates an association, submits its PoE and waits until the refusal window approves it. */
  async function approvedAssociation(partner: Awaited<ReturnType<AppUnderTest["partner"]>>) {
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const submitted = await app.call(partner.apiKey, "POST", `/api/v1/associations/${id}/poe`, poe);
    expect(submitted.status).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const read = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`);
      const association = (await read.json()) as {
        status: string;
        timeline: { kind: string; at: string; from?: string; to?: string }[];
      };
      if (association.status === "Approved") return { id, timeline: association.timeline };
      if (Date.now() > deadline) throw new Error(`association ${id} stayed ${association.status}`);
      await sleep(100);
    }
  }

  /** The events of `associationId` the receiver accepted (2xx), one per Webhook-Id, oldest first. */
  function accepted(hooks: FakeWebhookReceiver, associationId: string) {
    const byId = new Map<string, { event: WebhookEvent; headers: Record<string, unknown>; body: string }>();
    for (const request of hooks.requests) {
      const event = JSON.parse(request.body) as WebhookEvent;
      if (event.associationId !== associationId || request.status !== 200) continue;
      byId.set(String(request.headers["webhook-id"]), {
        event,
        headers: request.headers,
        body: request.body,
      });
    }
    return [...byId.values()].sort((a, b) => a.event.at.localeCompare(b.event.at));
  }

  it("registers, shows (without the secret), replaces and removes the webhook", async () => {
    const partner = await app.partner("Fabrikam Consulting");
    const other = await app.partner("Contoso Partners");
    const json = { "content-type": "application/json" };

    expect((await fetch(`${app.url}/api/v1/webhook`, { method: "PUT", body: "{}" })).status).toBe(401);
    const insecure = await app.call(
      partner.apiKey,
      "PUT",
      "/api/v1/webhook",
      { url: "http://hooks.example.com/x" },
      json,
    );
    expect(insecure.status).toBe(400);
    expect(await insecure.json()).toMatchObject({ errors: [{ path: "url" }] });
    const unknown = await app.call(
      partner.apiKey,
      "PUT",
      "/api/v1/webhook",
      { url: "https://a.example", x: 1 },
      json,
    );
    expect(unknown.status).toBe(400);

    const put = await app.call(
      partner.apiKey,
      "PUT",
      "/api/v1/webhook",
      { url: "https://hooks.fabrikam.example/por" },
      json,
    );
    expect(put.status).toBe(200);
    expect(put.headers.get("cache-control")).toBe("no-store");
    const first = (await put.json()) as { url: string; secret: string };
    expect(Object.keys(first).sort()).toEqual(["secret", "url"]);
    expect(first.url).toBe("https://hooks.fabrikam.example/por");
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const shown = await app.call(partner.apiKey, "GET", "/api/v1/webhook");
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual({ url: "https://hooks.fabrikam.example/por" });
    expect((await app.call(other.apiKey, "GET", "/api/v1/webhook")).status).toBe(404);

    const second = await register(partner.apiKey, "https://hooks.fabrikam.example/v2");
    expect(second.secret).not.toBe(first.secret);

    expect((await app.call(partner.apiKey, "DELETE", "/api/v1/webhook")).status).toBe(204);
    expect((await app.call(partner.apiKey, "GET", "/api/v1/webhook")).status).toBe(404);
    expect((await app.call(partner.apiKey, "DELETE", "/api/v1/webhook")).status).toBe(204);
  });

  it("POSTs one signed event per status change: Submitted, UnderReview, Approved", async () => {
    const hooks = await receiver();
    const partner = await app.partner("Fabrikam Consulting");
    const { secret } = await register(partner.apiKey, hooks.url);

    const association = await approvedAssociation(partner);
    await hooks.waitFor(() => accepted(hooks, association.id).length >= 3);
    await sleep(500); // anything extra would arrive now

    const events = accepted(hooks, association.id);
    expect(events.map((e) => `${e.event.from}→${e.event.to}:${e.event.actor}`)).toEqual([
      "Draft→Submitted:partner",
      "Submitted→UnderReview:system",
      "UnderReview→Approved:system",
    ]);
    const changes = association.timeline.filter((e) => e.kind === "status-changed");
    expect(events.map((e) => ({ at: e.event.at, to: e.event.to }))).toEqual(
      changes.map((c) => ({ at: c.at, to: c.to })),
    );
    for (const { event, headers, body } of events) {
      expect(event).toMatchObject({ type: "association.status_changed", partnerId: partner.partnerId });
      expect(headers["webhook-id"]).toBe(event.eventId);
      expect(headers["content-type"]).toBe("application/json");
      expect(verifyWebhookSignature(secret, String(headers["webhook-signature"]), body, new Date())).toBe(
        true,
      );
    }
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(3);
    expect(hooks.requests.every((r) => r.status === 200)).toBe(true);
  });

  it(
    "delivers every event at least once to a receiver that fails twice first",
    { timeout: 120_000 },
    async () => {
      const hooks = await receiver();
      hooks.fail(2, 500);
      const partner = await app.partner("Northwind Traders");
      const { secret } = await register(partner.apiKey, hooks.url);

      const association = await approvedAssociation(partner);
      await hooks.waitFor(() => accepted(hooks, association.id).length >= 3, 100_000);

      const events = accepted(hooks, association.id);
      expect(events.map((e) => e.event.to)).toEqual(["Submitted", "UnderReview", "Approved"]);
      const failed = hooks.requests.filter((r) => r.status === 500);
      expect(failed).toHaveLength(2);
      const delivered = new Set(events.map((e) => e.event.eventId));
      for (const request of failed) expect(delivered).toContain(request.headers["webhook-id"]);
      // The deliveries record says the same: three delivered, five attempts in all.
      const listed = await app.call(partner.apiKey, "GET", "/api/v1/webhook/deliveries?state=delivered");
      const { items } = (await listed.json()) as {
        items: { id: string; attempts: number; lastStatus: number }[];
      };
      const ours = items.filter((d) => delivered.has(d.id));
      expect(ours).toHaveLength(3);
      expect(ours.reduce((sum, d) => sum + d.attempts, 0)).toBe(5);
      expect(ours.every((d) => d.lastStatus === 200)).toBe(true);
      for (const { headers, body } of events)
        expect(verifyWebhookSignature(secret, String(headers["webhook-signature"]), body, new Date())).toBe(
          true,
        );
    },
  );

  /**
   * Server-side request forgery: what a partner may not make the service call, refused when the URL
   * is registered and again when a delivery connects. This app allows 127.0.0.1 (and
   * hooks.fabrikam.example) only: every other loopback or internal target is refused.
   */
  describe("internal destinations", () => {
    const traps: LoopbackTrap[] = [];
    const hostsName = hostsFileLoopbackName();

    afterAll(async () => {
      await Promise.all(traps.map((t) => t.close()));
    });

    async function trap(address: string) {
      const started = await startLoopbackTrap(address);
      traps.push(started);
      return started;
    }

    const put = (apiKey: string, url: string) =>
      app.call(apiKey, "PUT", "/api/v1/webhook", { url }, { "content-type": "application/json" });

    async function expectRefused(apiKey: string, url: string) {
      const response = await put(apiKey, url);
      expect(response.status, url).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(await response.json()).toMatchObject({ status: 400, errors: [{ path: "url" }] });
    }

    it("refuses non-https URLs and internal addresses at registration, naming url", async () => {
      const partner = await app.partner("Fabrikam Consulting");
      for (const url of [
        "http://hooks.example.com/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.2/hooks",
        "http://127.0.0.2:9000/hooks",
        "https://localhost./hooks",
        "https://LOCALHOST/hooks",
        "https://0.0.0.0/hooks",
        "https://167772161/hooks", // 10.0.0.1
        "https://100.64.0.1/hooks",
        "https://[::1]/hooks",
        "https://[::127.0.0.1]/hooks",
        "https://[::ffff:7f00:1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://user@hooks.fabrikam.example/por",
      ])
        await expectRefused(partner.apiKey, url);
      expect((await app.call(partner.apiKey, "GET", "/api/v1/webhook")).status).toBe(404);
    });

    it.skipIf(!hostsName)("refuses a name that resolves to loopback (the hosts file)", async () => {
      const partner = await app.partner("Contoso Partners");
      await expectRefused(partner.apiKey, `https://${hostsName?.name}/hooks`);
      expect((await app.call(partner.apiKey, "GET", "/api/v1/webhook")).status).toBe(404);
    });

    it("never connects to a stored URL that is not allowed (any more), and does not retry it", async () => {
      const control = await receiver();
      const allowed = await app.partner("Northwind Traders");
      expect((await put(allowed.apiKey, control.url)).status).toBe(200);

      const one = await trap("127.0.0.1");
      const two = await trap("127.0.0.2");
      const stale = [
        // Registered under a wider allow list, or before these rules: stored as it was.
        `http://127.0.0.2:${two.port}/hooks`,
        `https://127.0.0.2:${two.port}/hooks`,
        `https://[::ffff:127.0.0.1]:${one.port}/hooks`,
        `https://localhost.:${one.port}/hooks`,
      ];
      if (hostsName) {
        const named = await trap(hostsName.address);
        stale.push(`https://${hostsName.name}:${named.port}/hooks`);
      }
      const store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
      const queueName = process.env["PARTNER_WEBHOOKS_QUEUE"] ?? "";
      const queue = createWebhookQueue(inject("storageConnectionString"), queueName);
      const events: WebhookEvent[] = [];
      for (const url of stale) {
        const partner = await app.partner("Tailspin Toys");
        await store.partners.update(partner.partnerId, (p) => ({
          ...p,
          webhookUrl: url,
          webhookSecret: randomBytes(32).toString("base64url"),
        }));
        events.push(statusChangedEvent(partner.partnerId));
      }
      events.push(statusChangedEvent(allowed.partnerId));
      for (const event of events) await queue.enqueue(event);

      await control.waitFor((requests) => requests.length === 1);
      await waitForEmptyQueue(queueName, 20_000);
      await sleep(1_500); // a retried message would be visible again by now
      expect(traps.map((t) => `${t.address}: ${t.connections}`)).toEqual(traps.map((t) => `${t.address}: 0`));
      expect(await messagesIn(queueName)).toBe(0);
      expect(await messagesIn(`${queueName}-poison`)).toBe(0);
    });
  });
});

/** Messages in a queue, visible or not (0 when the queue does not exist). */
async function messagesIn(queueName: string): Promise<number> {
  const client = new QueueClient(inject("storageConnectionString"), queueName);
  if (!(await client.exists())) return 0;
  return (await client.getProperties()).approximateMessagesCount ?? 0;
}

async function waitForEmptyQueue(queueName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await messagesIn(queueName)) > 0) {
    if (Date.now() > deadline) throw new Error(`${queueName} still has messages after ${timeoutMs} ms`);
    await sleep(200);
  }
}
