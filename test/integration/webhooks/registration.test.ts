import { randomUUID } from "node:crypto";
import type { LookupAddress } from "node:dns";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import type { Ports } from "../../../functions/composition";
import { putWebhookHandler } from "../../../functions/http/api/webhook";
import { generateApiKey, hashApiKey } from "../../../src/auth/apiKeys";
import type { ResolveHost } from "../../../src/integrations/webhooks/destinationGuard";
import type { Store } from "../../../src/store/store";
import { testStore } from "../../support/storage";

/**
 * `PUT /api/v1/webhook` refuses targets that are not public https receivers: loopback, private,
 * link-local and other internal addresses, written as such or resolved from a name, unless the
 * host is in WEBHOOK_ALLOWED_HOSTS. Where the service itself runs (PUBLIC_BASE_URL) changes nothing.
 * Names resolve through a table here: these tests make no DNS query.
 */
let store: Store;
let apiKey: string;
const partnerId = `p-${randomUUID().slice(0, 8)}`;

const dns: ResolveHost = (host) => {
  const table: Record<string, string[]> = {
    "hooks.fabrikam.example": ["20.50.1.1"],
    "internal.fabrikam.example": ["20.50.1.1", "10.0.0.7"],
    "metadata.fabrikam.example": ["169.254.169.254"],
  };
  const answers = table[host];
  if (!answers) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" }));
  return Promise.resolve(answers.map((address): LookupAddress => ({ address, family: 4 })));
};

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

function put(url: string, { publicBaseUrl = "https://por.example.com", allowedHosts = [] as string[] } = {}) {
  const ports = {
    store,
    clock: () => new Date("2026-11-02T09:00:00.000Z"),
    settings: {
      adminApiKey: undefined,
      api: { maxRequestBytes: 15 * 1024 * 1024 },
      publicBaseUrl,
      webhookAllowedHosts: allowedHosts,
    },
  } as unknown as Ports;
  const request = new HttpRequest({
    method: "PUT",
    url: "https://por.example.com/api/v1/webhook",
    headers: { authorization: `ApiKey ${apiKey}`, "content-type": "application/json" },
    body: { string: JSON.stringify({ url }) },
  });
  return putWebhookHandler(() => ports, dns)(request, new InvocationContext({ functionName: "putWebhook" }));
}

async function expectRefused(response: Awaited<ReturnType<typeof put>>, url: string) {
  expect(response.status).toBe(400);
  expect(response.jsonBody).toMatchObject({ errors: [{ path: "url" }] });
  expect((await store.partners.get(partnerId)).webhookUrl).not.toBe(url);
}

describe("PUT /api/v1/webhook targets", () => {
  it.each([
    "https://127.0.0.1/hooks",
    "https://localhost:8443/hooks",
    "https://localhost./hooks",
    "https://LOCALHOST/hooks",
    "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances",
    "https://2130706433/hooks",
    "https://0.0.0.0/hooks",
    "https://10.1.2.3/hooks",
    "https://172.20.0.1/hooks",
    "https://192.168.1.10/hooks",
    "https://100.64.0.1/hooks",
    "https://169.254.169.254/metadata",
    "https://[::1]/hooks",
    "https://[fd00::1]/hooks",
    "https://[fe80::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:7f00:1]/hooks",
    "https://[::127.0.0.1]/hooks",
    "https://[64:ff9b::a9fe:a9fe]/hooks",
    "https://user@hooks.fabrikam.example/por",
    "http://hooks.fabrikam.example/por",
  ])("refuses %s", async (url) => {
    await expectRefused(await put(url), url);
  });

  it.each([
    ["internal.fabrikam.example", "private"],
    ["metadata.fabrikam.example", "link-local"],
  ])("refuses a name that resolves to a non-public address (%s: %s)", async (host, kind) => {
    const url = `https://${host}/por`;
    const response = await put(url);
    await expectRefused(response, url);
    expect(JSON.stringify(response.jsonBody)).toContain(`must not resolve to a ${kind} address`);
  });

  it("refuses loopback even when the service itself runs on loopback (no PUBLIC_BASE_URL exemption)", async () => {
    const url = "http://127.0.0.1:9000/hooks";
    await expectRefused(await put(url, { publicBaseUrl: "http://127.0.0.1:7071" }), url);
  });

  it("accepts a public https URL, and a name that does not resolve yet", async () => {
    const deployed = await put("https://hooks.fabrikam.example/por");
    expect(deployed.status).toBe(200);
    expect(deployed.jsonBody).toMatchObject({ url: "https://hooks.fabrikam.example/por" });
    expect((await put("https://hooks-next.fabrikam.example/por")).status).toBe(200);
  });

  it("accepts an allow-listed host, over plain http too", async () => {
    const local = await put("http://127.0.0.1:9000/hooks", { allowedHosts: ["127.0.0.1"] });
    expect(local.status).toBe(200);
    const stored = await store.partners.get(partnerId);
    expect(stored.webhookUrl).toBe("http://127.0.0.1:9000/hooks");
    expect(stored.webhookSecret).toBe((local.jsonBody as { secret: string }).secret);

    const internal = "http://internal.fabrikam.example/por";
    expect((await put(internal, { allowedHosts: ["internal.fabrikam.example"] })).status).toBe(200);
  });
});
