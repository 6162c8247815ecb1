import { z } from "zod";

/**
 * The CPOR lifecycle's contract between the API, the consent page, inbound email and the
 * `associationLifecycle` orchestrator: the orchestration's input and the external events it waits
 * for. The instance ID is the association ID.
 */
export const lifecycleEvents = {
  poeSubmitted: "PoeSubmitted",
  customerRefused: "CustomerRefused",
  customerCancelled: "CustomerCancelled",
  partnerWithdrew: "PartnerWithdrew",
  /** Raised by the usage poller for each Approved association of a tenant: payload `usageReading`. */
  usageReported: "UsageReported",
} as const;

export const lifecycleInput = z
  .object({
    associationId: z.string().min(1),
    partnerId: z.string().min(1),
    /** Where an execution starts: "draft" for a new claim, "approved" for each continueAsNew of the usage loop. */
    phase: z.enum(["draft", "approved"]).default("draft"),
    /** Durations are configuration (ISO 8601 in settings), in milliseconds here. */
    durations: z
      .object({ poeDeadlineMs: z.number().int().positive(), refusalWindowMs: z.number().int().positive() })
      .strict(),
  })
  .strict();
export type LifecycleInput = z.infer<typeof lifecycleInput>;

/** Payload of CustomerRefused / CustomerCancelled / PartnerWithdrew. */
export const lifecycleSignal = z
  .object({
    reason: z.string().min(1).max(4000),
    /** Where it came from: the consent page, an email reply, the partner API. */
    via: z.enum(["consent-page", "email-reply", "api"]),
  })
  .strict();
export type LifecycleSignal = z.infer<typeof lifecycleSignal>;

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
