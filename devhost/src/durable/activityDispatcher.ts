import { randomUUID } from "node:crypto";
import os from "node:os";
import { decodeTypedData, type Invoker, type Logger } from "../invoker";
import { isLeaseLost, MessageLease } from "../messageLease";
import type { FunctionRegistry } from "../registry";
import { EventType } from "./events";
import { maxPayloadChars, type TaskHub, type WorkItemMessage } from "./taskHub";

/**
 * Runs activities from the work-item queue and reports each outcome to its orchestration's
 * control queue. At least once: a host that dies mid-activity leaves the message to reappear after
 * its lease, and the activity runs again; the orchestration drops the duplicate completion.
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
  /** Work items running here, by message ID: a redelivery only brings a newer pop receipt. */
  private readonly held = new Map<string, MessageLease>();

  constructor(private readonly options: ActivityDispatcherOptions) {}

  start(): void {
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await Promise.all(this.running);
  }

  private async poll(): Promise<void> {
    const limit = this.options.concurrency ?? 10 * os.cpus().length;
    let idleMs = 10;
    while (!this.stopping) {
      const room = limit - this.running.size;
      if (room <= 0) {
        await Promise.race(this.running);
        continue;
      }
      let items: { messageText: string; messageId: string; popReceipt: string }[] = [];
      try {
        const batch = await this.options.hub.workItems.receiveMessages({
          numberOfMessages: Math.min(32, room),
          visibilityTimeout: this.leaseSeconds,
        });
        items = batch.receivedMessageItems;
      } catch (err) {
        if (!this.stopping)
          this.options.log.error(`durable: work-item queue unreadable: ${(err as Error).message}`);
      }
      if (items.length === 0) {
        await sleep(idleMs);
        idleMs = Math.min(idleMs * 2, 500);
        continue;
      }
      idleMs = 10;
      for (const item of items) {
        const held = this.held.get(item.messageId);
        if (held) {
          held.adopt(item.popReceipt); // still running here: its lease lapsed before a renewal
          continue;
        }
        const lease = new MessageLease(
          this.options.hub.workItems,
          item.messageId,
          item.popReceipt,
          this.leaseSeconds,
        );
        const run: Promise<void> = this.run(item.messageText, lease)
          .catch((err: unknown) =>
            this.options.log.error(`durable: activity message ${item.messageId}: ${(err as Error).message}`),
          )
          .finally(() => {
            this.running.delete(run);
            if (!lease.ended) void lease.end(); // failed before the delete: it reappears after its lease
            this.held.delete(item.messageId);
          });
        this.held.set(item.messageId, lease);
        this.running.add(run);
      }
    }
  }

  private get leaseSeconds(): number {
    return this.options.leaseSeconds ?? 300;
  }

  /** Runs one work item under its lease (renewed, so a long activity is not started twice), then deletes it. */
  private async run(text: string, lease: MessageLease): Promise<void> {
    const item = parseWorkItem(text);
    if (!item) this.options.log.error(`durable: dropping unreadable work item ${lease.messageId}`);
    else await this.execute(item);
    try {
      await lease.delete();
    } catch (err) {
      if (!isLeaseLost(err)) throw err;
    }
  }

  /** Invokes the activity and reports its outcome to the orchestration. */
  private async execute(item: WorkItemMessage): Promise<void> {
    const { hub, registry, invoker } = this.options;
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
    await hub.sendControl({
      id: randomUUID(),
      instanceId: item.instanceId,
      executionId: item.executionId,
      event: { ...outcome, Timestamp: now(), TaskScheduledId: item.taskScheduledId },
    });
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
