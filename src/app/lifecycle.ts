import type { Association } from "../domain/association";
import { NonRetriableError } from "../domain/errors";
import { dporRequestInput, dporRequestOrchestratorName, type DporDurations } from "../domain/dporRequest";
import {
  lifecycleEvents,
  lifecycleInput,
  lifecycleOrchestratorName,
  type LifecycleDurations,
  type StatusChangedSignal,
} from "../domain/lifecycle";
import type { AssociationStatus } from "../domain/status";
import { machineOf } from "../domain/statusMachine";
import { applyStatusChange, type StatusChange, type StatusPorts } from "./statusChanges";

/**
 * The workflow engine as the application sees it (Durable Functions in production and on the local
 * host; the adapter is `functions/workflows.ts`). An association's workflow has the association's
 * ID as instance ID; a job's has the job's.
 */
export interface Workflows {
  /**
   * "running" when an instance is there to receive events (pending, running, suspended),
   * "finished" when it completed, failed or was terminated, undefined when there never was one.
   * Throws TransientDependencyError when it cannot tell: "could not tell" is never "not running".
   */
  state(instanceId: string): Promise<"running" | "finished" | undefined>;
  raise(instanceId: string, eventName: string, payload: unknown): Promise<void>;
  /**
   * Starts (or starts again, over a finished one) the orchestration `orchestrator` as `instanceId`.
   * "running" when an instance of that ID is running already (another caller started it between
   * this caller's `state` and its start): nothing was started, and the running one is the workflow.
   */
  start(orchestrator: string, instanceId: string, input: unknown): Promise<"started" | "running">;
}

/**
 * For work on associations that have no workflow (PAL links, CSP relationships) from triggers
 * without a Durable client (activities, queues): `follow` and `startLifecycle` never reach it for
 * them, so a call is a bug and fails saying so.
 */
export const withoutWorkflows: Workflows = {
  state: () => Promise.reject(noWorkflow()),
  raise: () => Promise.reject(noWorkflow()),
  start: () => Promise.reject(noWorkflow()),
};

const noWorkflow = () => new NonRetriableError("this association's type has no workflow to reach");

export interface LifecyclePorts extends StatusPorts {
  durations: LifecycleDurations;
  /** The DPOR request's reminders and window. */
  dporDurations: DporDurations;
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
 * waits for its dispute window). Two callers may follow one association at once (a DPOR's
 * supersede runs from the confirm and again from the other DPOR's settle step): the one whose start
 * finds the other's run tells that run instead. A workflow that completes between the look and the
 * event drops it: the change was applied before, and the next change restarts the workflow.
 */
export async function follow(
  ports: Pick<LifecyclePorts, "durations" | "dporDurations">,
  workflows: Workflows,
  association: Association,
  changeId: string,
): Promise<void> {
  const workflow = workflowOf(association, ports);
  if (!workflow) return;
  const signal: StatusChangedSignal = { changeId, to: association.status };
  const tell = () => workflows.raise(association.id, lifecycleEvents.statusChanged, signal);
  if ((await workflows.state(association.id)) === "running") return tell();
  if (!workflow.restartsIn.has(association.status)) return;
  if ((await workflows.start(workflow.orchestrator, association.id, workflow.input)) === "running")
    await tell();
}

/** Starts a new association's workflow, if its type has one, unless it was started before (a retried create). */
export async function startLifecycle(
  ports: Pick<LifecyclePorts, "durations" | "dporDurations">,
  workflows: Workflows,
  association: Association,
): Promise<void> {
  const workflow = workflowOf(association, ports);
  if (!workflow) return;
  if ((await workflows.state(association.id)) !== undefined) return;
  await workflows.start(workflow.orchestrator, association.id, workflow.input);
}

export interface AssociationWorkflow {
  orchestrator: string;
  input: unknown;
  /** Statuses in which a finished workflow is started again after a change (time matters there). */
  restartsIn: ReadonlySet<AssociationStatus>;
}

/**
 * Which workflow keeps an association's time: the claim lifecycle for CPOR kinds, the request
 * workflow for DPOR; PAL, CSP and TPOR have none (their checks run on timers over all links).
 */
export function workflowOf(
  association: Association,
  ports: Pick<LifecyclePorts, "durations" | "dporDurations">,
): AssociationWorkflow | undefined {
  const ids = { associationId: association.id, partnerId: association.partnerId };
  switch (machineOf(association.kind)) {
    case "claim":
      return {
        orchestrator: lifecycleOrchestratorName,
        input: lifecycleInput.parse({
          ...ids,
          status: association.status,
          baselineRecorded: association.baseline !== undefined,
          durations: ports.durations,
        }),
        restartsIn: statusesWithWork,
      };
    case "dpor":
      return {
        orchestrator: dporRequestOrchestratorName,
        input: dporRequestInput.parse({ ...ids, durations: ports.dporDurations, status: association.status }),
        // A move after the request ended is settled by a short run (Expired holds nothing to settle).
        restartsIn: new Set<AssociationStatus>(["Active", "Superseded", "Withdrawn"]),
      };
    default:
      return undefined;
  }
}
