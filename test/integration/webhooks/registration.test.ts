import { randomUUID } from "node:crypto";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import type { Ports } from "../../../functions/composition";
import { putWebhookHandler } from "../../../functions/http/api/webhook";
import { generateApiKey, hashApiKey } from "../../../src/auth/apiKeys";
import type { Store } from "../../../src/store/store";
import { testStore } from "../../support/storage";

/**
 * `PUT /api/v1/webhook` on a deployed service (PUBLIC_BASE_URL public) refuses targets on loopback,
 * private or link-local addresses; a service running on loopback (demos, tests) accepts loopback.
 */
let store: Store;
let apiKey: string;
const partnerId = `p-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  store = testStore();
  apiKey = generateApiKey();
  await store.partners.put({
    id: partnerId,
    name: "Fabrikam Consulting",
    partnerLocationIds: ["4871234"],
    createdAt: "2026-10-01T08:00:00.000Z",
  });
  await store.apiKeys.add(hashApiKey(apiKey), partnerId, "2026-10-01T08:00:00.000Z");
});

function put(publicBaseUrl: string, url: string) {
  const ports = {
    store,
    clock: () => new Date("2026-11-02T09:00:00.000Z"),
    settings: { adminApiKey: undefined, publicBaseUrl },
  } as unknown as Ports;
  const request = new HttpRequest({
    method: "PUT",
    url: "https://por.example.com/api/v1/webhook",
    headers: { authorization: `ApiKey ${apiKey}`, "content-type": "application/json" },
    body: { string: JSON.stringify({ url }) },
  });
  return putWebhookHandler(() => ports)(request, new InvocationContext({ functionName: "putWebhook" }));
}

describe("PUT /api/v1/webhook targets", () => {
  it.each([
    "https://127.0.0.1/hooks",
    "https://localhost:8443/hooks",
    "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances",
    "https://10.1.2.3/hooks",
    "https://172.20.0.1/hooks",
    "https://192.168.1.10/hooks",
    "https://169.254.169.254/metadata",
    "https://[::1]/hooks",
    "https://[fd00::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
  ])("a deployed service refuses %s", async (url) => {
    const response = await put("https://por.example.com", url);
    expect(response.status).toBe(400);
    expect(response.jsonBody).toMatchObject({ errors: [{ path: "url" }] });
    expect((await store.partners.get(partnerId)).webhookUrl).not.toBe(url);
  });

  it("a deployed service accepts a public https URL, and one on loopback accepts loopback", async () => {
    const deployed = await put("https://por.example.com", "https://hooks.fabrikam.example/por");
    expect(deployed.status).toBe(200);
    expect(deployed.jsonBody).toMatchObject({ url: "https://hooks.fabrikam.example/por" });

    const local = await put("http://127.0.0.1:7071", "http://127.0.0.1:9000/hooks");
    expect(local.status).toBe(200);
    const stored = await store.partners.get(partnerId);
    expect(stored.webhookUrl).toBe("http://127.0.0.1:9000/hooks");
    expect(stored.webhookSecret).toBe((local.jsonBody as { secret: string }).secret);
  });
});
