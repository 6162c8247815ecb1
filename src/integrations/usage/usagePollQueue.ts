import { z } from "zod";
import { guid } from "../../domain/schemas/primitives";
import { createJsonQueue } from "../jsonQueue";
import type { StorageConnection } from "../../store/tableStore";

/**
 * The queue between the usage-poll timer and the tenant reader (`functions/queues/usagePoll.ts`).
 * A message carries up to `maxTenantsPerMessage` tenants, read one after another: one message per
 * tenant made the queue's own cost (a send, a receive and a delete each, and the emulator's scans
 * over every message it holds) the bulk of a cycle's storage work. A tenant that fails in a message
 * with others is sent again alone (`retried`), so one slow or failing tenant delays the others by
 * its own attempt only, and the host's retries and poison queue apply to it alone.
 */
export const usagePollQueue = "usage-poll";

/** At most this many associations ride in a message (a tenant has one holder per workload unit). */
export const maxPolledAssociations = 100;

/** At most this many tenants ride in a message: read in turn, so a message takes seconds, not minutes. */
export const maxTenantsPerMessage = 10;

const listedAssociations = z
  .array(z.object({ id: z.string().min(1).max(64), partnerId: z.string().min(1).max(64) }).strict())
  .max(maxPolledAssociations);

/**
 * One tenant to read. `associations`: the tenant's polled associations the timer listed (under
 * review or Approved), so the reader point-reads each instead of querying the claims index; it still
 * checks each is Approved and of the polled kind when it reads. Without it (a tenant with more than
 * the maximum, or an older timer's message) the reader asks the claims index.
 */
export const usagePollTenant = z
  .object({ customerTenantId: guid, associations: listedAssociations.optional() })
  .strict();
export type UsagePollTenant = z.infer<typeof usagePollTenant>;

/**
 * A message of the queue: the timer's `{tenants}`, holding at most `maxTenantsPerMessage` tenants
 * and `maxPolledAssociations` listed associations in all (about 10 KB of JSON, far below a queue
 * message's 64 KB); or one tenant alone: one sent again after failing beside others (`retried`: its
 * reading may have been stored before the failure, so a duplicate is judged again, as on a
 * redelivery), or an older timer's message.
 */
export const usagePollMessage = z.union([
  z
    .object({ tenants: z.array(usagePollTenant).min(1).max(maxTenantsPerMessage) })
    .strict()
    .refine((m) => listedCount(m.tenants) <= maxPolledAssociations, {
      message: `at most ${maxPolledAssociations} listed associations in one message`,
      path: ["tenants"],
    }),
  usagePollTenant.extend({ retried: z.literal(true).optional() }).strict(),
]);
export type UsagePollMessage = z.infer<typeof usagePollMessage>;

/** The message's tenants, in order, and whether they come back after failing beside others. */
export function tenantsOf(message: UsagePollMessage): { tenants: UsagePollTenant[]; retried: boolean } {
  if ("tenants" in message) return { tenants: message.tenants, retried: false };
  const { retried, ...tenant } = message;
  return { tenants: [tenant], retried: retried === true };
}

/**
 * The tenants packed into as few messages as the limits allow, in order: a message is closed when
 * the next tenant would take it past `maxTenantsPerMessage` tenants or `maxPolledAssociations`
 * listed associations. Each tenant lands in exactly one message.
 */
export function packTenants(tenants: readonly UsagePollTenant[]): UsagePollMessage[] {
  const messages: UsagePollMessage[] = [];
  let open: UsagePollTenant[] = [];
  for (const tenant of tenants) {
    const full =
      open.length > 0 &&
      (open.length === maxTenantsPerMessage ||
        listedCount(open) + (tenant.associations?.length ?? 0) > maxPolledAssociations);
    if (full) {
      messages.push({ tenants: open });
      open = [];
    }
    open.push(tenant);
  }
  if (open.length > 0) messages.push({ tenants: open });
  return messages;
}

function listedCount(tenants: readonly UsagePollTenant[]): number {
  return tenants.reduce((sum, t) => sum + (t.associations?.length ?? 0), 0);
}

/** The port the timer enqueues through, and the reader sends a failed tenant back through. */
export interface UsagePollQueue {
  enqueue(message: UsagePollMessage): Promise<void>;
}

/**
 * Enqueues on `queueName` in the app's storage account (connection string, or the queue endpoint
 * beside the table endpoint with the app's identity), base64 JSON as the Functions queue trigger
 * expects. The queue is created on first use, once per process.
 */
export function createUsagePollQueue(
  connection: StorageConnection,
  queueName: string = usagePollQueue,
): UsagePollQueue {
  const queue = createJsonQueue(connection, queueName, usagePollMessage);
  return { enqueue: (message) => queue.send(message) };
}
