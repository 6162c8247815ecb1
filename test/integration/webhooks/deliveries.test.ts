import { randomBytes, randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPartnerWebhooksHandler } from "../../../functions/queues/partnerWebhooks";
import {
  redeliverWebhook,
  redeliverWebhooksSince,
  type WebhookDeliveryPorts,
} from "../../../src/app/webhookDeliveries";
import { ConflictError, NonRetriableError, NotFoundError } from "../../../src/domain/errors";
import type { WebhookRetryPolicy } from "../../../src/domain/webhookDelivery";
import { deliverWebhook, type WebhookDelivery } from "../../../src/integrations/webhooks/deliver";
import { verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";
import {
  createWebhookQueue,
  type WebhookEvent,
  type WebhookRetry,
} from "../../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../../src/store/store";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { statusChangedEvent } from "../../support/builders";
import { testStore } from "../../support/storage";
import { startLoopbackTrap } from "./loopbackTrap";

/**
 * The partner-webhooks queue handler and the redelivery use cases over Azurite: every attempt
 * recorded, failures rescheduled as delayed messages with doubling waits, dead-lettered after the
 * window, stale messages ignored, redeliveries one by one and since a time.
 */

const start = new Date("2026-11-02T09:00:00.000Z");
const policy: WebhookRetryPolicy = { firstDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 86_400_000 };
const allowedHosts = ["127.0.0.1"];

let receiver: FakeWebhookReceiver;
let store: Store;
const queueName = `hooks-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
  store = testStore();
});

afterAll(() => receiver?.close());

function freshReceiver(): FakeWebhookReceiver {
  receiver.requests.length = 0;
  receiver.answerAlways(200);
  return receiver;
}

/** The app's queue on Azurite, with every retry it was asked to send kept for the test to hand on. */
function recordingQueue() {
  const queue = createWebhookQueue(inject("storageConnectionString"), queueName);
  const sent: { message: WebhookRetry; delaySeconds: number }[] = [];
  return {
    sent,
    retry: async (message: WebhookRetry, delaySeconds: number) => {
      await queue.retry(message, delaySeconds);
      sent.push({ message, delaySeconds });
    },
  };
}

/** A settable clock. */
function clockAt(at: Date) {
  let now = at;
  return { now: () => now, advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)) };
}

function setUp(overrides: Partial<WebhookDeliveryPorts> = {}) {
  const queue = recordingQueue();
  const clock = clockAt(start);
  const lines: string[] = [];
  const ports: WebhookDeliveryPorts = {
    store,
    clock: clock.now,
    queue,
    allowedHosts,
    retry: policy,
    log: { info: (line) => lines.push(line), warn: (line) => lines.push(line) },
    ...overrides,
  };
  const handler = createPartnerWebhooksHandler(() => ports);
  const handle = (message: unknown, dequeueCount = 1) =>
    handler(
      message,
      new InvocationContext({ functionName: "partnerWebhooks", triggerMetadata: { dequeueCount } }),
    );
  return { ports, queue, clock, lines, handle };
}

async function partnerWithWebhook(url: string | undefined) {
  const id = `p-${randomUUID().slice(0, 8)}`;
  const secret = randomBytes(32).toString("base64url");
  await store.partners.put({
    id,
    name: "Fabrikam Consulting",
    partnerLocationIds: ["4871234"],
    createdAt: "2026-10-01T08:00:00.000Z",
    ...(url ? { webhookUrl: url, webhookSecret: secret } : {}),
  });
  return { id, secret };
}

const eventFor = (partnerId: string, overrides: Partial<WebhookEvent> = {}) =>
  statusChangedEvent(partnerId, { at: "2026-11-02T08:59:00.000Z", ...overrides });

const deliveryOf = async (partnerId: string, id: string) =>
  (await store.webhookDeliveries.get(partnerId, id))?.value;

describe("partnerWebhooks queue handler: deliveries recorded and retried", () => {
  it("records each failed attempt, schedules the next with doubling waits, then delivers the same event ID, signed each time", async () => {
    const hooks = freshReceiver();
    hooks.fail(2, 500);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const { queue, clock, lines, handle } = setUp();

    await handle(JSON.stringify(event));
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({
      state: "pending",
      attempts: 1,
      lastStatus: 500,
      event: "association.status_changed",
      nextAttemptAt: "2026-11-02T09:00:30.000Z",
    });
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([30]);

    clock.advance(30);
    await handle(queue.sent[0]?.message);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({
      attempts: 2,
      nextAttemptAt: "2026-11-02T09:01:30.000Z",
    });
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([30, 60]);

    clock.advance(60);
    await handle(Buffer.from(JSON.stringify(queue.sent[1]?.message)), 2);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({
      state: "delivered",
      attempts: 3,
      lastStatus: 200,
      nextAttemptAt: null,
      deliveredAt: "2026-11-02T09:01:30.000Z",
    });
    expect(queue.sent).toHaveLength(2);

    expect(hooks.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    for (const request of hooks.requests) {
      expect(request.headers["webhook-id"]).toBe(event.eventId);
      expect(JSON.parse(request.body)).toEqual(event);
      const signature = String(request.headers["webhook-signature"]);
      expect(verifyWebhookSignature(partner.secret, signature, request.body, clock.now())).toBe(true);
    }
    const log = lines.join("\n");
    expect(log).toContain("HTTP 500 (attempt 2)");
    expect(log).toContain("delivered: HTTP 200 (attempt 3, message read 2 times)");
    expect(log).not.toContain(partner.secret);
    expect(log).not.toContain("/hooks"); // only the origin is logged
  });

  it("does nothing for a duplicate of the event or a superseded retry: one retry chain per delivery", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 503);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const { queue, handle } = setUp();

    await handle(event);
    await handle(event); // enqueued twice by a status change that ran twice
    const stale = { retry: { partnerId: partner.id, deliveryId: event.eventId, dispatch: randomUUID() } };
    await handle(stale);
    await handle({ retry: { partnerId: partner.id, deliveryId: randomUUID(), dispatch: "x" } });

    expect(hooks.requests).toHaveLength(1);
    expect(queue.sent).toHaveLength(1);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({ attempts: 1, state: "pending" });
  });

  it("dead-letters a delivery whose retry window runs out; the last wait ends at the window's end", async () => {
    const hooks = freshReceiver();
    hooks.answerAlways(502);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const { queue, clock, handle } = setUp({
      retry: { firstDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 100_000 },
    });

    await handle(event);
    for (const wait of [30, 60]) {
      clock.advance(wait);
      await handle(queue.sent.at(-1)?.message);
    }
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([30, 60, 10]);
    clock.advance(10);
    await handle(queue.sent.at(-1)?.message);

    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({
      state: "failed",
      attempts: 4,
      lastStatus: 502,
      nextAttemptAt: null,
    });
    expect(queue.sent).toHaveLength(3);
    expect(hooks.requests).toHaveLength(4);
  });

  it("retries a 4xx other than 410 and no answer at all, recording the status or the error", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 400);
    const partner = await partnerWithWebhook(hooks.url);
    const first = eventFor(partner.id);
    const { handle } = setUp();
    await handle(first);
    expect(await deliveryOf(partner.id, first.eventId)).toMatchObject({ state: "pending", lastStatus: 400 });

    const closed = await startFakeWebhookReceiver();
    await closed.close();
    const gone = await partnerWithWebhook(closed.url);
    const second = eventFor(gone.id);
    await handle(second);
    const recorded = await deliveryOf(gone.id, second.eventId);
    expect(recorded).toMatchObject({ state: "pending", lastStatus: null });
    expect(recorded?.lastError).toMatch(/ECONNREFUSED/);
  });

  it("fails at once on 410 Gone and removes the webhook; later events get no delivery", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 410);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const { queue, handle } = setUp();

    await handle(event);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({ state: "failed", lastStatus: 410 });
    const stored = await store.partners.get(partner.id);
    expect(stored.webhookUrl).toBeUndefined();
    expect(stored.webhookSecret).toBeUndefined();

    const later = eventFor(partner.id);
    await handle(later);
    expect(hooks.requests).toHaveLength(1);
    expect(queue.sent).toEqual([]);
    expect(await deliveryOf(partner.id, later.eventId)).toBeUndefined();
  });

  it("keeps a URL registered while the 410 was on its way", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 410);
    const partner = await partnerWithWebhook(hooks.url);
    const newUrl = "https://hooks.fabrikam-partner.example/v2";
    const reRegistering = async (delivery: WebhookDelivery) => {
      const result = await deliverWebhook(delivery);
      await store.partners.update(partner.id, (p) => ({ ...p, webhookUrl: newUrl }));
      return result;
    };
    await setUp({ deliver: reRegistering }).handle(eventFor(partner.id));
    expect((await store.partners.get(partner.id)).webhookUrl).toBe(newUrl);
  });

  it("fails at once, keeping the webhook, without connecting, when the destination is refused", async () => {
    const trap = await startLoopbackTrap("127.0.0.1");
    try {
      const url = `http://127.0.0.1:${trap.port}/hooks?token=abc`;
      const stale = await partnerWithWebhook(url);
      const event = eventFor(stale.id);
      const { lines, queue, handle } = setUp({ allowedHosts: [] });
      await handle(event);

      const recorded = await deliveryOf(stale.id, event.eventId);
      expect(recorded).toMatchObject({ state: "failed", lastStatus: null, nextAttemptAt: null });
      expect(recorded?.lastError).toContain(`http://127.0.0.1:${trap.port} is not an allowed destination`);
      expect(lines.join("\n")).toContain(
        `http://127.0.0.1:${trap.port} is not an allowed webhook destination`,
      );
      expect(`${lines.join("\n")}${recorded?.lastError ?? ""}`).not.toMatch(/\/hooks|token/);
      expect((await store.partners.get(stale.id)).webhookUrl).toBe(url);
      expect(queue.sent).toEqual([]);
      expect(trap.connections).toBe(0);
    } finally {
      await trap.close();
    }
  });

  it("records nothing and sends nothing for a partner without a webhook, or one that no longer exists", async () => {
    const hooks = freshReceiver();
    const partner = await partnerWithWebhook(undefined);
    const { lines, handle } = setUp();
    const event = eventFor(partner.id);
    await handle(event);
    await handle(eventFor("no-such-partner"));
    expect(hooks.requests).toEqual([]);
    expect(await deliveryOf(partner.id, event.eventId)).toBeUndefined();
    expect(lines.join("\n")).toMatch(/has no webhook[\s\S]*no longer exists/);
  });

  it("throws NonRetriableError for a message that is not JSON or not ours (it ends in the poison queue)", async () => {
    const { handle } = setUp();
    await expect(handle("not json")).rejects.toThrow(NonRetriableError);
    await expect(handle({ eventId: "e" })).rejects.toThrow(NonRetriableError);
    await expect(handle({ retry: { partnerId: "p" } })).rejects.toThrow(NonRetriableError);
  });
});

