import { randomUUID } from "node:crypto";
import os from "node:os";
import { decodeTypedData, type Invoker, type Logger } from "../invoker";
import type { FunctionRegistry } from "../registry";
import { EventType } from "./events";
import { statusOf, type TaskHub, type WorkItemMessage } from "./taskHub";

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
          visibilityTimeout: this.options.leaseSeconds ?? 300,
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
        const run: Promise<void> = this.run(
          JSON.parse(item.messageText) as WorkItemMessage,
          item.messageId,
          item.popReceipt,
        )
          .catch((err: unknown) =>
            this.options.log.error(`durable: activity message ${item.messageId}: ${(err as Error).message}`),
          )
          .finally(() => this.running.delete(run));
        this.running.add(run);
      }
    }
  }

  private async run(item: WorkItemMessage, messageId: string, popReceipt: string): Promise<void> {
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
        ? {
            EventType: EventType.TaskCompleted,
            Result: JSON.stringify(decodeTypedData(result.response.returnValue) ?? null),
          }
        : failed(result.error.message, result.error.name, result.error.stack ?? "");
    }
    await hub.sendControl({
      id: randomUUID(),
      instanceId: item.instanceId,
      executionId: item.executionId,
      event: { ...outcome, Timestamp: now(), TaskScheduledId: item.taskScheduledId },
    });
    try {
      await hub.workItems.deleteMessage(messageId, popReceipt);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
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
