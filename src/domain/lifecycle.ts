import { z } from "zod";
import { associationStatus } from "./status";

/**
 * The CPOR lifecycle's contract between the application layer and the `associationLifecycle`
 * orchestrator: the orchestration's input and the external events it waits for. The instance ID
 * is the association ID.
 *
 * Who moves the status: the partner's, the customer's and the reviewers' decisions are applied by
 * the application layer at once (so the caller gets a definite answer: the new status, or 409) and
 * then told to the workflow with `StatusChanged`; the workflow owns the moves time makes (PoE
 * deadline, the consent email and review start, refusal, partner-action and dispute windows) and
 * makes them only from the status it is waiting in.
 */
/** The orchestrator's function name: what the workflow engine is asked to start. */
export const lifecycleOrchestratorName = "associationLifecycle";

export const lifecycleEvents = {
  /** The association's status was changed outside the workflow: payload `statusChangedSignal`. */
  statusChanged: "StatusChanged",
  /** Raised by the usage poller for each Approved association of a tenant: payload `usageReading`. */
  usageReported: "UsageReported",
} as const;

/** Every lifecycle duration, in milliseconds (ISO 8601 durations in the settings). */
export const lifecycleDurations = z
  .object({
    poeDeadlineMs: z.number().int().positive(),
    refusalWindowMs: z.number().int().positive(),
    partnerActionWindowMs: z.number().int().positive(),
    disputeWindowMs: z.number().int().positive(),
  })
  .strict();
export type LifecycleDurations = z.infer<typeof lifecycleDurations>;

export const lifecycleInput = z
  .object({
    associationId: z.string().min(1),
    partnerId: z.string().min(1),
    /** The status this execution starts in: Draft for a new claim; the current one for a restart. */
    status: associationStatus.default("Draft"),
    /** Set once the usage baseline is recorded (each continueAsNew of the usage loop carries it). */
    baselineRecorded: z.boolean().default(false),
    durations: lifecycleDurations,
  })
  .strict();
export type LifecycleInput = z.input<typeof lifecycleInput>;

/** Payload of StatusChanged: which change, and the status it moved to. */
export const statusChangedSignal = z
  .object({ changeId: z.string().min(1).max(64), to: associationStatus })
  .strict();
export type StatusChangedSignal = z.infer<typeof statusChangedSignal>;

/** Payload of UsageReported: one reading of the association's tenant (see integrations/usage). */
export const usageReading = z
  .object({
    reportRefreshDate: z.iso.date(),
    workloads: z.record(
      z.string(),
      z
        .object({ paidSeats: z.number().int().nonnegative(), activeUsers: z.number().int().nonnegative() })
        .strict(),
    ),
  })
  .strict();
export type UsageReading = z.infer<typeof usageReading>;
