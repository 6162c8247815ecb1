import { app } from "@azure/functions";
import { startCsvImport } from "../../../src/app/csvImport";
import { jobView } from "../../../src/domain/job";
import { partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { problem } from "../../../src/http/problem";
import { getPorts, palPorts, type Ports } from "../../composition";
import { durableWorkflows, withDurableClient } from "../../workflows";
import { operationIdOf } from "./associations";

/**
 * `POST /api/v1/imports` (`Content-Type: text/csv`): DPOR requests, TPOR records and PAL links in
 * bulk (src/app/csvImport.ts) → 202 with the job, a result per row (invalid rows already there).
 * The job ID derives from the Idempotency-Key. Any other body is a 415.
 */
export function importsHandler(ports: () => Ports) {
  return partnerEndpoint(
    ports,
    async (call) => {
      if (call.bodyFormat !== "csv") return textCsvOnly(call.request.headers.get("content-type"));
      const job = await startCsvImport(palPorts(), durableWorkflows(call.context), {
        partnerId: call.partnerId,
        jobId: operationIdOf(call),
        csv: call.body,
      });
      const results = await ports().store.jobs.results(job.id);
      return {
        status: 202,
        headers: { location: `${ports().settings.publicBaseUrl}/api/v1/jobs/${job.id}` },
        jsonBody: jobView(job, results),
      };
    },
    { acceptsCsv: true },
  );
}

/** A JSON (or any other) body: this endpoint takes files only. */
function textCsvOnly(contentType: string | null) {
  const given = contentType?.split(";")[0]?.trim() ?? "";
  const type = /^[\w.+-]{1,127}\/[\w.+-]{1,127}$/.test(given) ? given : undefined; // never echo junk
  return problem(
    415,
    "Unsupported Media Type",
    `send the rows as text/csv (UTF-8)${type ? `, not ${type}` : ""}`,
    {
      errors: [
        { path: "header:Content-Type", message: "must be text/csv: one header row, then one row per item" },
      ],
    },
  );
}

app.http("startImport", {
  route: "api/v1/imports",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: importsHandler(getPorts),
});
