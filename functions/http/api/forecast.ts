import { app } from "@azure/functions";
import { z } from "zod";
import { partnerForecast, type PartnerForecastItem } from "../../../src/app/forecast";
import { csvResponse, prefersCsv, toCsv, type CsvColumn } from "../../../src/http/csv";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

/** It takes no parameters; like the other summaries, an unknown one is a 400, not silently ignored. */
export const forecastQuery = z.object({}).strict();

const itemColumns: readonly CsvColumn<PartnerForecastItem>[] = [
  { header: "associationId", value: (i) => i.associationId },
  { header: "customerTenantId", value: (i) => i.customerTenantId },
  { header: "workload", value: (i) => i.workload },
  { header: "milestoneKey", value: (i) => i.milestoneKey },
  { header: "projectedOn", value: (i) => i.projectedOn },
  { header: "amount", value: (i) => i.amount },
  { header: "currency", value: (i) => i.currency },
  { header: "payableOn", value: (i) => i.payableOn },
];

/**
 * `GET /api/v1/forecast`: the milestone crossings the partner's Approved associations are projected
 * to make within 90 days, with what each would pay, in cumulative 30/60/90-day windows and by
 * payable month (src/app/forecast.ts). With `Accept: text/csv` the items alone, as CSV.
 */
export function forecastHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(forecastQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const { store, clock, settings } = ports();
    const forecast = await partnerForecast(
      {
        store,
        clock,
        readingsToFit: settings.usage.forecastReadings,
        defaultProgramId: settings.incentiveProgramId,
      },
      call.partnerId,
    );
    if (prefersCsv(call.request.headers.get("accept")))
      return csvResponse(toCsv(itemColumns, forecast.items), `forecast-${forecast.asOf}.csv`);
    return { status: 200, headers: { vary: "Accept" }, jsonBody: forecast };
  });
}

app.http("getForecast", {
  route: "api/v1/forecast",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: forecastHandler(getPorts),
});
