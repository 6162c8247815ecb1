import { randomUUID } from "node:crypto";
import os from "node:os";
import type { DequeuedMessageItem } from "@azure/storage-queue";
import { decodeTypedData, type Invoker, type Logger } from "../invoker";
import { isLeaseLost, MessageLease } from "../messageLease";
import type { FunctionRegistry } from "../registry";
import { EventType } from "./events";
import { jittered } from "../pollBackoff";
import { maxIdleMs, Sleeper } from "./sleeper";
import { maxPayloadChars, type ControlMessage, type TaskHub, type WorkItemMessage } from "./taskHub";

/**
 * Runs activities from the work-item queue, and those this process schedules itself (handed over
 * under their lease when sent, see TaskHub.receiveLocally), and reports each outcome to its
 * orchestration: through its control queue, or, for a work item of this process, straight to this
 * process's orchestration dispatcher together with the work item's lease, which the turn that
 * applies the outcome deletes. At least once: a host that dies mid-activity, or before the outcome
 * is applied, leaves the work item to reappear after its lease, and the activity runs again; the
 * orchestration drops the duplicate completion.
 */
export interface ActivityDispatcherOptions {
  hub: TaskHub;
  registry: FunctionRegistry;
  invoker: Invoker;
  log: Logger;
  /** Activities in flight at once (Functions' default: 10 per core). */
  concurrency?: number;
  /** Seconds a received work item stays invisible while its activity runs. */
  leaseSeconds?: number;
}

export class ActivityDispatcher {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly running = new Set<Promise<void>>();
  /** Work items running or waiting here, by message ID: a redelivery only brings a newer pop receipt. */
  private readonly held = new Map<string, MessageLease>();
  /** Work items this process sent itself, leased, waiting for room to run. */
  private readonly local: { item: WorkItemMessage; lease: MessageLease }[] = [];
  private readonly idle = new Sleeper();

  constructor(private readonly options: ActivityDispatcherOptions) {}

  start(): void {
    this.loop = this.poll();
    this.options.hub.receiveLocally("workItems", {
      leaseSeconds: this.leaseSeconds,
      take: (item, lease) => this.take(item, lease),
    });
  }

  async stop(): Promise<void> {
    this.options.hub.receiveLocally("workItems", undefined);
    this.stopping = true;
    this.idle.wake();
    await this.loop;
    await Promise.all(this.running);
    // Not started: visible again at once, for whichever host polls next.
    await Promise.all(this.local.splice(0).map(({ lease }) => release(lease)));
  }

  /** A work item this process sent: it waits here, leased, for a free slot. */
  private take(item: WorkItemMessage, lease: MessageLease): void {
    if (this.stopping) {
      void release(lease).catch((err: unknown) =>
        this.options.log.error(`durable: work item ${lease.messageId}: ${(err as Error).message}`),
      );
      return;
    }
    this.held.set(lease.messageId, lease);
    this.local.push({ item, lease });
    this.idle.wake();
  }

  /**
   * Runs work items: this process's own as soon as there is room, and the queue's when it is due
   * to be read (at once while it answers work, backing off while it answers none; waking up for
   * this process's own does not read it).
   */
  private async poll(): Promise<void> {
    const limit = this.options.concurrency ?? 10 * os.cpus().length;
    let idleMs = 10;
    let readAt = 0;
    while (!this.stopping) {
      const room = limit - this.running.size;
      if (room <= 0) {
        await Promise.race(this.running);
        continue;
      }
      const taken = this.local.splice(0, room);
      for (const { item, lease } of taken) this.runLeased(item, lease, true);
      if (taken.length > 0) continue;
      if (readAt > Date.now()) {
        await this.idle.sleep(readAt - Date.now());
        continue;
      }
      const items = await this.receive(room);
      if (items.length === 0) {
        idleMs = Math.min(idleMs * 2, maxIdleMs);
        readAt = Date.now() + jittered(idleMs);
        continue;
      }
      idleMs = 10;
      for (const received of items) {
        const held = this.held.get(received.messageId);
        if (held) {
          held.adopt(received.popReceipt); // still here: its lease lapsed before a renewal
          continue;
        }
        const lease = new MessageLease(
          this.options.hub.workItems,
          received.messageId,
          received.popReceipt,
          this.leaseSeconds,
        );
        this.held.set(received.messageId, lease);
        const item = parseWorkItem(received.messageText);
        if (!item) this.options.log.error(`durable: dropping unreadable work item ${received.messageId}`);
        this.runLeased(item, lease, false);
      }
    }
  }

