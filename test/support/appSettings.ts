import { randomBytes } from "node:crypto";

/**
 * The settings every test or bench app runs with: its own tables, task hub and queues (apps run
 * side by side on one Azurite), timers that never fire by themselves (tests and benches run what
 * they need: the schedule is midnight on 1 January), queue retries within a second (host.json's
 * 30 s, overridden the Functions host's way), fresh keys, and lifecycle windows and webhook retries in seconds.
 * Every `%SETTING%` a trigger binds is here: a missing one stops the host.
 */
export function isolatedAppSettings(run: string, prefix = "app"): Record<string, string> {
  const never = "0 0 0 1 1 *";
  return {
    TABLE_PREFIX: `${prefix}${run}`,
    DURABLE_HUB_NAME: `${prefix.charAt(0).toUpperCase()}${prefix.slice(1)}${run}`,
    INBOUND_EMAIL_QUEUE: `inbound-email-${run}`,
    PARTNER_WEBHOOKS_QUEUE: `partner-webhooks-${run}`,
    USAGE_POLL_QUEUE: `usage-poll-${run}`,
    PAL_VERIFY_QUEUE: `pal-verify-${run}`,
    USAGE_POLL_SCHEDULE: never,
    PAL_VERIFY_SCHEDULE: never,
    CSP_IMPORT_SCHEDULE: never,
    PCS_SNAPSHOT_SCHEDULE: never,
    HISTORY_PURGE_SCHEDULE: never,
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: "00:00:01",
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.500",
    ADMIN_API_KEY: randomBytes(24).toString("base64url"),
    CONSENT_SIGNING_KEY: randomBytes(32).toString("base64url"),
    LIFECYCLE_POE_DEADLINE: "PT6S",
    LIFECYCLE_REFUSAL_WINDOW: "PT3S",
    WEBHOOK_RETRY_FIRST_DELAY: "PT1S",
    WEBHOOK_RETRY_MAX_DELAY: "PT2S",
  };
}
