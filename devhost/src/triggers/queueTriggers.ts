import type { DequeuedMessageItem } from "@azure/storage-queue";
import type { RpcInvocationResponse, RpcTypedData } from "../coreTypes";
import type { HostConfig } from "../hostConfig";
import type { Invoker } from "../invoker";
import { isLeaseLost, MessageLease } from "../messageLease";
import { jittered } from "../pollBackoff";
import type { FunctionRegistry, RegisteredFunction } from "../registry";
import {
  decodeQueueMessage,
  ensureQueue,
  resolveQueueBinding,
  sendQueueMessage,
  watchQueueWrites,
  writeOutputBindings,
  type QueueTarget,
} from "./outputBindings";
import { Sleeper, type RunningTriggers } from "./timerTriggers";

/**
 * Storage-queue triggers (`app.storageQueue`), with the host's default semantics: base64 messages,
 * batches of `batchSize` processed concurrently and a new batch fetched once `newBatchThreshold` or
 * fewer are in flight, exponential back-off on an empty queue up to `maxPollingInterval`, a failed
 * message made visible again after `visibilityTimeout`, and after `maxDequeueCount` failed attempts
 * the message moved to `<queue>-poison`.
 *
 * Each message is leased for `leaseSeconds` (the host's 10 minutes) and the lease is renewed at half
 * that while the function runs, so a long invocation is never handed to a second consumer.
 * Processing is at least once: a host killed mid-invocation leaves the message to reappear.
 */

export const leaseSeconds = 600;
/** The shortest wait between polls of an empty queue (the host's minimum back-off). */
const minPollingIntervalMs = 100;

export interface QueueTriggerOptions {
  registry: FunctionRegistry;
  invoker: Invoker;
  queues: HostConfig["queues"];
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Writes a successful invocation's outputs; defaults to `writeOutputBindings(fn, response, env)`. */
  onOutput?: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;
}

/**
 * Starts one listener per `queueTrigger` function. Resolves once every binding is valid and every
 * queue exists; rejects (starting nothing) on a bad binding or unreachable storage.
 */
export async function startQueueTriggers(options: QueueTriggerOptions): Promise<RunningTriggers> {
  const functions = options.registry.byTrigger("queueTrigger");
  const targets = functions.map((fn) => resolveQueueBinding(fn.name, fn.trigger.binding, options.env));
  for (const target of targets) await ensureQueue(target);
  const listeners = functions.map((fn, i) => new QueueListener(fn, targets[i] as QueueTarget, options));
  const loops = listeners.map((listener) => listener.run());
  return {
    async stop() {
      for (const listener of listeners) listener.cancel();
      await Promise.all(loops);
    },
  };
}

class QueueListener {
  private readonly sleeper = new Sleeper();
  private readonly inFlight = new Set<Promise<void>>();
  /** Undefined when `<queue>-poison` is not a valid name: then, as in the host, failures stay leased. */
  private readonly poison: QueueTarget | undefined;

  constructor(
    private readonly fn: RegisteredFunction,
    private readonly target: QueueTarget,
    private readonly options: QueueTriggerOptions,
  ) {
    this.poison = poisonQueueFor(fn, target, options);
    if (fn.metadata.retryOptions)
      options.log(`queue ${fn.name}: "retry" is ignored for queue triggers; maxDequeueCount governs retries`);
  }

  cancel(): void {
    this.sleeper.cancel();
  }

  /** Polls until cancelled, then waits for the messages in flight. Never rejects. */
  async run(): Promise<void> {
    // A message this process just wrote to our queue is picked up at once, not after the back-off.
    const unwatch = watchQueueWrites((written) => {
      if (
        written.queueName === this.target.queueName &&
        written.connectionString === this.target.connectionString
      )
        this.sleeper.wake();
    });
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options.queues;
    const maxDelay = Math.max(minPollingIntervalMs, maxPollingIntervalMs);
    let delay = minPollingIntervalMs;
    while (!this.sleeper.cancelled) {
      if (this.inFlight.size > newBatchThreshold) {
        await this.oneFinished();
        continue;
      }
      const received = await this.receive(batchSize);
      for (const message of received) this.track(this.process(message));
      if (received.length > 0) {
        delay = minPollingIntervalMs;
        continue;
      }
      await this.sleeper.sleep(jittered(delay));
      delay = Math.min(maxDelay, delay * 2);
    }
    unwatch();
    await Promise.all(this.inFlight);
  }

