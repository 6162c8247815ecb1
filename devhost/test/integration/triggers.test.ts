import { randomBytes } from "node:crypto";
import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadApp } from "../../src/appLoader";
import { readHostConfig } from "../../src/hostConfig";
import { Invoker } from "../../src/invoker";
import type { RegisteredFunction } from "../../src/registry";
import { writeOutputBindings } from "../../src/triggers/outputBindings";
import { startQueueTriggers } from "../../src/triggers/queueTriggers";
import { startTimerTriggers, type RunningTriggers } from "../../src/triggers/timerTriggers";

// One fixture app per file: @azure/functions caches its core module per process.
const suffix = randomBytes(4).toString("hex");
const logs: string[] = [];
const log = (line: string) => logs.push(line);
let service: QueueServiceClient;
let timers: RunningTriggers | undefined;
let queues: RunningTriggers | undefined;

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const queue = (name: string) => service.getQueueClient(`${name}-${suffix}`);

/** Receives (and deletes) messages from a test queue until `done` holds, or fails after `timeoutMs`. */
async function collect(
  name: string,
  done: (seen: unknown[]) => boolean,
  timeoutMs = 10_000,
): Promise<unknown[]> {
  const client = queue(name);
  await client.createIfNotExists();
  const seen: unknown[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(seen)) {
    if (Date.now() > deadline)
      throw new Error(`queue ${name}-${suffix}: condition not met; saw ${JSON.stringify(seen)}`);
    const { receivedMessageItems } = await client.receiveMessages({
      numberOfMessages: 32,
      visibilityTimeout: 30,
    });
    for (const item of receivedMessageItems) {
      seen.push(parse(Buffer.from(item.messageText, "base64").toString("utf8")));
      await client.deleteMessage(item.messageId, item.popReceipt);
    }
    if (receivedMessageItems.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return seen;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Messages in a queue, visible or not (a leased message still counts); 0 while it does not exist. */
async function depth(name: string): Promise<number> {
  try {
    return (await service.getQueueClient(name).getProperties()).approximateMessagesCount ?? 0;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 0;
    throw err;
  }
}

beforeAll(async () => {
  process.env.AzureWebJobsStorage = inject("storageConnectionString");
  process.env.QUEUE_SUFFIX = suffix;
  service = QueueServiceClient.fromConnectionString(process.env.AzureWebJobsStorage);
  const app = await loadApp("devhost/test/fixtures/trigger-app", log);
  const config = await readHostConfig(app.dir);
  const invoker = new Invoker(app.core, { info: log, error: log }, config.functionTimeoutMs);
  queues = await startQueueTriggers({
    registry: app.registry,
    invoker,
    queues: config.queues,
    env: process.env,
    log,
  });
  timers = startTimerTriggers({ registry: app.registry, invoker, log });
});

afterAll(async () => {
  await timers?.stop();
  await queues?.stop();
});

interface TimerSeen {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
  at?: string;
}

describe("timer triggers", () => {
  it("fire a seconds schedule every second, on the second, with the host's TimerInfo shape", async () => {
    const ticks = (await collect("ticks", (seen) => seen.length >= 2, 6_000)) as TimerSeen[];
    for (const tick of ticks) {
      expect(tick).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
      const due = new Date(tick.scheduleStatus.next);
      expect(due.getUTCMilliseconds()).toBe(0);
      expect(new Date(tick.at ?? "").getTime() - due.getTime()).toBeGreaterThanOrEqual(0);
      expect(new Date(tick.at ?? "").getTime() - due.getTime()).toBeLessThan(1_000);
    }
    const [first, second] = ticks;
    expect(new Date(second?.scheduleStatus.next ?? "").getTime()).toBeGreaterThan(
      new Date(first?.scheduleStatus.next ?? "").getTime(),
    );
  });

  it("run a runOnStartup timer once at start", async () => {
    const runs = (await collect("startup", (seen) => seen.length >= 1)) as TimerSeen[];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    runs.push(...((await collect("startup", () => true)) as TimerSeen[]));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      isPastDue: false,
      scheduleStatus: {
        last: "0001-01-01T00:00:00.000Z",
        next: expect.stringMatching(/-01-01T00:00:00.000Z$/) as string,
      },
    });
  });

  it("never run one timer twice at once, skipping occurrences due during a run", async () => {
    const runs = (await collect("slow", (seen) => seen.length >= 3, 12_000)) as {
      start: string;
      end: string;
    }[];
    runs.sort((a, b) => a.start.localeCompare(b.start));
    for (let i = 1; i < runs.length; i++)
      expect(new Date(runs[i]?.start ?? "").getTime()).toBeGreaterThanOrEqual(
        new Date(runs[i - 1]?.end ?? "").getTime(),
      );
    expect(logs.some((line) => /timer slow: skipped \d+ occurrence/.test(line))).toBe(true);
  });
});

interface EchoSeen {
  entry: unknown;
  type: string;
  metadata: Record<string, unknown>;
}

describe("queue triggers", () => {
  it("hand JSON and plain-text messages to the handler with the host's metadata, and write its outputs", async () => {
    const sentJson = await queue("in").sendMessage(base64(JSON.stringify({ hello: "world" })));
    const sentText = await queue("in").sendMessage(base64("plain text"));
    const echoes = (await collect("echo", (seen) => seen.length >= 2)) as EchoSeen[];
    const json = echoes.find((e) => e.metadata.id === sentJson.messageId);
    const text = echoes.find((e) => e.metadata.id === sentText.messageId);

    expect(json).toMatchObject({ entry: { hello: "world" }, type: "object" });
    expect(text).toMatchObject({ entry: "plain text", type: "string" });
    expect(text?.metadata).toMatchObject({
      queueTrigger: "plain text",
      dequeueCount: 1,
      insertionTime: sentText.insertedOn.toISOString(),
      expirationTime: sentText.expiresOn.toISOString(),
      popReceipt: expect.any(String) as string,
      nextVisibleTime: expect.any(String) as string,
    });
    expect(new Date(text?.metadata.nextVisibleTime as string).getTime()).toBeGreaterThan(Date.now());

    // extraOutputs: an array is one message per element; a string as is, an object as JSON.
    const copies = await collect("fanout", (seen) => seen.length >= 4);
    expect(copies).toEqual(
      expect.arrayContaining([
        `copy of ${sentJson.messageId}`,
        { id: sentJson.messageId },
        `copy of ${sentText.messageId}`,
        { id: sentText.messageId },
      ]),
    );
    await expect.poll(() => depth(`in-${suffix}`), { timeout: 5_000, interval: 200 }).toBe(0);
  });

  it("move a message to <queue>-poison after exactly maxDequeueCount failed attempts", async () => {
    await queue("fails").sendMessage(base64("boom"));
    const poison = service.getQueueClient(`fails-${suffix}-poison`);
    await expect.poll(() => depth(poison.name), { timeout: 15_000, interval: 200 }).toBe(1);
    const [message] = (await poison.receiveMessages()).receivedMessageItems;
    expect(Buffer.from(message?.messageText ?? "", "base64").toString("utf8")).toBe("boom");

    const attempts = (await collect("attempts", (seen) => seen.length >= 3)) as { dequeueCount: number }[];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    attempts.push(...((await collect("attempts", () => true)) as { dequeueCount: number }[]));
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
    expect(await depth(`fails-${suffix}`)).toBe(0);
  });

  it("move a message that is not base64 to the poison queue without invoking the function", async () => {
    await queue("in").sendMessage("not base64!");
    const poison = service.getQueueClient(`in-${suffix}-poison`);
    await expect.poll(() => depth(poison.name), { timeout: 5_000, interval: 200 }).toBe(1);
    const [message] = (await poison.receiveMessages()).receivedMessageItems;
    expect(Buffer.from(message?.messageText ?? "", "base64").toString("utf8")).toBe("not base64!");
    expect(await depth(`echo-${suffix}`)).toBe(0);
  });
});

describe("writeOutputBindings", () => {
  it("writes named and $return queue outputs, resolving %settings%, and skips other bindings", async () => {
    const fn = {
      name: "direct",
      metadata: {
        name: "direct",
        bindings: {
          trigger: { type: "httpTrigger", direction: "in" },
          $return: { type: "http", direction: "out" },
          one: { type: "queue", direction: "out", queueName: "Direct-%QUEUE_SUFFIX%", connection: "Storage" },
        },
      },
    } as unknown as RegisteredFunction;
    await writeOutputBindings(
      fn,
      {
        returnValue: { http: { statusCode: 200 } },
        outputData: [
          { name: "one", data: { string: '["not","split"]' } },
          { name: "unknown", data: { string: "ignored" } },
        ],
      },
      process.env,
    );
    await writeOutputBindings(fn, { outputData: [{ name: "one", data: { bytes: Buffer.from([1, 2, 3]) } }] });
    const client = queue("direct");
    const items = (await client.receiveMessages({ numberOfMessages: 10 })).receivedMessageItems;
    expect(items.map((m) => m.messageText)).toEqual([
      base64('["not","split"]'),
      Buffer.from([1, 2, 3]).toString("base64"),
    ]);
  });
});