describe("redelivery", () => {
  /** A partner with one failed (dead-lettered) delivery of `event`. */
  async function failedDelivery() {
    const hooks = freshReceiver();
    hooks.fail(1, 500);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const setup = setUp({ retry: { ...policy, windowMs: 0 } });
    await setup.handle(event);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({ state: "failed", attempts: 1 });
    return { hooks, partner, event, ...setup };
  }

  it("makes a failed delivery due now in a new window, and the redelivery's message delivers it", async () => {
    const { hooks, partner, event, ports, queue, clock, handle } = await failedDelivery();
    clock.advance(3600);
    const redone = await redeliverWebhook(ports, partner.id, event.eventId);
    expect(redone).toMatchObject({
      state: "pending",
      nextAttemptAt: "2026-11-02T10:00:00.000Z",
      attempts: 1,
    });
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([0]);

    await handle(queue.sent[0]?.message);
    expect(await deliveryOf(partner.id, event.eventId)).toMatchObject({ state: "delivered", attempts: 2 });
    expect(hooks.requests.map((r) => r.headers["webhook-id"])).toEqual([event.eventId, event.eventId]);
  });

  it("answers NotFoundError for an unknown delivery or another partner's, ConflictError without a webhook", async () => {
    const { partner, event, ports } = await failedDelivery();
    const other = await partnerWithWebhook(receiver.url);
    await expect(redeliverWebhook(ports, other.id, event.eventId)).rejects.toThrow(NotFoundError);
    await expect(redeliverWebhook(ports, partner.id, randomUUID())).rejects.toThrow(NotFoundError);
    await store.partners.update(partner.id, ({ webhookUrl: _u, webhookSecret: _s, ...rest }) => rest);
    await expect(redeliverWebhook(ports, partner.id, event.eventId)).rejects.toThrow(ConflictError);
  });

  it("redelivers since a time every delivery not delivered, newest first; delivered ones only when asked", async () => {
    const hooks = freshReceiver();
    const partner = await partnerWithWebhook(hooks.url);
    const { ports, queue, clock, handle } = setUp({ retry: { ...policy, windowMs: 0 } });
    const old = eventFor(partner.id);
    hooks.fail(1, 500);
    await handle(old);
    clock.advance(600);
    const since = clock.now().toISOString();
    const failedA = eventFor(partner.id);
    const delivered = eventFor(partner.id);
    const failedB = eventFor(partner.id);
    hooks.fail(1, 500);
    await handle(failedA);
    clock.advance(1);
    await handle(delivered);
    clock.advance(1);
    hooks.fail(1, 500);
    await handle(failedB);

    expect(await redeliverWebhooksSince(ports, partner.id, { since })).toEqual([
      failedB.eventId,
      failedA.eventId,
    ]);
    expect(queue.sent).toHaveLength(2);
    expect(await redeliverWebhooksSince(ports, partner.id, { since, includeDelivered: true })).toEqual([
      failedB.eventId,
      delivered.eventId,
      failedA.eventId,
    ]);
    expect(await deliveryOf(partner.id, old.eventId)).toMatchObject({ state: "failed" });

    const page = await store.webhookDeliveries.list(partner.id, { state: "failed" });
    expect(page.items.map((d) => d.id)).toEqual([old.eventId]);
  });
});
