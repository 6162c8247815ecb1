import { app, type InvocationContext, type Timer } from "@azure/functions";
import { polledKind } from "../../src/app/usagePolling";
import {
  maxPolledAssociations,
  packTenants,
  type UsagePollQueue,
  type UsagePollTenant,
} from "../../src/integrations/usage/usagePollQueue";
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
 * is enqueued once (under review too, so a reading exists when the baseline is taken at approval and
 * a threshold already exceeded at claim time is caught) on the usage-poll queue (USAGE_POLL_QUEUE),
 * whatever number of partners or associations it has, packed with other tenants into messages of up
 * to `maxTenantsPerMessage` tenants; `functions/queues/usagePoll.ts` reads each tenant once. Each
 * tenant names its listed associations ({id, partnerId}; under review ones too, since one may be
 * Approved by the time the tenant is read), so the reader point-reads them instead of querying the
 * claims index.
 * A run that enqueues a tenant twice (an overlapping or repeated run) costs one more read: a
 * reading already stored raises nothing. A failure part-way throws; the next occurrence enqueues
 * every tenant again.
 */
export function createUsagePollTimerHandler(getTimerPorts: () => UsagePollTimerPorts) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { store, queue } = getTimerPorts();
    const tenants = new Map<string, { id: string; partnerId: string }[]>();
    let associations = 0;
    let continuationToken: string | undefined;
    do {
      const page = await store.associations.listInStatuses(
        ["UnderReview", "Approved"],
        { kind: polledKind },
        { pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) },
      );
      associations += page.items.length;
      for (const { customerTenantId, id, partnerId } of page.items)
        tenants.set(customerTenantId, [...(tenants.get(customerTenantId) ?? []), { id, partnerId }]);
      continuationToken = page.continuationToken;
    } while (continuationToken);
    const listed = [...tenants].map(([customerTenantId, listed]): UsagePollTenant =>
      // More than a message holds: the reader finds them through the claims index instead.
      listed.length > maxPolledAssociations
        ? { customerTenantId }
        : { customerTenantId, associations: listed },
    );
    const messages = packTenants(listed);
    for (let i = 0; i < messages.length; i += enqueueBatch)
      await Promise.all(messages.slice(i, i + enqueueBatch).map((message) => queue.enqueue(message)));
    context.log(
      `${usagePollName}: ${listed.length} tenant(s) enqueued in ${messages.length} message(s) for ${associations} association(s) under review or Approved`,
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
