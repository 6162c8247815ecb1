import { app } from "@azure/functions";
import { jobView } from "../../../src/domain/job";
import { partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

/**
 * `GET /api/v1/jobs/{id}`: a bulk operation's progress and its result per item, while it runs and
 * after (PAL bulk links, CSP imports, CSV imports). Another partner's job is a 404.
 */
export function getJobHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store } = ports();
    const id = call.request.params["id"] ?? "";
    const found = await store.jobs.get(call.partnerId, id);
    const results = await store.jobs.results(found.value.id);
    return { status: 200, jsonBody: jobView(found.value, results) };
  });
}

app.http("getJob", {
  route: "api/v1/jobs/{id}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getJobHandler(getPorts),
});
