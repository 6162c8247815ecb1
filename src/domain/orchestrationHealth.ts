import { z } from "zod";

/**
 * Telling a failed or stuck workflow from one that is simply waiting, for operators
 * (`GET /api/v1/admin/orchestrations`). Workflows say what they wait for in their custom status:
 * `waitingUntil` (a timer: late past it by more than the threshold, it is stuck) or `waitingFor`
 * (people or usage readings: never stuck by waiting). Without either, an instance that has not
 * moved for longer than the threshold (ORCHESTRATION_STUCK_AFTER) is stuck: it is between steps,
 * and steps take seconds.
 */
export interface InstanceSummary {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus: unknown;
  /** For a failed instance, its error. */
  output: unknown;
  input: unknown;
}

export type InstanceProblem = "failed" | "stuck";

const waiting = z.object({
  waitingUntil: z.iso.datetime().optional(),
  waitingFor: z.string().optional(),
});

const running = new Set(["Running", "Pending", "ContinuedAsNew"]);

export function problemOf(
  instance: InstanceSummary,
  now: Date,
  stuckAfterMs: number,
): InstanceProblem | undefined {
  if (instance.runtimeStatus === "Failed") return "failed";
  if (!running.has(instance.runtimeStatus)) return undefined;
  const wait = waiting.safeParse(instance.customStatus ?? {});
  const { waitingUntil, waitingFor } = wait.success ? wait.data : {};
  const since = waitingUntil
    ? Math.max(Date.parse(waitingUntil), Date.parse(instance.lastUpdatedTime))
    : Date.parse(instance.lastUpdatedTime);
  if (!waitingUntil && waitingFor) return undefined;
  return now.getTime() - since > stuckAfterMs ? "stuck" : undefined;
}

/** A failed instance's error, in words (Durable keeps it as the output). */
export function lastErrorOf(instance: InstanceSummary): string | undefined {
  if (instance.runtimeStatus !== "Failed") return undefined;
  const output = instance.output;
  if (typeof output === "string") return output.slice(0, 2000);
  if (output === undefined || output === null) return "failed without a message";
  return JSON.stringify(output).slice(0, 2000);
}

/** The association or job an instance works for, from its input, when it says. */
export function subjectOf(instance: InstanceSummary): { partnerId?: string; associationId?: string } {
  const parsed = z
    .object({ partnerId: z.string().optional(), associationId: z.string().optional() })
    .safeParse(instance.input ?? {});
  if (!parsed.success) return {};
  const { partnerId, associationId } = parsed.data;
  return { ...(partnerId ? { partnerId } : {}), ...(associationId ? { associationId } : {}) };
}
