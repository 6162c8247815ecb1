import { app } from "@azure/functions";
import { z } from "zod";
import { startCspImport } from "../../../src/app/cspImport";
import { jobView } from "../../../src/domain/job";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";
import { durableWorkflows, withDurableClient } from "../../workflows";
import { operationIdOf } from "./associations";

/** The import takes no options: an empty object, or no body at all. */
export const startCspImportInput = z.object({}).strict().optional();

/**
 * `POST /api/v1/csp/imports`: reads the calling partner's Partner Center customer list into CSP
 * associations, in the background. 202 with the job as `GET /api/v1/jobs/{id}` shows it (Location
 * points there); 503 when this deployment has no Partner Center access for the partner. The job ID
 * is derived from the partner and the Idempotency-Key, so a retry finds the same job.
 */
export function startCspImportHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(startCspImportInput, call.body);
    const { store, clock, partnerCenter, settings } = ports();
    const job = await startCspImport({ store, clock, partnerCenter }, durableWorkflows(call.context), {
      partnerId: call.partnerId,
      jobId: operationIdOf(call),
    });
    return {
      status: 202,
      headers: { location: `${settings.publicBaseUrl}/api/v1/jobs/${job.id}` },
      jsonBody: jobView(job, await store.jobs.results(job.id)),
    };
  });
}

app.http("startCspImport", {
  route: "api/v1/csp/imports",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: startCspImportHandler(getPorts),
});
