import { z } from "zod";
import { longText } from "./primitives";

/** `POST /api/v1/associations/{id}/withdraw`: the partner ends the association for good. */
export const withdrawInput = z.object({ reason: longText(1000) }).strict();
export type WithdrawInput = z.infer<typeof withdrawInput>;

/** `POST /api/v1/associations/{id}/dispute`: once, within the dispute window of a rejection. */
export const disputeInput = z.object({ reason: longText(4000) }).strict();
export type DisputeInput = z.infer<typeof disputeInput>;
