import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MessageLease } from "../../src/messageLease";

/**
 * A queue that behaves as Azure Storage does for one leased message: every update answers a new pop
 * receipt and voids the old one, and a delete or update with a void receipt is refused.
 */
class FakeQueue {
  receipt = "r0";
  calls: string[] = [];
  /** When set, the next update waits for this before it is applied. */
  hold: Promise<void> | undefined;
  private issued = 0;

  async updateMessage(_id: string, popReceipt: string, _text: string | undefined, seconds: number) {
    this.calls.push(`update ${popReceipt} ${seconds}s`);
    const hold = this.hold;
    this.hold = undefined;
    await hold;
    this.check(popReceipt);
    this.receipt = `r${++this.issued}`;
    return { popReceipt: this.receipt };
  }

  async deleteMessage(_id: string, popReceipt: string) {
    this.calls.push(`delete ${popReceipt}`);
    await Promise.resolve();
    this.check(popReceipt);
    this.receipt = "deleted";
    return {};
  }

  /** The queue handing the message out again (its lease lapsed): a new receipt. */
  redeliver(): string {
    this.receipt = `r${++this.issued}`;
    return this.receipt;
  }

  private check(popReceipt: string) {
    if (popReceipt !== this.receipt)
      throw Object.assign(new Error("The specified pop receipt did not match"), {
        code: "PopReceiptMismatch",
      });
  }
}

describe("MessageLease", () => {
  let queue: FakeQueue;
  const lease = (seconds = 2, onFailed?: (err: unknown) => void) =>
    new MessageLease(queue as never, "m1", queue.receipt, seconds, onFailed);

  beforeEach(() => {
    vi.useFakeTimers();
    queue = new FakeQueue();
  });
  afterEach(() => vi.useRealTimers());

  it("renews at half the lease and deletes with the receipt of the last renewal", async () => {
    const held = lease(2);
    await vi.advanceTimersByTimeAsync(2_500);
    await held.delete();
    expect(queue.calls).toEqual(["update r0 2s", "update r1 2s", "delete r2"]);
  });

  it("renews with the receipt of the renewal before", async () => {
    const held = lease(2);
    await vi.advanceTimersByTimeAsync(3_100);
    expect(queue.calls).toEqual(["update r0 2s", "update r1 2s", "update r2 2s"]);
    await held.end();
  });

  it("waits for a renewal in flight before it deletes", async () => {
    const held = lease(2);
    let letGo = () => undefined as void;
    queue.hold = new Promise((resolve) => (letGo = resolve));
    await vi.advanceTimersByTimeAsync(1_000); // the renewal is sent, not yet answered
    const deleted = held.delete();
    letGo();
    await deleted;
    expect(queue.calls).toEqual(["update r0 2s", "delete r1"]);
  });

  it("releases with the newest receipt", async () => {
    const held = lease(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await held.release(5);
    expect(queue.calls).toEqual(["update r0 2s", "update r1 5s"]);
  });

  it("adopts the receipt of a redelivery, for the delete and for later renewals", async () => {
    const held = lease(2);
    held.adopt(queue.redeliver());
    await vi.advanceTimersByTimeAsync(1_000);
    await held.delete();
    expect(queue.calls).toEqual(["update r1 2s", "delete r2"]);
  });

  it("stops renewing once ended, and says so", async () => {
    const held = lease(2);
    expect(held.ended).toBe(false);
    await held.end();
    expect(held.ended).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(queue.calls).toEqual([]);
  });

  it("reports a failed renewal and keeps the receipt it had", async () => {
    const failures: unknown[] = [];
    const held = lease(2, (err) => failures.push(err));
    queue.receipt = "taken-by-someone-else";
    await vi.advanceTimersByTimeAsync(1_000);
    expect(failures).toHaveLength(1);
    expect(await held.end()).toBe("r0");
  });
});
