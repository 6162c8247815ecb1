import { randomBytes, randomUUID } from "node:crypto";
import { inject } from "vitest";
import { startHost, type RunningHost } from "devhost";
import { isolatedAppSettings } from "./appSettings";
import { cporRequest } from "./builders";
import type { CreateCporInput } from "../../src/domain/schemas/createAssociation";

/** The real app on the local host, with lifecycle durations in seconds and its own tables. */
export interface AppUnderTest {
  host: RunningHost;
  url: string;
  adminKey: string;
  /** Every line the host logged (info and errors), oldest first: for "never logged" checks. */
  logs: string[];
  /** Onboards a partner; returns its ID and API key. */
  partner(name?: string): Promise<{ partnerId: string; apiKey: string; locationId: string }>;
  call(
    apiKey: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

export async function startApp(settings: Record<string, string> = {}): Promise<AppUnderTest> {
  const isolated = isolatedAppSettings(randomBytes(4).toString("hex"));
  const adminKey = settings["ADMIN_API_KEY"] ?? isolated["ADMIN_API_KEY"] ?? "";
  Object.assign(process.env, {
    ...isolated,
    ...settings,
  });
  const logs: string[] = [];
  const host = await startHost({
    appDir: ".",
    port: 0,
    connection: inject("storageConnectionString"),
    logger: {
      info: (line) => void logs.push(line),
      error: (line) => {
        logs.push(line);
        console.error(line);
      },
    },
  });
  process.env["PUBLIC_BASE_URL"] = host.url;
  const call = (
    apiKey: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${host.url}${path}`, {
      method,
      headers: {
        authorization: `ApiKey ${apiKey}`,
        ...(method === "POST" ? { "idempotency-key": randomUUID() } : {}),
        ...(method === "POST" || (body !== undefined && typeof body !== "string")
          ? { "content-type": "application/json" }
          : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return {
    host,
    url: host.url,
    adminKey,
    logs,
    call,
    async partner(name = "Fabrikam Consulting") {
      const locationId = String(4_000_000 + Math.floor(Math.random() * 999_999));
      const response = await call(adminKey, "POST", "/api/v1/admin/partners", {
        name,
        partnerLocationId: locationId,
      });
      if (response.status !== 201) throw new Error(`partner: ${response.status} ${await response.text()}`);
      return { ...((await response.json()) as { partnerId: string; apiKey: string }), locationId };
    },
  };
}

/** Registers `url` as the partner's webhook (PUT /api/v1/webhook); answers the URL and signing secret. */
export async function registerWebhook(
  app: AppUnderTest,
  apiKey: string,
  url: string,
): Promise<{ url: string; secret: string }> {
  const response = await app.call(
    apiKey,
    "PUT",
    "/api/v1/webhook",
    { url },
    { "content-type": "application/json" },
  );
  if (response.status !== 200) throw new Error(`webhook: ${response.status} ${await response.text()}`);
  return (await response.json()) as { url: string; secret: string };
}

/** Creates a CPOR claim for `partner` on a new customer tenant (or `overrides`); answers its ID. */
export async function createCpor(
  app: AppUnderTest,
  partner: { apiKey: string; locationId: string },
  overrides: Partial<CreateCporInput> = {},
): Promise<string> {
  const created = await app.call(
    partner.apiKey,
    "POST",
    "/api/v1/associations",
    cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID(), ...overrides }),
  );
  if (created.status !== 201) throw new Error(`association: ${created.status} ${await created.text()}`);
  return ((await created.json()) as { id: string }).id;
}
