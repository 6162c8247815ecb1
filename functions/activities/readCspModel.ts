import { z } from "zod";
import { readCspModel as readModel } from "../../src/app/cspImport";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const readCspModelName = "readCspModel";

export const readCspModelInput = z.object({ partnerId: z.string().min(1).max(64) }).strict();
export type ReadCspModelInput = z.infer<typeof readCspModelInput>;

/**
 * The partner's CSP model (direct bill, or indirect reseller through its provider), read once per
 * import. A refusal no retry can fix (a wrong secret, no access) is answered as `{ok: false, error}`
 * so the import fails at once with the reason; a transient failure throws and is retried.
 */
export const readCspModel = defineActivity({
  name: readCspModelName,
  input: readCspModelInput,
  handler: (input, ports: Parameters<typeof readModel>[0]) => readModel(ports, input.partnerId),
  ports: () => ({ partnerCenter: getPorts().partnerCenter }),
});
