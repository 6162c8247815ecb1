import { z } from "zod";
import { settleDpor as settle } from "../../src/app/dpor";
import type { AppPorts } from "../../src/app/ports";
import { appPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const settleDporName = "settleDpor";

export const settleDporInput = z
  .object({ associationId: z.string().min(1).max(64), partnerId: z.string().min(1).max(64) })
  .strict();
export type SettleDporInput = z.infer<typeof settleDporInput>;

/**
 * What follows a DPOR's move, from where it stands now (src/app/dpor.ts `settleDpor`): the
 * subscription's one Active DPOR (an earlier one Superseded), the partner's TPORs. Idempotent.
 */
export const settleDpor = defineActivity({
  name: settleDporName,
  input: settleDporInput,
  handler: async (input, ports: AppPorts, workflows) => {
    await settle(ports, workflows, input);
  },
  ports: appPorts,
  // Superseding another partner's DPOR tells its workflow.
  usesWorkflows: true,
});
