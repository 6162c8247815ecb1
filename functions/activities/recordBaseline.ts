import { z } from "zod";
import { recordBaseline as recordBaselineOnce, type RecordBaselinePorts } from "../../src/app/baseline";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const recordBaselineName = "recordBaseline";

/** Asked for once the association is Approved; `at` is the orchestration's time (replay-safe). */
export const recordBaselineInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type RecordBaselineInput = z.infer<typeof recordBaselineInput>;

/** How many claimed workloads the baseline covers and how many thresholds were already met at claim time. */
export const recordBaselineResult = z
  .object({ workloads: z.number().int().nonnegative(), flagged: z.number().int().nonnegative() })
  .strict();
export type RecordBaselineResult = z.infer<typeof recordBaselineResult>;

/** Records the usage the association starts from (src/app/baseline.ts). */
export const recordBaseline = defineActivity({
  name: recordBaselineName,
  input: recordBaselineInput,
  handler: (input, ports: RecordBaselinePorts): Promise<RecordBaselineResult> =>
    recordBaselineOnce(ports, input),
  ports: () => ({ store: getPorts().store, programId: getPorts().settings.incentiveProgramId }),
});

/** The activity over other ports (tests). */
export const createRecordBaseline = (ports: RecordBaselinePorts) => recordBaseline.bind(ports);
