import { z } from "zod";

/**
 * The DPOR request workflow's contract between the application layer and the `dporRequest`
 * orchestrator (instance ID = association ID). Only the customer can set a DPOR, so the workflow
 * asks: the request email at once, a reminder after each of `remindersMs` (measured from the
 * request), and Expired when `requestWindowMs` passes with the association still Requested. The
 * partner's confirmation or withdrawal is applied by the application layer and told to the workflow
 * with the lifecycle's `StatusChanged` event: the workflow then stops.
 */
export const dporRequestOrchestratorName = "dporRequest";

export const dporDurations = z
  .object({
    /** Offsets from the request, ascending, each shorter than the request window. */
    remindersMs: z.array(z.number().int().positive()).max(10),
    requestWindowMs: z.number().int().positive(),
  })
  .strict();
export type DporDurations = z.infer<typeof dporDurations>;

export const dporRequestInput = z
  .object({
    associationId: z.string().min(1),
    partnerId: z.string().min(1),
    durations: dporDurations,
  })
  .strict();
export type DporRequestInput = z.infer<typeof dporRequestInput>;