  private async receive(count: number): Promise<DequeuedMessageItem[]> {
    try {
      const response = await this.target.client.receiveMessages({
        numberOfMessages: count,
        visibilityTimeout: leaseSeconds,
      });
      if (!this.sleeper.cancelled) return response.receivedMessageItems;
      // Stopped while receiving: hand the messages back rather than leave them leased for 10 minutes.
      await Promise.all(
        response.receivedMessageItems.map((m) =>
          this.target.client.updateMessage(m.messageId, m.popReceipt, undefined, 0).catch((err: unknown) => {
            if (!isLeaseLost(err)) throw err;
          }),
        ),
      );
    } catch (err) {
      this.options.log(
        `queue ${this.fn.name}: receiving from ${this.target.queueName} failed: ${message(err)}`,
      );
    }
    return [];
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async oneFinished(): Promise<void> {
    await Promise.race([...this.inFlight]);
  }

  /** Invokes the function for one message and settles the message. Never rejects. */
  private async process(item: DequeuedMessageItem): Promise<void> {
    const lease = new MessageLease(this.target.client, item.messageId, item.popReceipt, leaseSeconds, (err) =>
      this.options.log(
        `queue ${this.fn.name}: renewing the lease on message ${item.messageId} failed: ${message(err)}`,
      ),
    );
    try {
      const text = decodeQueueMessage(item.messageText);
      if (text === undefined) {
        this.options.log(`queue ${this.fn.name}: message ${item.messageId} is not base64`);
        return await this.moveToPoison(lease, Buffer.from(item.messageText, "utf8"));
      }
      // A message already tried maxDequeueCount times (e.g. the host died mid-invocation) is not run again.
      if (item.dequeueCount > this.options.queues.maxDequeueCount)
        return await this.moveToPoison(lease, Buffer.from(text, "utf8"));
      if (await this.invoke(item, text)) return await this.delete(lease);
      if (item.dequeueCount >= this.options.queues.maxDequeueCount) {
        this.options.log(
          `queue ${this.fn.name}: message ${item.messageId} has reached maxDequeueCount of ` +
            `${this.options.queues.maxDequeueCount}`,
        );
        return await this.moveToPoison(lease, Buffer.from(text, "utf8"));
      }
      if (!this.poison) return; // no poison queue: leave it invisible rather than retry in a fast loop
      await this.release(lease, Math.floor(this.options.queues.visibilityTimeoutMs / 1000));
    } catch (err) {
      this.options.log(`queue ${this.fn.name}: settling message ${item.messageId} failed: ${message(err)}`);
    } finally {
      await lease.end();
    }
  }

  /** True when the function and its output bindings succeeded (an output failure fails the message). */
  private async invoke(item: DequeuedMessageItem, text: string): Promise<boolean> {
    try {
      const result = await this.options.invoker.invoke(this.fn, {
        inputData: [{ name: this.fn.trigger.name, data: messageData(text) }],
        triggerMetadata: triggerMetadata(item, text),
      });
      if (!result.ok) return false;
      const write = this.options.onOutput ?? ((fn, r) => writeOutputBindings(fn, r, this.options.env));
      await write(this.fn, result.response);
      return true;
    } catch (err) {
      this.options.log(`queue ${this.fn.name}: message ${item.messageId}: ${message(err)}`);
      return false;
    }
  }

  private async moveToPoison(lease: MessageLease, body: Buffer): Promise<void> {
    if (!this.poison) return;
    this.options.log(`queue ${this.fn.name}: moving message ${lease.messageId} to ${this.poison.queueName}`);
    await sendQueueMessage(this.poison, body);
    await this.delete(lease);
  }

  /** A pop receipt mismatch or a missing message means someone else owns it now: nothing to do. */
  private async delete(lease: MessageLease): Promise<void> {
    try {
      await lease.delete();
    } catch (err) {
      if (!isLeaseLost(err)) throw err;
    }
  }

  private async release(lease: MessageLease, visibilitySeconds: number): Promise<void> {
    try {
      await lease.release(visibilitySeconds);
    } catch (err) {
      if (!isLeaseLost(err)) throw err;
    }
  }
}

/** `<queue>-poison` on the trigger's account, or undefined (logged) when that name is too long. */
function poisonQueueFor(
  fn: RegisteredFunction,
  target: QueueTarget,
  options: QueueTriggerOptions,
): QueueTarget | undefined {
  try {
    return resolveQueueBinding(
      fn.name,
      { ...fn.trigger.binding, queueName: `${target.queueName}-poison` },
      options.env,
    );
  } catch (err) {
    options.log(`queue ${fn.name}: no poison queue (${message(err)}); failing messages stay invisible`);
    return undefined;
  }
}

/**
 * The trigger input: JSON text as `json`, anything else as `string` (the library JSON-parses a
 * `string` when it can, so a handler sees the same value either way).
 */
function messageData(text: string): RpcTypedData {
  try {
    JSON.parse(text);
    return { json: text };
  } catch {
    return { string: text };
  }
}

/**
 * Trigger metadata as the host sends it: PascalCase names, times as JSON date strings. The library
 * camel-cases names (and JSON-parses values) into `context.triggerMetadata`.
 */
function triggerMetadata(item: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
  const time = (date: Date) => ({ json: JSON.stringify(date.toISOString()) });
  return {
    QueueTrigger: { string: text },
    Id: { string: item.messageId },
    DequeueCount: { int: item.dequeueCount },
    InsertionTime: time(item.insertedOn),
    ExpirationTime: time(item.expiresOn),
    NextVisibleTime: time(item.nextVisibleOn),
    PopReceipt: { string: item.popReceipt },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
