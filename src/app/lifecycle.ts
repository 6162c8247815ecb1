import type { Association } from "../domain/association";
import { runsClaimLifecycle } from "../domain/associationTypes";
import {
  lifecycleEvents,
  lifecycleInput,
  type LifecycleDurations,
  type LifecycleInput,
  type StatusChangedSignal,
} from "../domain/lifecycle";
import type { AssociationStatus } from "../domain/status";
import { applyStatusChange, type StatusChange, type StatusPorts } from "./statusChanges";

/**
 * The workflow engine as the application sees it (Durable Functions in production and on the local
 * host; the adapter is `functions/workflows.ts`). Instance ID = association ID.
 */
export interface Workflows {
  /**
   * "running" when an instance is there to receive events (pending, running, suspended),
   * "finished" when it completed, failed or was terminated, undefined when there never was one.
   * Throws TransientDependencyError when it cannot tell: "could not tell" is never "not running".
   */
  state(associationId: string): Promise<"running" | "finished" | undefined>;
  raise(associationId: string, eventName: string, payload: unknown): Promise<void>;
  /** Starts (or starts again, over a finished one) the association's lifecycle. */
  start(input: LifecycleInput): Promise<void>;
}

export interface LifecyclePorts extends StatusPorts {
  durations: LifecycleDurations;
}

/** Statuses in which the lifecycle has something to wait for or to do, short of the usage loop. */
const statusesWithWork: ReadonlySet<AssociationStatus> = new Set<AssociationStatus>([
  "Draft",
  "Submitted",
  "UnderReview",
  "PartnerActionRequired",
  "Rejected",
  "Dispute",
]);

/**
 * A decision by the partner, the customer or a reviewer: applied at once through
 * `applyStatusChange` (the caller gets the new status, or a 409 naming the current one), then told
 * to the workflow (`follow`). Retrying with the same changeId finishes what an attempt began.
 */
export async function decide(
  ports: LifecyclePorts,
  workflows: Workflows,
  change: StatusChange,
): Promise<Association> {
  const { association } = await applyStatusChange(ports, change);
  await follow(ports, workflows, association, change.changeId);
  return association;
}

/**
 * Makes the workflow follow a change applied outside it: a running workflow gets `StatusChanged`
 * (it reads the status and moves on, dropping any timer of the status it left); a finished one, or
 * none, is started again in the new status when time matters there again (a cancelled approval now
 * waits for its dispute window). A workflow that completes between the look and the event (only
 * the usage loop completes by itself) drops the event: the next change restarts it.
 */
export async function follow(
  ports: Pick<LifecyclePorts, "durations">,
  workflows: Workflows,
  association: Association,
  changeId: string,
): Promise<void> {
  if (!runsClaimLifecycle(association.kind)) return;
  const state = await workflows.state(association.id);
  if (state === "running") {
    const signal: StatusChangedSignal = { changeId, to: association.status };
    await workflows.raise(association.id, lifecycleEvents.statusChanged, signal);
    return;
  }
  if (statusesWithWork.has(association.status))
    await workflows.start(lifecycleFor(association, ports.durations));
}

/** Starts a new association's lifecycle unless it was started before (a retried create). */
export async function startLifecycle(
  ports: Pick<LifecyclePorts, "durations">,
  workflows: Workflows,
  association: Association,
): Promise<void> {
  if (!runsClaimLifecycle(association.kind)) return;
  if ((await workflows.state(association.id)) !== undefined) return;
  await workflows.start(lifecycleFor(association, ports.durations));
}

function lifecycleFor(association: Association, durations: LifecycleDurations): LifecycleInput {
  return lifecycleInput.parse({
    associationId: association.id,
    partnerId: association.partnerId,
    status: association.status,
    baselineRecorded: association.baseline !== undefined,
    durations,
  });
}
