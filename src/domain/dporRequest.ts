import { z } from "zod";
import { associationStatus } from "./status";

/**
 * The DPOR request workflow's contract between the application layer and the `dporRequest`
 * orchestrator (instance ID = association ID). Only the customer can set a DPOR, so the workflow
 * asks: the request email at once, a reminder after each of `remindersMs` (measured from the
 * request), and Expired when `requestWindowMs` passes with the association still Requested. The
 * partner's confirmation or withdrawal is applied by the application layer and told to the workflow
 * with the lifecycle's `StatusChanged` event. Whenever the DPOR leaves Requested, or is moved after
 * the request ended (a confirmation after expiry, a withdrawal, a replacement), the workflow settles
 * it (`settleDpor`: the subscription's one Active DPOR, the partner's TPORs) and ends: the use case
 * settles it at once too, and the workflow makes sure it happens even if that call died half-way.
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
    /**
     * Where the association stood when the workflow started: Requested (a new request), or a status
     * a decision moved it to after an earlier workflow ended (then the workflow only settles it).
     */
    status: associationStatus.default("Requested"),
  })
  .strict();
export type DporRequestInput = z.infer<typeof dporRequestInput>;
