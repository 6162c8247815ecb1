import { randomBytes, randomUUID } from "node:crypto";
import { QueueClient } from "@azure/storage-queue";
import { describe, expect, inject, it } from "vitest";
import { createSetStatus, type SetStatusInput } from "../../../functions/activities/setStatus";
import type { Association } from "../../../src/domain/association";
import {
  createWebhookQueue,
  type WebhookEvent,
  type WebhookQueue,
} from "../../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../../src/store/store";
import { draftAssociation, statusChangedEvent } from "../../support/builders";
import { testStore } from "../../support/storage";

const partnerId = "partner-w";

async function seed(store: Store): Promise<Association> {
  const association = draftAssociation(partnerId);
  await store.associations.create(association);
  return association;
}

const change = (association: Association, overrides: Partial<SetStatusInput> = {}): SetStatusInput => ({
  associationId: association.id,
  partnerId,
  to: "Submitted",
  actor: "partner",
  reason: "proof of execution submitted",
  changeId: randomUUID(),
  at: "2026-11-02T09:00:00.000Z",
  ...overrides,
});

/** Records what would have gone to the queue; fails the first `failures` enqueues. */
function recordingQueue(failures = 0): WebhookQueue & { events: WebhookEvent[] } {
  const events: WebhookEvent[] = [];
  let left = failures;
  return {
    events,
    enqueue(event) {
      if (left-- > 0) return Promise.reject(new Error("queue: 503 server busy"));
      events.push(event);
      return Promise.resolve();
    },
  };
}

describe("setStatus → partner-webhooks", () => {
  it("enqueues each change with eventId = changeId, from, to, actor, reason and time", async () => {
    const store = testStore();
    const association = await seed(store);
    const webhooks = recordingQueue();
    const submitted = change(association);

    await createSetStatus({ store, webhooks })(submitted);

    expect(webhooks.events).toEqual([
      {
        eventId: submitted.changeId,
        partnerId,
        associationId: association.id,
        type: "association.status_changed",
        from: "Draft",
        to: "Submitted",
        actor: "partner",
        reason: "proof of execution submitted",
        at: submitted.at,
      },
    ]);
  });

  it("enqueues again, with the same eventId, when a retry finds the change already recorded", async () => {
    const store = testStore();
    const association = await seed(store);
    const webhooks = recordingQueue(1);
    const setStatus = createSetStatus({ store, webhooks });
    const submitted = change(association);

    // The first run records the change, then fails to enqueue (as if it crashed there).
    await expect(setStatus(submitted)).rejects.toThrow(/server busy/);
    expect(webhooks.events).toEqual([]);
    await setStatus(submitted);
    await setStatus(submitted);

    expect(webhooks.events.map((e) => [e.eventId, e.from, e.to])).toEqual([
      [submitted.changeId, "Draft", "Submitted"],
      [submitted.changeId, "Draft", "Submitted"],
    ]);
    const timeline = await store.auditEvents.timeline(partnerId, association.id);
    expect(timeline.filter((e) => e.eventId === submitted.changeId)).toHaveLength(1);
  });
});

describe("createWebhookQueue", () => {
  it("sends the event as base64 JSON, creating the queue on first use", async () => {
    const connection = inject("storageConnectionString");
    const queueName = `webhooks-${randomBytes(4).toString("hex")}`;
    const queue = createWebhookQueue(connection, queueName);
    const event = statusChangedEvent(partnerId, {
      reason: "refusal window passed — ünïcode kept",
      at: "2026-11-02T09:00:00.000Z",
    });

    await queue.enqueue(event);
    await queue.enqueue({ ...event, eventId: "second" });

    const client = new QueueClient(connection, queueName);
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 5 });
    const bodies = receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")) as WebhookEvent,
    );
    expect(bodies).toEqual([event, { ...event, eventId: "second" }]);
    await client.delete();
  });

  it("refuses an event that does not fit the schema before sending it", async () => {
    const queue = createWebhookQueue(
      inject("storageConnectionString"),
      `webhooks-${randomBytes(4).toString("hex")}`,
    );
    await expect(queue.enqueue({ eventId: "" } as WebhookEvent)).rejects.toThrow();
  });
});
