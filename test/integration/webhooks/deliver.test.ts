import { randomBytes, randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPartnerWebhooksHandler } from "../../../functions/queues/partnerWebhooks";
import { NonRetriableError, TransientDependencyError } from "../../../src/domain/errors";
import { deliverWebhook } from "../../../src/integrations/webhooks/deliver";
import { verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";
import type { WebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../../src/store/store";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { testStore } from "../../support/storage";

const now = new Date("2026-11-02T09:00:00.000Z");

let receiver: FakeWebhookReceiver;
let store: Store;

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
  store = testStore();
});

afterAll(() => receiver?.close());

/** Each test starts with an empty record and a receiver that answers 200. */
function freshReceiver(): FakeWebhookReceiver {
  receiver.requests.length = 0;
  receiver.answerAlways(200);
  return receiver;
}

const newSecret = () => randomBytes(32).toString("base64url");

describe("deliverWebhook", () => {
  it("POSTs the body as JSON with a verifiable signature, the event ID and its user agent", async () => {
    const hooks = freshReceiver();
    const secret = newSecret();
    const body = JSON.stringify({ eventId: "evt-1", hello: "partner" });

    const result = await deliverWebhook({
      url: `${hooks.url}?token=abc`,
      secret,
      body,
      eventId: "evt-1",
      now,
    });

    expect(result).toEqual({ ok: true, status: 200 });
    expect(hooks.requests).toHaveLength(1);
    const [request] = hooks.requests;
    expect(request).toMatchObject({ method: "POST", path: "/hooks?token=abc", body });
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "partner-of-record-webhooks/1",
      "webhook-id": "evt-1",
    });
    const signature = request?.headers["webhook-signature"];
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, String(signature), body, now)).toBe(true);
    expect(verifyWebhookSignature(newSecret(), String(signature), body, now)).toBe(false);
    expect(JSON.stringify(request?.headers)).not.toContain(secret);
  });

  it.each([500, 404, 302])(
    "answers not ok, with the status, for HTTP %i (no redirect is followed)",
    async (status) => {
      const hooks = freshReceiver();
      hooks.fail(1, status);
      const result = await deliverWebhook({
        url: hooks.url,
        secret: newSecret(),
        body: "{}",
        eventId: "e",
        now,
      });
      expect(result).toEqual({ ok: false, status });
      expect(hooks.requests).toHaveLength(1);
    },
  );

  it("answers not ok, without a status, when nothing answers in time or at all", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, "hang");
    const slow = await deliverWebhook({
      url: hooks.url,
      secret: newSecret(),
      body: "{}",
      eventId: "e",
      now,
      timeoutMs: 200,
    });
    expect(slow).toEqual({ ok: false, status: undefined, error: "no answer within 200 ms" });

    const closed = await startFakeWebhookReceiver();
    await closed.close();
    const refused = await deliverWebhook({
      url: closed.url,
      secret: newSecret(),
      body: "{}",
      eventId: "e",
      now,
    });
    expect(refused).toMatchObject({ ok: false, status: undefined });
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });
});

