import { randomBytes, randomUUID } from "node:crypto";
import { inject } from "vitest";
import { startHost, type RunningHost } from "devhost";

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
  const adminKey = randomBytes(24).toString("base64url");
  const run = randomBytes(4).toString("hex");
  Object.assign(process.env, {
    // Its own tables, task hub and queues: test files run apps side by side on one Azurite.
    TABLE_PREFIX: `app${run}`,
    DURABLE_HUB_NAME: `App${run}`,
    INBOUND_EMAIL_QUEUE: `inbound-email-${run}`,
    PARTNER_WEBHOOKS_QUEUE: `partner-webhooks-${run}`,
    USAGE_POLL_QUEUE: `usage-poll-${run}`,
    PAL_VERIFY_QUEUE: `pal-verify-${run}`,
    // Tests drive polling themselves: the timer's schedule is once a year.
    USAGE_POLL_SCHEDULE: "0 0 0 1 1 *",
    PAL_VERIFY_SCHEDULE: "0 0 0 1 1 *",
    CSP_IMPORT_SCHEDULE: "0 0 0 1 1 *",
    // Queue retries in a second, not host.json's 30 s (the Functions host's override convention).
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: "00:00:01",
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.500",
    ADMIN_API_KEY: adminKey,
    CONSENT_SIGNING_KEY: randomBytes(32).toString("base64url"),
    LIFECYCLE_POE_DEADLINE: "PT6S",
    LIFECYCLE_REFUSAL_WINDOW: "PT3S",
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
        ...(method === "POST" ? { "idempotency-key": randomUUID(), "content-type": "application/json" } : {}),
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
