import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError, NotFoundError } from "../domain/errors";
import {
  lastErrorOf,
  problemOf,
  subjectOf,
  type InstanceProblem,
  type InstanceSummary,
} from "../domain/orchestrationHealth";
import type { PoisonQueues } from "../integrations/poisonQueues";
import type { Store } from "../store/store";
import { workflowOf, type LifecyclePorts } from "./lifecycle";

/**
 * What operators do on a bad day (the admin API): find failed and stuck workflows and restart
 * them, and purge old history. The workflow engine is reached through OrchestrationAdmin
 * (Durable's client in functions/orchestrationAdmin.ts).
 */
export interface OrchestrationAdmin {
  /** Every instance in one of `statuses`, created before `createdBefore` when given. */
  list(filter: { statuses: readonly string[]; createdBefore?: Date }): Promise<InstanceSummary[]>;
  get(instanceId: string): Promise<InstanceSummary | undefined>;
  terminate(instanceId: string, reason: string): Promise<void>;
  start(name: string, instanceId: string, input: unknown): Promise<void>;
  /** Deletes the history of finished instances created before `createdBefore`; how many. */
  purge(createdBefore: Date, statuses: readonly string[]): Promise<number>;
}

export interface OperationsPorts {
  orchestrations: OrchestrationAdmin;
  store: Pick<Store, "associations" | "webhookDeliveries" | "idempotencyKeys">;
  clock: () => Date;
  /** ORCHESTRATION_STUCK_AFTER. */
  stuckAfterMs: number;
  /** Workflow inputs for associations, as the lifecycle builds them. */
  lifecycle: Pick<LifecyclePorts, "durations" | "dporDurations">;
  /** How long a restart waits for a terminated instance to stop; default 30 s. */
  stopTimeoutMs?: number;
}

export interface ProblemView {
  instanceId: string;
  name: string;
  problem: InstanceProblem;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus: unknown;
  lastError?: string;
  partnerId?: string;
  associationId?: string;
}

/** Failed and stuck instances (or only one kind), most recently updated first. */
export async function listProblemOrchestrations(
  ports: OperationsPorts,
  only?: InstanceProblem,
): Promise<ProblemView[]> {
  const statuses =
    only === "failed"
      ? ["Failed"]
      : only === "stuck"
        ? ["Running", "Pending"]
        : ["Failed", "Running", "Pending"];
  const now = ports.clock();
  const instances = await ports.orchestrations.list({ statuses });
  return instances
    .flatMap((instance) => {
      const problem = problemOf(instance, now, ports.stuckAfterMs);
      return problem && (!only || problem === only) ? [viewOf(instance, problem)] : [];
    })
    .sort((a, b) => b.lastUpdatedTime.localeCompare(a.lastUpdatedTime));
}

/**
 * Restarts a failed, terminated or stuck instance from its last good state. An association's
 * workflow starts again from the association as stored (its status and baseline: every step
 * writes there first); any other workflow (a job) from its input, whose items are idempotent.
 * A stuck instance is terminated first. ConflictError for one that is healthy or completed.
 */
export async function restartOrchestration(ports: OperationsPorts, instanceId: string) {
  const instance = await ports.orchestrations.get(instanceId);
  if (!instance) throw new NotFoundError(`orchestration ${instanceId} was not found`);
  const problem = problemOf(instance, ports.clock(), ports.stuckAfterMs);
  if (!problem && instance.runtimeStatus !== "Terminated")
    throw new ConflictError(
      `orchestration ${instanceId} is ${instance.runtimeStatus} and not stuck: only failed, terminated or stuck ones are restarted`,
    );
  const { name, input, from } = await restartInputOf(ports, instance);
  if (problem === "stuck") {
    await ports.orchestrations.terminate(instanceId, "restarted by an operator: stuck");
    await untilStopped(ports, instanceId);
  }
  await ports.orchestrations.start(name, instanceId, input);
  return { instanceId, name, restartedFrom: from, previousStatus: instance.runtimeStatus };
}

/**
 * Deletes what is older than the retention: finished workflow history, webhook deliveries no
 * longer pending, and expired idempotency keys. Answers how many of each.
 */
export async function purgeHistory(ports: OperationsPorts, retentionMs: number) {
  const now = ports.clock();
  const cutoff = new Date(now.getTime() - retentionMs);
  const orchestrations = await ports.orchestrations.purge(cutoff, ["Completed", "Failed", "Terminated"]);
  const webhookDeliveries = await ports.store.webhookDeliveries.purgeBefore(cutoff.toISOString());
  const idempotencyKeys = await ports.store.idempotencyKeys.purgeExpired(now);
  return { before: cutoff.toISOString(), orchestrations, webhookDeliveries, idempotencyKeys };
}

async function restartInputOf(ports: OperationsPorts, instance: InstanceSummary) {
  const { partnerId, associationId } = subjectOf(instance);
  if (partnerId && associationId && associationId === instance.instanceId) {
    const association = await ports.store.associations.find(partnerId, associationId);
    const workflow = association && workflowOf(association.value, ports.lifecycle);
    if (workflow)
      return {
        name: workflow.orchestrator,
        input: workflow.input,
        from: `association status ${association.value.status}`,
      };
  }
  return { name: instance.name, input: instance.input, from: "its input" };
}

async function untilStopped(ports: OperationsPorts, instanceId: string): Promise<void> {
  const deadline = Date.now() + (ports.stopTimeoutMs ?? 30_000);
  for (;;) {
    const status = (await ports.orchestrations.get(instanceId))?.runtimeStatus;
    if (status === undefined || ["Terminated", "Completed", "Failed"].includes(status)) return;
    if (Date.now() > deadline)
      throw new ConflictError(
        `orchestration ${instanceId} was told to stop but is still ${status}; try again`,
      );
    await sleep(250);
  }
}

function viewOf(instance: InstanceSummary, problem: InstanceProblem): ProblemView {
  const lastError = lastErrorOf(instance);
  return {
    instanceId: instance.instanceId,
    name: instance.name,
    problem,
    runtimeStatus: instance.runtimeStatus,
    createdTime: instance.createdTime,
    lastUpdatedTime: instance.lastUpdatedTime,
    customStatus: instance.customStatus ?? null,
    ...(lastError ? { lastError } : {}),
    ...subjectOf(instance),
  };
}

/** The poison side of the app's queues, for operators. */
export interface PoisonPorts {
  poisonQueues: PoisonQueues;
  /** The app's queues (settings): only their poison queues are shown or replayed. */
  queues: readonly string[];
}

/** Every app queue's poison queue: how many messages, and the first ones. */
export async function listPoisonMessages(ports: PoisonPorts) {
  const queues = await Promise.all(
    ports.queues.map(async (queue) => ({
      queue,
      poisonQueue: `${queue}-poison`,
      ...(await ports.poisonQueues.peek(queue)),
    })),
  );
  return { queues };
}

/**
 * Sends a poison queue's messages (all, or those named) back to their queue, after the cause was
 * fixed; the triggers then read them as new. NotFoundError for a queue that is not the app's.
 */
export async function replayPoisonMessages(
  ports: PoisonPorts,
  queue: string,
  messageIds?: readonly string[],
) {
  if (!ports.queues.includes(queue)) throw new NotFoundError(`${queue} is not one of the app's queues`);
  const replayed = await ports.poisonQueues.replay(queue, messageIds ? new Set(messageIds) : undefined);
  return { queue, replayed: replayed.length, messageIds: replayed };
}
