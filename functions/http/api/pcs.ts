import { app, type HttpHandler } from "@azure/functions";
import { z } from "zod";
import {
  pcsCustomers,
  pcsHistory,
  putAzureRevenue,
  putSkilling,
  scorePcs,
  type PcsPorts,
} from "../../../src/app/pcs";
import { pcsSolutionArea } from "../../../src/domain/associationTypes";
import { addMonths } from "../../../src/domain/pcs/calendar";
import { parseRevenueCsv, parseRevenueJson } from "../../../src/domain/pcs/revenueInput";
import { skilling } from "../../../src/domain/pcs/records";
import { isoDate } from "../../../src/domain/schemas/primitives";
import { csvResponse, prefersCsv, toCsv } from "../../../src/http/csv";
import { parseBody, partnerEndpoint, type PartnerCall } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

/**
 * The Partner Capability Score: `GET /pcs` (per solution area the metrics' points, maxima and next
 * steps, the total and whether the partner qualifies), `GET /pcs/customers?area=` (which metrics each
 * customer counts toward, and why not), `GET /pcs/history` (the daily snapshots), and the inputs only
 * the partner knows: `PUT /skilling` (certification counts) and `PUT /azure-revenue` (Azure consumed
 * revenue per customer and month, JSON or CSV). Everything is the calling partner's own.
 */
const queryOf = <S extends z.ZodType>(schema: S, call: PartnerCall): z.output<S> =>
  parseBody(schema, JSON.stringify(Object.fromEntries(call.request.query.entries())));

const pcsPorts = (ports: Ports): PcsPorts => ({ store: ports.store, clock: ports.clock });

export function getPcsHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    queryOf(z.object({}).strict(), call);
    const score = await scorePcs(pcsPorts(ports()), call.partnerId);
    return {
      status: 200,
      jsonBody: {
        programYear: score.programYear,
        asOf: score.asOf,
        areas: score.areas.map(({ qualifiedToday: _q, ...area }) => area),
      },
    };
  });
}

export function getPcsCustomersHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { area } = queryOf(z.object({ area: pcsSolutionArea }).strict(), call);
    const items = await pcsCustomers(pcsPorts(ports()), call.partnerId, area);
    return { status: 200, jsonBody: { area, items } };
  });
}

const historyQuery = z
  .object({ area: pcsSolutionArea.optional(), from: isoDate.optional(), to: isoDate.optional() })
  .strict();

/** From 90 days before `to` (default today) unless `from` is given. */
export function getPcsHistoryHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = queryOf(historyQuery, call);
    const to = query.to ?? ports().clock().toISOString().slice(0, 10);
    const from = query.from ?? addMonths(to, -3);
    const items = await pcsHistory(pcsPorts(ports()), call.partnerId, {
      from,
      to,
      ...(query.area ? { area: query.area } : {}),
    });
    if (prefersCsv(call.request.headers.get("accept")))
      return csvResponse(
        toCsv(
          [
            { header: "day", value: (s) => s.day },
            { header: "area", value: (s) => s.area },
            { header: "total", value: (s) => s.total },
            { header: "qualified", value: (s) => s.qualifiedToday },
            ...[
              "net-customer-adds",
              "intermediate-certifications",
              "advanced-certifications",
              "usage-growth",
              "deployments",
            ].map((metric) => ({
              header: metric,
              value: (s: (typeof items)[number]) => s.metrics.find((m) => m.metric === metric)?.points ?? "",
            })),
          ],
          items,
        ),
        "pcs-history.csv",
      );
    return {
      status: 200,
      headers: { vary: "Accept" },
      jsonBody: {
        from,
        to,
        items: items.map(({ qualifiedToday, ...s }) => ({ ...s, qualified: qualifiedToday })),
      },
    };
  });
}

export function getSkillingHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => ({
    status: 200,
    jsonBody: await ports().store.pcs.skilling(call.partnerId),
  }));
}

/** Replaces the certification counts: `{"modern-work": {"intermediate": 3, "advanced": 1}, ...}`. */
export function putSkillingHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const counts = parseBody(skilling, call.body);
    return { status: 200, jsonBody: await putSkilling(pcsPorts(ports()), call.partnerId, counts) };
  });
}

export function getAzureRevenueHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const rows = await ports().store.pcs.revenue(call.partnerId);
    return { status: 200, jsonBody: { rows } };
  });
}

/** Upserts rows by customer, month and service; nothing is stored unless every row is valid. */
export function putAzureRevenueHandler(ports: () => Ports) {
  return partnerEndpoint(
    ports,
    async (call) => {
      const rows =
        call.bodyFormat === "csv"
          ? parseRevenueCsv(call.body)
          : parseRevenueJson(parseBody(z.unknown(), call.body));
      return { status: 200, jsonBody: await putAzureRevenue(pcsPorts(ports()), call.partnerId, rows) };
    },
    { acceptsCsv: true },
  );
}

const routes: readonly [name: string, route: string, method: "GET" | "PUT", handler: HttpHandler][] = [
  ["getPcs", "api/v1/pcs", "GET", getPcsHandler(getPorts)],
  ["getPcsCustomers", "api/v1/pcs/customers", "GET", getPcsCustomersHandler(getPorts)],
  ["getPcsHistory", "api/v1/pcs/history", "GET", getPcsHistoryHandler(getPorts)],
  ["getSkilling", "api/v1/skilling", "GET", getSkillingHandler(getPorts)],
  ["putSkilling", "api/v1/skilling", "PUT", putSkillingHandler(getPorts)],
  ["getAzureRevenue", "api/v1/azure-revenue", "GET", getAzureRevenueHandler(getPorts)],
  ["putAzureRevenue", "api/v1/azure-revenue", "PUT", putAzureRevenueHandler(getPorts)],
];

for (const [name, route, method, handler] of routes)
  app.http(name, { route, methods: [method], authLevel: "anonymous", handler });
