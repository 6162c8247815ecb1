import { app, type InvocationContext, type Timer } from "@azure/functions";
import { purgeHistory } from "../../src/app/operations";
import { getPorts } from "../composition";
import { operationsPorts } from "../http/api/operations";
import { withDurableClient } from "../workflows";

export const historyPurgeTimerName = "historyPurgeTimer";

/**
 * The daily history purge (schedule: HISTORY_PURGE_SCHEDULE, NCRONTAB in UTC): finished workflow
 * history and settled webhook deliveries older than HISTORY_RETENTION, and expired idempotency keys.
 * Running twice deletes nothing more.
 */
export async function historyPurgeTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const retention = getPorts().settings.operations.historyRetentionMs;
  const purged = await purgeHistory(operationsPorts(getPorts, context), retention);
  context.log(
    `${historyPurgeTimerName}: before ${purged.before}: ${purged.orchestrations} workflow(s), ${purged.webhookDeliveries} webhook deliveries, ${purged.idempotencyKeys} idempotency key(s) purged`,
  );
}

app.timer(historyPurgeTimerName, {
  schedule: "%HISTORY_PURGE_SCHEDULE%",
  ...withDurableClient,
  handler: historyPurgeTimer,
});