describe("partnerWebhooks queue handler", () => {
  async function partnerWithWebhook(url: string | undefined) {
    const id = `p-${randomUUID().slice(0, 8)}`;
    const secret = newSecret();
    await store.partners.put({
      id,
      name: "Fabrikam Consulting",
      partnerLocationIds: ["4871234"],
      createdAt: "2026-10-01T08:00:00.000Z",
      ...(url ? { webhookUrl: url, webhookSecret: secret } : {}),
    });
    return { id, secret };
  }

  const eventFor = (partnerId: string, overrides: Partial<WebhookEvent> = {}): WebhookEvent => ({
    eventId: randomUUID(),
    partnerId,
    associationId: randomUUID(),
    type: "association.status_changed",
    from: "UnderReview",
    to: "Approved",
    actor: "system",
    reason: "refusal window passed",
    at: "2026-11-02T08:59:00.000Z",
    ...overrides,
  });

  /** An invocation context whose log lines are kept, to check what is (not) logged. */
  function context(dequeueCount = 1) {
    const lines: string[] = [];
    const invocation = new InvocationContext({
      functionName: "partnerWebhooks",
      triggerMetadata: { dequeueCount },
      logHandler: (_level, ...args) => lines.push(args.map(String).join(" ")),
    });
    return { invocation, lines };
  }

  const handlerWith = (overrides: { fetch?: typeof fetch } = {}) =>
    createPartnerWebhooksHandler(() => ({ store, clock: () => now, ...overrides }));

  it("retries (throws) while the receiver fails, then delivers the same event ID, signed each time", async () => {
    const hooks = freshReceiver();
    hooks.fail(2, 500);
    const partner = await partnerWithWebhook(hooks.url);
    const event = eventFor(partner.id);
    const handler = handlerWith();
    const logs: string[] = [];

    for (const attempt of [1, 2]) {
      const { invocation, lines } = context(attempt);
      await expect(handler(JSON.stringify(event), invocation)).rejects.toThrow(TransientDependencyError);
      logs.push(...lines);
    }
    const { invocation, lines } = context(3);
    await handler(Buffer.from(JSON.stringify(event)), invocation);
    logs.push(...lines);

    expect(hooks.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    for (const request of hooks.requests) {
      expect(request.headers["webhook-id"]).toBe(event.eventId);
      expect(JSON.parse(request.body)).toEqual(event);
      expect(
        verifyWebhookSignature(
          partner.secret,
          String(request.headers["webhook-signature"]),
          request.body,
          now,
        ),
      ).toBe(true);
    }
    expect(logs.join("\n")).toContain("HTTP 500 (attempt 2)");
    expect(logs.join("\n")).toContain("delivered to http://127.0.0.1");
    expect(logs.join("\n")).not.toContain(partner.secret);
    expect(logs.join("\n")).not.toContain("/hooks"); // only the origin is logged
  });

  it("throws on a 4xx other than 410, and when nothing answers", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 400);
    const partner = await partnerWithWebhook(hooks.url);
    await expect(handlerWith()(eventFor(partner.id), context().invocation)).rejects.toThrow(/HTTP 400/);

    const closed = await startFakeWebhookReceiver();
    await closed.close();
    const gone = await partnerWithWebhook(closed.url);
    await expect(handlerWith()(eventFor(gone.id), context().invocation)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("removes the webhook on 410 Gone, completes, and sends nothing more", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 410);
    const partner = await partnerWithWebhook(hooks.url);
    const handler = handlerWith();

    await handler(eventFor(partner.id), context().invocation);
    const stored = await store.partners.get(partner.id);
    expect(stored.webhookUrl).toBeUndefined();
    expect(stored.webhookSecret).toBeUndefined();
    expect(stored.name).toBe("Fabrikam Consulting");

    await handler(eventFor(partner.id), context().invocation);
    expect(hooks.requests).toHaveLength(1);
  });

  it("keeps a URL registered while the 410 was on its way", async () => {
    const hooks = freshReceiver();
    hooks.fail(1, 410);
    const partner = await partnerWithWebhook(hooks.url);
    const newUrl = "https://hooks.fabrikam-partner.example/v2";
    const reRegistering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      await store.partners.update(partner.id, (p) => ({ ...p, webhookUrl: newUrl }));
      return response;
    };

    await handlerWith({ fetch: reRegistering })(eventFor(partner.id), context().invocation);
    expect((await store.partners.get(partner.id)).webhookUrl).toBe(newUrl);
  });

  it("completes without sending for a partner without a webhook, or one that no longer exists", async () => {
    const hooks = freshReceiver();
    const partner = await partnerWithWebhook(undefined);
    const quiet = context();
    await handlerWith()(eventFor(partner.id), quiet.invocation);
    await handlerWith()(eventFor("no-such-partner"), quiet.invocation);
    expect(hooks.requests).toEqual([]);
    expect(quiet.lines.join("\n")).toMatch(/has no webhook[\s\S]*no longer exists/);
  });

  it("throws NonRetriableError for a message that is not JSON or not an event (it ends in the poison queue)", async () => {
    const handler = handlerWith();
    await expect(handler("not json", context().invocation)).rejects.toThrow(NonRetriableError);
    await expect(handler({ eventId: "e" }, context().invocation)).rejects.toThrow(NonRetriableError);
  });
});
