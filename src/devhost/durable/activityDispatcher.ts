import { randomUUID } from "node:crypto";
import os from "node:os";
import { decodeTypedData, type Invoker, type Logger } from "../invoker";
import type { FunctionRegistry } from "../registry";
import { EventType } from "./events";
import { maxPayloadChars, statusOf, type TaskHub, type WorkItemMessage } from "./taskHub";

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
  private readonly inFlight = new Set<string>();

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
        if (this.inFlight.has(item.messageId)) continue; // still running here: its lease is being renewed
        const run: Promise<void> = this.run(item)
          .catch((err: unknown) =>
            this.options.log.error(`durable: activity message ${item.messageId}: ${(err as Error).message}`),
          )
          .finally(() => {
            this.running.delete(run);
            this.inFlight.delete(item.messageId);
          });
        this.inFlight.add(item.messageId);
        this.running.add(run);
      }
    }
  }

  /** Runs one work item under a lease renewed at half its length, so a long activity is not started twice. */
  private async run(received: { messageText: string; messageId: string; popReceipt: string }): Promise<void> {
    const { hub } = this.options;
    const leaseSeconds = this.options.leaseSeconds ?? 300;
    let popReceipt = received.popReceipt;
    const item = parseWorkItem(received.messageText);
    if (!item) {
      this.options.log.error(`durable: dropping unreadable work item ${received.messageId}`);
      await hub.workItems.deleteMessage(received.messageId, popReceipt);
      return;
    }
    const renewal = setInterval(
      () => {
        hub.workItems
          .updateMessage(received.messageId, popReceipt, undefined, leaseSeconds)
          .then((r) => (popReceipt = r.popReceipt ?? popReceipt))
          .catch(() => undefined); // lost: the item may run again elsewhere (at least once)
      },
      (leaseSeconds * 1000) / 2,
    );
    renewal.unref();
    try {
      await this.execute(item);
    } finally {
      clearInterval(renewal);
    }
    try {
      await hub.workItems.deleteMessage(received.messageId, popReceipt);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
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
