import { app, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { Association } from "../../src/domain/association";
import { NonRetriableError } from "../../src/domain/errors";
import { lifecycleEvents, type UsageReading } from "../../src/domain/lifecycle";
import { usagePollMessage, type UsagePollMessage } from "../../src/integrations/usage/usagePollQueue";
import {
  tenantUsage,
  type TenantUsage,
  type UsageProvider,
} from "../../src/integrations/usage/usageProvider";
import type { Store } from "../../src/store/store";
import type { RecordOutcome } from "../../src/store/usageSnapshots";
import { getPorts } from "../composition";
import { raiseThroughDurableClient, type RaiseLifecycleEvent } from "../raiseLifecycleEvent";

export const usagePollTenantName = "usagePollTenant";

/** The association kind whose usage earns incentives per tenant × workload. */
const polledKind = "cpor-osu-modern-work-security";

export interface UsagePollTenantPorts {
  store: Pick<Store, "usageSnapshots" | "claims" | "associations">;
  usageProvider: UsageProvider;
  clock: () => Date;
  raise: RaiseLifecycleEvent;
}

/**
 * Reads one customer tenant's usage (queue `usage-poll`, message `{customerTenantId}` from the
 * usage-poll timer) and hands it to the lifecycles it concerns:
 * 1. the tenant is read ONCE through the UsageProvider, however many partners and associations it has;
 * 2. each workload's reading is recorded (usageSnapshots: stored / duplicate / stale, keyed on the
 *    report's refresh date);
 * 3. only when something was newly stored, UsageReported (payload: the reading) is raised on every
 *    Approved Modern Work & Security association holding a workload of the tenant. A repeated or
 *    stale report raises nothing: milestones are evaluated once per new report.
 * A redelivered message (dequeue count > 1) raises for duplicates too: the attempt before may have
 * stored the reading and failed before raising; recordMilestones is idempotent, so raising twice
 * costs one evaluation. Raising on a completed orchestration is accepted and dropped by Durable;
 * an association without an orchestration is logged and skipped.
 *
 * Failures: a provider's TransientDependencyError (throttling, 5xx) and storage or Durable failures
 * throw, so the host retries (then `usage-poll-poison`); a NonRetriableError (consent withdrawn,
 * 401/403) is logged and the message completes: the next poll tries again. A message that is not
 * `{customerTenantId}` is poison. Logs name the tenant and counts, never usage figures.
 */
export function createUsagePollTenantHandler(getTenantPorts: () => UsagePollTenantPorts) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const { customerTenantId: tenant } = readMessage(queueEntry, context);
    const ports = getTenantPorts();
    const tag = `${usagePollTenantName}: tenant ${tenant}`;

    let usage: TenantUsage;
    try {
      usage = tenantUsage.parse(await ports.usageProvider.readTenant(tenant, ports.clock()));
    } catch (err) {
      if (!(err instanceof NonRetriableError)) throw err;
      context.error(`${tag}: usage cannot be read, nothing recorded: ${err.message}`);
      return;
    }

    const entries = Object.entries(usage.workloads).flatMap(([workload, counts]) =>
      counts === undefined ? [] : [{ workload: workload as keyof TenantUsage["workloads"], counts }],
    );
    const outcomes = await Promise.all(
      entries.map(({ workload, counts }) =>
        ports.store.usageSnapshots.record({
          customerTenantId: tenant,
          workload,
          reportRefreshDate: usage.reportRefreshDate,
          paidSeats: counts.paidSeats,
          activeUsers: counts.activeUsers,
          fetchedAt: usage.fetchedAt,
        }),
      ),
    );
    const counted = countOutcomes(outcomes);
    const summary = `report of ${usage.reportRefreshDate}: ${counted.stored} stored, ${counted.duplicate} duplicate, ${counted.stale} stale`;
    const redelivered = dequeueCountOf(context) > 1;
    if (counted.stored === 0 && !(redelivered && counted.duplicate > 0)) {
      context.log(`${tag}: ${summary}; nothing new, nothing raised`);
      return;
    }

    const reading: UsageReading = {
      reportRefreshDate: usage.reportRefreshDate,
      workloads: Object.fromEntries(entries.map(({ workload, counts }) => [workload, counts])),
    };
    const associations = await approvedAssociationsOf(ports.store, tenant);
    const failures: unknown[] = [];
    let raised = 0;
    for (const association of associations) {
      try {
        await ports.raise(association.id, lifecycleEvents.usageReported, reading, context);
        raised++;
      } catch (err) {
        if (isUnknownInstance(err)) {
          context.warn(`${tag}: association ${association.id} has no lifecycle orchestration; skipped`);
          continue;
        }
        context.warn(`${tag}: raising UsageReported on association ${association.id} failed: ${String(err)}`);
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
    context.log(`${tag}: ${summary}; UsageReported raised on ${raised} association(s)`);
  };
}

/** Approved Modern Work & Security associations holding a workload of the tenant (any partner). */
async function approvedAssociationsOf(
  store: UsagePollTenantPorts["store"],
  customerTenantId: string,
): Promise<Association[]> {
  const holders = new Map<string, string>(); // association ID → partner ID
  for (const claim of await store.claims.listByTenant(customerTenantId))
    if (claim.unit.startsWith("workload:")) holders.set(claim.associationId, claim.partnerId);
  const found = await Promise.all(
    [...holders].map(([associationId, partnerId]) => store.associations.find(partnerId, associationId)),
  );
  return found.flatMap((f) =>
    f && f.value.status === "Approved" && f.value.kind === polledKind ? [f.value] : [],
  );
}

function countOutcomes(outcomes: readonly RecordOutcome[]): Record<RecordOutcome, number> {
  const counted: Record<RecordOutcome, number> = { stored: 0, duplicate: 0, stale: 0 };
  for (const outcome of outcomes) counted[outcome]++;
  return counted;
}

/** The DurableClient rejects a raise on an unknown instance with this message (it accepts 410). */
function isUnknownInstance(err: unknown): boolean {
  return err instanceof Error && /^No instance with ID '.*' found\.$/.test(err.message);
}

/** The queue message as the schema wants it; anything else is poison. */
function readMessage(queueEntry: unknown, context: InvocationContext): UsagePollMessage {
  let raw: unknown = queueEntry;
  if (queueEntry instanceof Uint8Array) raw = Buffer.from(queueEntry).toString("utf8");
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch (err) {
      context.error(`${usagePollTenantName}: the queue message is not JSON; it will end in the poison queue`);
      throw new NonRetriableError("usage poll: the queue message is not JSON", { cause: err });
    }
  }
  const parsed = usagePollMessage.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
      .join("; ");
    context.error(
      `${usagePollTenantName}: the queue message does not fit the schema (${issues}); it will end in the poison queue`,
    );
    throw new NonRetriableError(`usage poll: ${issues}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The trigger's dequeue count (1 on the first delivery), when the host gave it. */
function dequeueCountOf(context: InvocationContext): number {
  const count = Number(context.triggerMetadata?.["dequeueCount"] ?? 1);
  return Number.isFinite(count) ? count : 1;
}

app.storageQueue(usagePollTenantName, {
  // An app setting (`USAGE_POLL_QUEUE`), so side-by-side deployments and tests keep apart.
  queueName: "%USAGE_POLL_QUEUE%",
  connection: "AzureWebJobsStorage",
  extraInputs: [df.input.durableClient()],
  handler: createUsagePollTenantHandler(() => {
    const { store, clock, usageProvider } = getPorts();
    return { store, clock, usageProvider, raise: raiseThroughDurableClient };
  }),
});
