import { app } from "@azure/functions";
import { z } from "zod";
import { eraseCustomer } from "../../../src/app/customerErasure";
import { guid } from "../../../src/domain/schemas/primitives";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

/**
 * `POST /api/v1/customers/{tenantId}/erase` (no body): erases the personal data of the customer's
 * people from everything the calling partner keeps about that tenant (src/app/customerErasure.ts)
 * and answers what was erased. 404 when the partner has no association with the tenant (another
 * partner's customer looks exactly like an unknown one); 400 when `tenantId` is not a GUID.
 */
export function eraseCustomerHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    const { tenantId } = parseBody(
      z.object({ tenantId: guid }),
      JSON.stringify({ tenantId: call.request.params["tenantId"] ?? "" }),
    );
    const { store, clock } = ports();
    const report = await eraseCustomer({ store, clock }, call.partnerId, tenantId);
    return { status: 200, headers: { "cache-control": "no-store" }, jsonBody: report };
  });
}

app.http("eraseCustomer", {
  route: "api/v1/customers/{tenantId}/erase",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: eraseCustomerHandler(getPorts),
});
