import { z } from "zod";
import { recordMilestones as recordReading, type RecordMilestonesPorts } from "../../src/app/milestones";
import { usageReading } from "../../src/domain/lifecycle";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const recordMilestonesName = "recordMilestones";

/**
 * One usage reading for one Approved association (the UsageReported payload). `at` comes from
 * `context.df.currentUtcDateTime`, so every retry and replay of one call carries the same time.
 */
export const recordMilestonesInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    reading: usageReading,
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type RecordMilestonesInput = z.infer<typeof recordMilestonesInput>;

/**
 * `reached`: milestones this reading recorded; `remaining`: thresholds of the claimed workloads that
 * may still pay (neither recorded nor flagged as never paying). 0 remaining ends the usage loop.
 */
export const recordMilestonesResult = z
  .object({ reached: z.number().int().nonnegative(), remaining: z.number().int().nonnegative() })
  .strict();
export type RecordMilestonesResult = z.infer<typeof recordMilestonesResult>;

/** Records what one reading newly earns, exactly once (src/app/milestones.ts). */
export const recordMilestones = defineActivity({
  name: recordMilestonesName,
  input: recordMilestonesInput,
  handler: (input, ports: RecordMilestonesPorts): Promise<RecordMilestonesResult> =>
    recordReading(ports, input),
  ports: () => {
    const { store, webhookQueue, settings } = getPorts();
    return { store, webhooks: webhookQueue, defaultProgramId: settings.incentiveProgramId };
  },
});

/** The activity over other ports (tests). */
export const createRecordMilestones = (ports: RecordMilestonesPorts) => recordMilestones.bind(ports);
