import { randomBytes, randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPartnerWebhooksHandler,
  type PartnerWebhooksPorts,
} from "../../../functions/queues/partnerWebhooks";
import { NonRetriableError, TransientDependencyError } from "../../../src/domain/errors";
import { deliverWebhook, type WebhookDelivery } from "../../../src/integrations/webhooks/deliver";
import { registrationRefusal, type ResolveHost } from "../../../src/integrations/webhooks/destinationGuard";
import { verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";
import type { WebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../../src/store/store";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { testStore } from "../../support/storage";
import { startLoopbackTrap, type LoopbackTrap } from "./loopbackTrap";

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

/** The receivers here listen on 127.0.0.1: allow-listed, as WEBHOOK_ALLOWED_HOSTS does in tests. */
const allowedHosts = ["127.0.0.1"];

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
      allowedHosts,
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
        allowedHosts,
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
      allowedHosts,
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
      allowedHosts,
    });
    expect(refused).toMatchObject({ ok: false, status: undefined });
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });
});

/** A resolver answering from a list of answers, one per call (the last one repeats): no DNS. */
function scriptedDns(...answers: string[][]): ResolveHost {
  let call = 0;
  return () => {
    const addresses = answers[Math.min(call++, answers.length - 1)] ?? [];
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
  };
}

describe("deliverWebhook destinations (server-side request forgery)", () => {
  let trap: LoopbackTrap;
  let trap2: LoopbackTrap;

  beforeAll(async () => {
    trap = await startLoopbackTrap("127.0.0.1");
    trap2 = await startLoopbackTrap("127.0.0.2");
  });

  afterAll(async () => {
    await trap?.close();
    await trap2?.close();
  });

  const attempt = (url: string, allowed: string[], resolve?: ResolveHost) =>
    deliverWebhook({
      url,
      secret: newSecret(),
      body: "{}",
      eventId: "e",
      now,
      allowedHosts: allowed,
      ...(resolve ? { resolve } : {}),
    });

  it("refuses, without connecting, a URL that is not allowed (any more)", async () => {
    const cases: [string, string[], string][] = [
      [`http://127.0.0.1:${trap.port}/hooks`, [], "must use https"],
      [`https://127.0.0.1:${trap.port}/hooks`, [], "must not point at a loopback address (127.0.0.1)"],
      [`https://2130706433:${trap.port}/hooks`, [], "must not point at a loopback address (127.0.0.1)"],
      [`https://[::ffff:127.0.0.1]:${trap.port}/hooks`, ["127.0.0.1"], "loopback address (::ffff:7f00:1)"],
      [`https://localhost.:${trap.port}/hooks`, ["127.0.0.1"], "loopback address (localhost)"],
      [`http://127.0.0.2:${trap2.port}/hooks`, ["127.0.0.1"], "must use https"],
      [`https://127.0.0.2:${trap2.port}/hooks`, ["127.0.0.1"], "loopback address (127.0.0.2)"],
    ];
    for (const [url, allowed, reason] of cases)
      expect(await attempt(url, allowed), url).toEqual({
        ok: false,
        status: undefined,
        refused: expect.stringContaining(reason) as string,
      });
    expect([trap.connections, trap2.connections]).toEqual([0, 0]);
  });

  it("checks the addresses it connects to: a name that resolved to a public address at registration and to loopback now is refused", async () => {
    const url = `https://hooks.rebind.example:${trap.port}/hooks`;
    const rebinding = scriptedDns(["20.50.1.1"], ["127.0.0.1"]);
    expect(await registrationRefusal(url, [], rebinding)).toBeUndefined();

    expect(await attempt(url, [], rebinding)).toEqual({
      ok: false,
      status: undefined,
      refused: "hooks.rebind.example resolves to a loopback address (127.0.0.1)",
    });
    // One private answer among public ones is enough: the socket could pick any of them.
    expect(await attempt(url, [], scriptedDns(["20.50.1.1", "::1"]))).toMatchObject({
      refused: "hooks.rebind.example resolves to a loopback address (::1)",
    });
    expect(trap.connections).toBe(0);
  });

  it("connects where its resolver says, host header and all: an allow-listed name reaches its internal receiver", async () => {
    const hooks = freshReceiver();
    const port = new URL(hooks.url).port;
    const result = await attempt(
      `http://hooks.partner.test:${port}/hooks`,
      ["hooks.partner.test"],
      scriptedDns(["127.0.0.1"]),
    );
    expect(result).toEqual({ ok: true, status: 200 });
    expect(hooks.requests.map((r) => r.headers.host)).toEqual([`hooks.partner.test:${port}`]);
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

  const handlerWith = (overrides: Partial<PartnerWebhooksPorts> = {}) =>
    createPartnerWebhooksHandler(() => ({ store, clock: () => now, allowedHosts, ...overrides }));

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
    const reRegistering = async (delivery: WebhookDelivery) => {
      const result = await deliverWebhook(delivery);
      await store.partners.update(partner.id, (p) => ({ ...p, webhookUrl: newUrl }));
      return result;
    };

    await handlerWith({ deliver: reRegistering })(eventFor(partner.id), context().invocation);
    expect((await store.partners.get(partner.id)).webhookUrl).toBe(newUrl);
  });

  it("completes, keeping the webhook, without connecting or retrying, when the destination is refused", async () => {
    const trap = await startLoopbackTrap("127.0.0.1");
    try {
      const stale = await partnerWithWebhook(`http://127.0.0.1:${trap.port}/hooks?token=abc`);
      const { invocation, lines } = context();
      await handlerWith({ allowedHosts: [] })(eventFor(stale.id), invocation);
      expect(lines.join("\n")).toContain(
        `http://127.0.0.1:${trap.port} is not an allowed webhook destination`,
      );
      expect(lines.join("\n")).not.toMatch(/\/hooks|token/);
      expect((await store.partners.get(stale.id)).webhookUrl).toBe(
        `http://127.0.0.1:${trap.port}/hooks?token=abc`,
      );

      const rebound = await partnerWithWebhook(`https://hooks.rebind.example:${trap.port}/hooks`);
      const toLoopback = (delivery: WebhookDelivery) =>
        deliverWebhook({ ...delivery, resolve: scriptedDns(["127.0.0.1"]) });
      await handlerWith({ allowedHosts: [], deliver: toLoopback })(
        eventFor(rebound.id),
        context().invocation,
      );

      expect(trap.connections).toBe(0);
    } finally {
      await trap.close();
    }
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