  private async receive(room: number): Promise<DequeuedMessageItem[]> {
    try {
      const batch = await this.options.hub.workItems.receiveMessages({
        numberOfMessages: Math.min(32, room),
        visibilityTimeout: this.leaseSeconds,
      });
      return batch.receivedMessageItems;
    } catch (err) {
      if (!this.stopping)
        this.options.log.error(`durable: work-item queue unreadable: ${(err as Error).message}`);
      return [];
    }
  }

  /**
   * Runs one work item (undefined: unreadable, only deleted) in a slot of its own. `ours`: this
   * process sent it, so the orchestration's history is likely cached here, and the outcome goes
   * to this process's orchestration dispatcher rather than through the queue.
   */
  private runLeased(item: WorkItemMessage | undefined, lease: MessageLease, ours: boolean): void {
    let handedOver = false;
    const run: Promise<void> = this.run(item, lease, ours)
      .then((outcome) => {
        handedOver = outcome === "handed over";
      })
      .catch((err: unknown) =>
        this.options.log.error(`durable: activity message ${lease.messageId}: ${(err as Error).message}`),
      )
      .finally(() => {
        this.running.delete(run);
        // Failed before the delete: it reappears after its lease. Handed over: no longer ours to end.
        if (!handedOver && !lease.ended) void lease.end();
        this.held.delete(lease.messageId);
      });
    this.running.add(run);
  }

  private get leaseSeconds(): number {
    return this.options.leaseSeconds ?? 300;
  }

  /**
   * Runs one work item under its lease (renewed, so a long activity is not started twice) and
   * reports the outcome; then deletes the work item, unless it was handed over with the outcome.
   */
  private async run(
    item: WorkItemMessage | undefined,
    lease: MessageLease,
    ours: boolean,
  ): Promise<"handed over" | "settled"> {
    if (item) {
      const outcome = await this.execute(item);
      if (ours && this.options.hub.handOverControl(outcome, lease)) return "handed over";
      await this.options.hub.sendControl(outcome);
    }
    try {
      await lease.delete();
    } catch (err) {
      if (!isLeaseLost(err)) throw err;
    }
    return "settled";
  }

  /** Invokes the activity; answers the message that reports its outcome to the orchestration. */
  private async execute(item: WorkItemMessage): Promise<ControlMessage> {
    const { registry, invoker } = this.options;
    const fn = registry.find(item.name);
    const now = () => new Date().toISOString();
    let outcome;
    if (!fn || fn.trigger.binding.type !== "activityTrigger") {
      const message = `activity function "${item.name}" does not exist`;
      outcome = failed(message, "FunctionNotFound", "");
    } else {
      const result = await invoker.invoke(fn, {
        inputData: [
          { name: fn.trigger.name, data: item.input === undefined ? null : { string: item.input } },
        ],
      });
      outcome = result.ok
        ? completed(JSON.stringify(decodeTypedData(result.response.returnValue) ?? null), item.name)
        : failed(result.error.message, result.error.name, result.error.stack ?? "");
    }
    return {
      id: randomUUID(),
      instanceId: item.instanceId,
      executionId: item.executionId,
      event: { ...outcome, Timestamp: now(), TaskScheduledId: item.taskScheduledId },
    };
  }
}

function parseWorkItem(text: string): WorkItemMessage | undefined {
  try {
    const item = JSON.parse(text) as WorkItemMessage;
    return typeof item.instanceId === "string" && typeof item.name === "string" ? item : undefined;
  } catch {
    return undefined;
  }
}

function completed(result: string, name: string) {
  if (result.length <= maxPayloadChars) return { EventType: EventType.TaskCompleted, Result: result };
  const message = `activity "${name}" returned ${result.length} characters of JSON; the local host carries at most ${maxPayloadChars}`;
  return failed(message, "PayloadTooLarge", "");
}

function failed(message: string, errorType: string, stack: string) {
  return {
    EventType: EventType.TaskFailed,
    Reason: message,
    Details: stack,
    FailureDetails: { ErrorType: errorType, ErrorMessage: message, StackTrace: stack },
  };
}

/** Puts a work item back, visible at once; one no longer ours is settled by whoever has it. */
async function release(lease: MessageLease): Promise<void> {
  try {
    await lease.release(0);
  } catch (err) {
    if (!isLeaseLost(err)) throw err;
  }
}
