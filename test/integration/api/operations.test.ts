import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { lifecycleOrchestratorName } from "../../../src/domain/lifecycle";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { createCpor, registerWebhook, startApp, type AppUnderTest } from "../../support/app";
import { until } from "../../support/until";
import { statusChangedEvent } from "../../support/builders";

/**
 * The operators' API through the local host: a failed workflow is listed with its error and
 * restarted from its association; a poison message is listed and replayed; old history is purged.
 */
describe("admin operations", () => {
  let app: AppUnderTest;
  let hooks: FakeWebhookReceiver;

  beforeAll(async () => {
    hooks = await startFakeWebhookReceiver();
    // No SECRETS_KEY, whatever local.settings.json says: a rotated key could not be kept sealed.
    app = await startApp({ WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", HISTORY_RETENTION: "PT2S", SECRETS_KEY: "" });
  });

  afterAll(async () => {
    await app?.host.stop();
    await hooks?.close();
  });

  const admin = (method: string, path: string, body?: unknown) => app.call(app.adminKey, method, path, body);
  const durable = (path: string, init?: RequestInit) =>
    fetch(`${app.url}/runtime/webhooks/durabletask/${path}`, init);

  async function runtimeStatus(instanceId: string): Promise<string | undefined> {
    const response = await durable(`instances/${instanceId}`);
    if (response.status === 404) return undefined;
    return ((await response.json()) as { runtimeStatus: string }).runtimeStatus;
  }

  /** Starts `associationLifecycle` as `instanceId` with an input it refuses: it fails at once. */
  async function failedLifecycle(instanceId: string, partnerId: string) {
    const bad = { associationId: instanceId, partnerId, status: "Draft", durations: "not durations" };
    const started = await durable(`orchestrators/${lifecycleOrchestratorName}/${instanceId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(bad),
    });
    expect(started.status).toBe(202);
    await until(
      () => runtimeStatus(instanceId),
      (s) => s === "Failed",
    );
  }

  interface Problem {
    instanceId: string;
    problem: string;
    lastError?: string;
    associationId?: string;
    partnerId?: string;
  }

  it(
    "lists a failed workflow with its error, and restarts it from its association's stored status",
    { timeout: 60_000 },
    async () => {
      const partner = await app.partner();
      const id = await createCpor(app, partner);
      await until(
        () => runtimeStatus(id),
        (s) => s === "Running",
      );
      await durable(`instances/${id}/terminate?reason=test`, { method: "POST" });
      await until(
        () => runtimeStatus(id),
        (s) => s === "Terminated",
      );
      await failedLifecycle(id, partner.partnerId);

      const listed = await admin("GET", "/api/v1/admin/orchestrations?problem=failed");
      expect(listed.status).toBe(200);
      const { items } = (await listed.json()) as { items: Problem[] };
      const ours = items.find((i) => i.instanceId === id);
      expect(ours).toMatchObject({ problem: "failed", associationId: id, partnerId: partner.partnerId });
      expect(ours?.lastError).toMatch(/durations/);

      const restarted = await admin("POST", `/api/v1/admin/orchestrations/${id}/restart`);
      expect(restarted.status).toBe(202);
      expect(await restarted.json()).toMatchObject({
        instanceId: id,
        restartedFrom: "association status Draft",
        previousStatus: "Failed",
      });
      await until(
        () => runtimeStatus(id),
        (s) => s === "Running",
      );
      const status = (await (await durable(`instances/${id}`)).json()) as {
        customStatus: { status: string; waitingUntil?: string };
      };
      expect(status.customStatus.status).toBe("Draft");
      expect(status.customStatus.waitingUntil).toBeDefined(); // the PoE deadline again
      const after = (await (await admin("GET", "/api/v1/admin/orchestrations")).json()) as {
        items: Problem[];
      };
      expect(after.items.map((i) => i.instanceId)).not.toContain(id);

      expect((await admin("POST", `/api/v1/admin/orchestrations/${id}/restart`)).status).toBe(409); // healthy now
      expect((await admin("POST", `/api/v1/admin/orchestrations/${randomUUID()}/restart`)).status).toBe(404);
      expect((await admin("GET", "/api/v1/admin/orchestrations?problem=bored")).status).toBe(400);
      expect((await app.call(partner.apiKey, "GET", "/api/v1/admin/orchestrations")).status).toBe(401);
    },
  );

  it(
    "lists poison messages and replays them to their queue, where they are handled",
    { timeout: 60_000 },
    async () => {
      const queue = process.env["PARTNER_WEBHOOKS_QUEUE"] ?? "";
      const poison = new QueueClient(inject("storageConnectionString"), `${queue}-poison`);
      await poison.createIfNotExists();
      // A malformed message ends there through the host's retries.
      await new QueueClient(inject("storageConnectionString"), queue).sendMessage(
        Buffer.from("not json").toString("base64"),
      );
      // A good event put there as the host would after an outage.
      const partner = await app.partner("Northwind Traders");
      await registerWebhook(app, partner.apiKey, hooks.url);
      const event = statusChangedEvent(partner.partnerId);
      await poison.sendMessage(Buffer.from(JSON.stringify(event)).toString("base64"));

      type Listing = { queues: { queue: string; count: number; messages: { id: string; text: string }[] }[] };
      const listing = await until(
        async () => (await (await admin("GET", "/api/v1/admin/poison")).json()) as Listing,
        (l) => (l.queues.find((q) => q.queue === queue)?.count ?? 0) >= 2,
      );
      const webhooks = listing.queues.find((q) => q.queue === queue);
      expect(listing.queues.map((q) => q.queue)).toContain(process.env["INBOUND_EMAIL_QUEUE"]);
      const good = webhooks?.messages.find((m) => m.text.includes(event.eventId));
      expect(good).toBeDefined();
      expect(webhooks?.messages.some((m) => m.text === "not json")).toBe(true);

      const replayed = await admin("POST", `/api/v1/admin/poison/${queue}/replay`, {
        messageIds: [good?.id],
      });
      expect(replayed.status).toBe(200);
      expect(await replayed.json()).toEqual({ queue, replayed: 1, messageIds: [good?.id] });
      await hooks.waitFor((requests) => requests.some((r) => r.headers["webhook-id"] === event.eventId));
      const left = (await (await admin("GET", "/api/v1/admin/poison")).json()) as Listing;
      expect(left.queues.find((q) => q.queue === queue)?.messages.map((m) => m.text)).toEqual(["not json"]);

      expect((await admin("POST", "/api/v1/admin/poison/somebody-elses-queue/replay")).status).toBe(404);
    },
  );

  it("cannot rotate the consent signing key without SECRETS_KEY to keep it sealed", async () => {
    const refused = await admin("POST", "/api/v1/admin/consent-signing-key/rotate");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/SECRETS_KEY/);
  });

  it(
    "purges finished workflow history older than HISTORY_RETENTION, and keeps running ones",
    { timeout: 60_000 },
    async () => {
      const partner = await app.partner("Tailspin Toys");
      const old = `failed-${randomUUID()}`;
      await failedLifecycle(old, partner.partnerId);
      const running = await createCpor(app, partner);
      await until(
        () => runtimeStatus(running),
        (s) => s === "Running",
      );
      await sleep(2_500);
      const purged = await admin("POST", "/api/v1/admin/history/purge");
      expect(purged.status).toBe(200);
      const counts = (await purged.json()) as {
        orchestrations: number;
        webhookDeliveries: number;
        idempotencyKeys: number;
      };
      expect(counts.orchestrations).toBeGreaterThanOrEqual(1);
      expect(await runtimeStatus(old)).toBeUndefined();
      expect(await runtimeStatus(running)).toBe("Running");

      const again = (await (await admin("POST", "/api/v1/admin/history/purge")).json()) as typeof counts;
      expect(again.orchestrations).toBe(0);
    },
  );
});
