import { randomBytes, randomUUID } from "node:crypto";
import { spawnHost, type HostProcess } from "../../devhost/test/support/hostProcess";
import { isolatedAppSettings } from "./appSettings";

/**
 * The real app (appDir ".", built into dist/ by the integration tier's globalSetup) on the local host
 * as a CHILD process, for kill -9 and restart tests. The app settings are what `startApp`
 * (test/support/app.ts) puts in `process.env`, handed to the child as its environment instead, so
 * every restart of one app gets exactly the same settings (tables, task hub, queues, keys).
 */
export interface AppProcessSettings {
  /** The child's environment on top of `process.env` (which brings NODE_EXTRA_CA_CERTS along). */
  env: Record<string, string>;
  adminKey: string;
}

export function appProcessSettings(settings: Record<string, string> = {}): AppProcessSettings {
  const isolated = isolatedAppSettings(randomBytes(4).toString("hex"));
  return {
    adminKey: settings["ADMIN_API_KEY"] ?? isolated["ADMIN_API_KEY"] ?? "",
    env: {
      ...isolated,
      // A killed host's leased control messages and work items come back within seconds.
      DEVHOST_CONTROL_LEASE_SECONDS: "2",
      DEVHOST_WORKITEM_LEASE_SECONDS: "2",
      ...settings,
    },
  };
}

/** Starts (or restarts) the app with these settings; `crash()` is kill -9. */
export function spawnApp(connection: string, settings: AppProcessSettings): Promise<HostProcess> {
  return spawnHost(".", connection, settings.env, 60_000);
}

/** One partner API request, as `AppUnderTest.call` makes it (a fresh idempotency key per POST). */
export function callApi(
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `ApiKey ${apiKey}`,
      ...(method === "POST" ? { "idempotency-key": randomUUID(), "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

/** Onboards a partner through the admin API; its ID, API key and location ID. */
export async function onboardPartner(
  baseUrl: string,
  adminKey: string,
  name = "Fabrikam Consulting",
): Promise<{ partnerId: string; apiKey: string; locationId: string }> {
  const locationId = String(4_000_000 + Math.floor(Math.random() * 999_999));
  const response = await callApi(baseUrl, adminKey, "POST", "/api/v1/admin/partners", {
    name,
    partnerLocationId: locationId,
  });
  if (response.status !== 201) throw new Error(`partner: ${response.status} ${await response.text()}`);
  return { ...((await response.json()) as { partnerId: string; apiKey: string }), locationId };
}
