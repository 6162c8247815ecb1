import { app, type InvocationContext, type Timer } from "@azure/functions";
import { startScheduledCspImports } from "../../src/app/cspImport";
import { getPorts } from "../composition";
import { durableWorkflows, withDurableClient } from "../workflows";

export const cspImportTimerName = "cspImportTimer";

/**
 * The daily CSP re-import (schedule: app setting CSP_IMPORT_SCHEDULE, NCRONTAB in UTC): starts an
 * import job for every partner with Partner Center access (which ones: `startScheduledCspImports`),
 * skipping the others with a log line. A partner whose job cannot be started does not stop the
 * others; the run then throws, so the failure shows.
 */
export async function cspImportTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const { store, clock, partnerCenter } = getPorts();
  const { started, skipped } = await startScheduledCspImports(
    { store, clock, partnerCenter },
    durableWorkflows(context),
    (line) => context.log(line),
  );
  context.log(
    `${cspImportTimerName}: ${started.length} import(s) started, ${skipped.length} partner(s) skipped`,
  );
}

app.timer(cspImportTimerName, {
  schedule: "%CSP_IMPORT_SCHEDULE%",
  ...withDurableClient,
  handler: cspImportTimer,
});
