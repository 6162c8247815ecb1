import { app } from "@azure/functions";
import { z } from "zod";
import { onboardPartner } from "../../../src/app/partners";
import { partnerLocationId, shortText, email } from "../../../src/domain/schemas/primitives";
import { adminEndpoint, parseBody } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

export const createPartnerInput = z
  .object({
    name: shortText(),
    partnerLocationId,
    /** More location IDs the partner claims under, beside the first. */
    otherLocationIds: z.array(partnerLocationId).max(49).optional(),
    contactEmail: email.optional(),
  })
  .strict();

/**
 * `POST /api/v1/admin/partners` (admin key): onboards a partner and returns its API key, the only
 * time the key is shown (only its hash is stored).
 */
export function createPartnerHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    const created = await onboardPartner(ports(), parseBody(createPartnerInput, call.body));
    return { status: 201, jsonBody: created };
  });
}

app.http("createPartner", {
  route: "api/v1/admin/partners",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: createPartnerHandler(getPorts),
});
