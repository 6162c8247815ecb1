import { describe, expect, it } from "vitest";
import {
  afterAttempt,
  newDelivery,
  redelivered,
  retryDelayMs,
  webhookDeliveryView,
  type WebhookRetryPolicy,
} from "../../../src/domain/webhookDelivery";

const policy: WebhookRetryPolicy = { firstDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 86_400_000 };
const t0 = new Date("2026-11-02T09:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const event = {
  eventId: "0b7c1f7e-9d2a-4c8e-8f51-3a7d2e1c9b40",
  partnerId: "p-1",
  associationId: "a-1",
  type: "association.status_changed",
};

describe("webhook delivery retries", () => {
  it("doubles the wait from the first delay up to the cap", () => {
    expect([1, 2, 3, 4, 7, 8, 9, 50].map((n) => retryDelayMs(n, policy) / 1000)).toEqual([
      30, 60, 120, 240, 1920, 3600, 3600, 3600,
    ]);
  });

  it("retries within a 24-hour window about thirty times, then dead-letters, the last attempt at the window's end", () => {
    let delivery = newDelivery(event, "{}", t0);
    let now = t0;
    for (;;) {
      const next = afterAttempt(delivery, { kind: "failed", status: 500, error: "HTTP 500" }, now, policy);
      delivery = next.delivery;
      if (next.retryInMs === undefined) break;
      now = new Date(now.getTime() + next.retryInMs);
    }
    expect(delivery).toMatchObject({
      state: "failed",
      nextAttemptAt: null,
      lastStatus: 500,
      lastError: "HTTP 500",
    });
    expect(now).toEqual(at(86_400));
    expect(delivery.attempts).toBeGreaterThan(25);
    expect(delivery.attempts).toBeLessThan(35);
  });

  it("records a delivery and forgets the last error; a final failure dead-letters at once", () => {
    const failedOnce = afterAttempt(
      newDelivery(event, "{}", t0),
      { kind: "failed", status: undefined, error: "ECONNREFUSED" },
      t0,
      policy,
    );
    expect(failedOnce.retryInMs).toBe(30_000);
    expect(failedOnce.delivery).toMatchObject({
      lastStatus: null,
      nextAttemptAt: "2026-11-02T09:00:30.000Z",
      failures: 1,
    });
    const delivered = afterAttempt(failedOnce.delivery, { kind: "delivered", status: 204 }, at(30), policy);
    expect(delivered.retryInMs).toBeUndefined();
    expect(delivered.delivery).toMatchObject({
      state: "delivered",
      attempts: 2,
      lastStatus: 204,
      deliveredAt: "2026-11-02T09:00:30.000Z",
    });
    expect(delivered.delivery.lastError).toBeUndefined();

    const gone = afterAttempt(
      newDelivery(event, "{}", t0),
      { kind: "final", status: 410, error: "410 Gone" },
      t0,
      policy,
    );
    expect(gone.retryInMs).toBeUndefined();
    expect(gone.delivery).toMatchObject({ state: "failed", lastStatus: 410, nextAttemptAt: null });
  });

  it("redelivery restarts the window and the waits, keeps the count, and the view hides the internals", () => {
    const failed = afterAttempt(
      newDelivery(event, '{"a":1}', t0),
      { kind: "final", status: 500, error: "x" },
      t0,
      policy,
    ).delivery;
    const again = redelivered(failed, at(7200), "d-2");
    expect(again).toMatchObject({
      state: "pending",
      attempts: 1,
      failures: 0,
      windowStartedAt: at(7200).toISOString(),
      dispatch: "d-2",
    });
    const view = webhookDeliveryView(again);
    expect(view).not.toHaveProperty("dispatch");
    expect(view).not.toHaveProperty("failures");
    expect(view).not.toHaveProperty("partnerId");
    expect(view.payload).toEqual({ a: 1 });
  });
});
