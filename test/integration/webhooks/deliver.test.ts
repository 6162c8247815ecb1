import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverWebhook } from "../../../src/integrations/webhooks/deliver";
import { registrationRefusal, type ResolveHost } from "../../../src/integrations/webhooks/destinationGuard";
import { verifyWebhookSignature } from "../../../src/integrations/webhooks/signature";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { startLoopbackTrap, type LoopbackTrap } from "./loopbackTrap";

const now = new Date("2026-11-02T09:00:00.000Z");

let receiver: FakeWebhookReceiver;

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
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
