import { app } from "@azure/functions";
import { z } from "zod";
import { opportunitiesOf } from "../../../src/app/opportunities";
import type { Opportunity } from "../../../src/domain/opportunities";
import { csvResponse, prefersCsv, toCsv, type CsvColumn } from "../../../src/http/csv";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

/** The list takes no query parameters: a typo must not look like a filter that was applied. */
const noQuery = z.object({}).strict();

/**
 * The CSV columns, in the JSON item's order. Every text in them is the service's own wording
 * (workload IDs, statuses, Microsoft's review reasons), never a partner's or customer's free text.
 */
const columns: readonly CsvColumn<Opportunity>[] = [
  { header: "customerTenantId", value: (o) => o.customerTenantId },
  { header: "workload", value: (o) => o.workload },
  { header: "reason", value: (o) => o.reason },
  { header: "value", value: (o) => o.value },
  { header: "currency", value: (o) => o.currency },
  { header: "action", value: (o) => o.action },
  { header: "kind", value: (o) => o.kind },
  { header: "associationId", value: (o) => o.associationId },
];

/**
 * `GET /api/v1/opportunities`: the partner's missed rebates, highest value first
 * (src/app/opportunities.ts), as `{items}`; with `Accept: text/csv` the same items as CSV.
 */
export function listOpportunitiesHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(noQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const { store, clock, settings } = ports();
    const items = await opportunitiesOf(
      { store, clock, durations: settings.lifecycle, programId: settings.incentiveProgramId },
      call.partnerId,
    );
    if (prefersCsv(call.request.headers.get("accept")))
      return csvResponse(toCsv(columns, items), "opportunities.csv");
    return { status: 200, headers: { vary: "Accept" }, jsonBody: { items } };
  });
}

app.http("listOpportunities", {
  route: "api/v1/opportunities",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listOpportunitiesHandler(getPorts),
});
