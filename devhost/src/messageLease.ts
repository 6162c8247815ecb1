import type { QueueClient } from "@azure/storage-queue";

/** The two queue operations a lease needs (a QueueClient, or a stand-in in tests). */
export type LeasedQueue = Pick<QueueClient, "updateMessage" | "deleteMessage">;

/**
 * A received queue message this process is working on. Its lease (the message's invisibility) is
 * renewed at half its length until `end`, so slow work is not handed to a second consumer.
 *
 * Every renewal answers a new pop receipt and voids the one before; so does the queue handing the
 * message out again (`adopt`: a lease that lapsed anyway, say while the event loop was blocked).
 * Renewals and adoptions run one after another, each starting from the receipt the previous one
 * left, and `end`, `delete` and `release` wait for the one in flight: the receipt they present is
 * always the newest. A renewal that fails is reported and the old receipt kept; the message may
 * then reach another consumer (at least once), and a later delete may find it gone.
 */
export class MessageLease {
  private popReceipt: string;
  private pending: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: LeasedQueue,
    readonly messageId: string,
    popReceipt: string,
    private readonly leaseSeconds: number,
    private readonly onRenewalFailed: (err: unknown) => void = () => undefined,
  ) {
    this.popReceipt = popReceipt;
    this.timer = setInterval(() => this.then(() => this.renew()), (leaseSeconds * 1000) / 2);
    this.timer.unref();
  }

  /** True once `end` (or `delete`, `release`) was called: nothing renews it any more. */
  get ended(): boolean {
    return this.timer === undefined;
  }

  /** The queue handed the message out again with `popReceipt`: only that one counts from now on. */
  adopt(popReceipt: string): void {
    this.then(() => {
      this.popReceipt = popReceipt;
      return Promise.resolve();
    });
  }

  /** Stops renewing; answers the newest receipt once no renewal is in flight. */
  async end(): Promise<string> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pending;
    return this.popReceipt;
  }

  /** Ends the lease and deletes the message (errors as the queue answers them). */
  async delete(): Promise<void> {
    const popReceipt = await this.end();
    await this.queue.deleteMessage(this.messageId, popReceipt);
  }

  /** Ends the lease and makes the message visible again after `visibilitySeconds`. */
  async release(visibilitySeconds: number): Promise<void> {
    const popReceipt = await this.end();
    await this.queue.updateMessage(this.messageId, popReceipt, undefined, visibilitySeconds);
  }

  private then(step: () => Promise<void>): void {
    this.pending = this.pending.then(step);
  }

  private async renew(): Promise<void> {
    if (this.ended) return;
    try {
      const answer = await this.queue.updateMessage(
        this.messageId,
        this.popReceipt,
        undefined,
        this.leaseSeconds,
      );
      if (answer.popReceipt) this.popReceipt = answer.popReceipt;
    } catch (err) {
      this.onRenewalFailed(err);
    }
  }
}

/**
 * The queue's answer when a message is no longer ours to settle: deleted, its queue gone, or handed
 * to another consumer after its lease ran out (that consumer settles it).
 */
export function isLeaseLost(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  return (
    statusCode === 404 ||
    code === "MessageNotFound" ||
    code === "QueueNotFound" ||
    code === "PopReceiptMismatch"
  );
}
