import { app, type InvocationContext, type Timer } from "@azure/functions";
import { polledKind } from "../../src/app/usagePolling";
import type { UsagePollQueue } from "../../src/integrations/usage/usagePollQueue";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";

export const usagePollName = "usagePoll";

/** Enqueues this many messages at a time. */
const enqueueBatch = 32;

export interface UsagePollTimerPorts {
  store: Pick<Store, "associations">;
  queue: UsagePollQueue;
}

/**
 * The usage poll's fan-out (schedule: app setting USAGE_POLL_SCHEDULE, NCRONTAB in UTC): every
 * customer tenant with at least one Modern Work & Security CPOR association under review or Approved
 * gets one message (under review too, so a reading exists when the baseline is taken at approval and
 * a threshold already exceeded at claim time is caught)
 * on the usage-poll queue (USAGE_POLL_QUEUE), whatever number of partners or associations it has;
 * `functions/queues/usagePoll.ts` reads each tenant once. A run that enqueues a tenant twice (an
 * overlapping or repeated run) costs one more read: a reading already stored raises nothing.
 * A failure part-way throws; the next occurrence enqueues every tenant again.
 */
export function createUsagePollTimerHandler(getTimerPorts: () => UsagePollTimerPorts) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { store, queue } = getTimerPorts();
    const tenants = new Set<string>();
    let associations = 0;
    let continuationToken: string | undefined;
    do {
      const page = await store.associations.listInStatuses(
        ["UnderReview", "Approved"],
        { kind: polledKind },
        { pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) },
      );
      associations += page.items.length;
      for (const association of page.items) tenants.add(association.customerTenantId);
      continuationToken = page.continuationToken;
    } while (continuationToken);
    const all = [...tenants];
    for (let i = 0; i < all.length; i += enqueueBatch)
      await Promise.all(
        all.slice(i, i + enqueueBatch).map((customerTenantId) => queue.enqueue({ customerTenantId })),
      );
    context.log(
      `${usagePollName}: ${all.length} tenant(s) enqueued for ${associations} association(s) under review or Approved`,
    );
  };
}

app.timer(usagePollName, {
  schedule: "%USAGE_POLL_SCHEDULE%",
  handler: createUsagePollTimerHandler(() => {
    const { store, usagePollQueue } = getPorts();
    return { store, queue: usagePollQueue };
  }),
});
