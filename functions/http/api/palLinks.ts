import { app } from "@azure/functions";
import { z } from "zod";
import { linkPal, removePalLink, startPalBulkLink, verifyPalLink } from "../../../src/app/palLinks";
import type { Association } from "../../../src/domain/association";
import { NotFoundError } from "../../../src/domain/errors";
import { jobView } from "../../../src/domain/job";
import {
  bulkPalLinkInput,
  createPalLinkInput,
  palLinkDriftFilter,
} from "../../../src/domain/schemas/palLink";
import { associationStatus } from "../../../src/domain/status";
import { associationView } from "../../../src/http/associationView";
import { parseBody, partnerEndpoint, type PartnerCall } from "../../../src/http/partnerEndpoint";
import { getPorts, palPorts, type Ports } from "../../composition";
import { durableWorkflows, withDurableClient } from "../../workflows";
import { operationIdOf } from "./associations";

/**
 * Partner Admin Links through the API (src/app/palLinks.ts): link one tenant, link many (a job),
 * the inventory with drift, one link with its timeline, verify now, remove. Each is route + parse +
 * one use case + answer; another partner's link, or an association that is not a PAL, is a 404.
 */

const base = "api/v1/pal-links";

export function createPalLinkHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const input = parseBody(createPalLinkInput, call.body);
    const link = await linkPal(palPorts(), durableWorkflows(call.context), {
      partnerId: call.partnerId,
      id: operationIdOf(call),
      ...input,
    });
    return {
      status: 201,
      headers: { location: `${ports().settings.publicBaseUrl}/${base}/${link.id}` },
      jsonBody: associationView(link, ports().settings),
    };
  });
}

export function bulkPalLinkHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const input = parseBody(bulkPalLinkInput, call.body);
    const job = await startPalBulkLink(palPorts(), durableWorkflows(call.context), {
      partnerId: call.partnerId,
      jobId: operationIdOf(call),
      ...input,
    });
    const results = await ports().store.jobs.results(job.id);
    return {
      status: 202,
      headers: { location: `${ports().settings.publicBaseUrl}/api/v1/jobs/${job.id}` },
      jsonBody: jobView(job, results),
    };
  });
}

const listQuery = z
  .object({
    status: associationStatus.optional(),
    customerTenantId: z.string().max(64).optional(),
    drift: palLinkDriftFilter.optional(),
    continuationToken: z.string().max(4096).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

/**
 * `GET /pal-links`: every PAL of the partner (links made here and PALs recorded by hand), with when
 * each was linked and last verified, filtered. `drift` is applied to each page as read, so a page
 * may hold fewer items than `pageSize` while `continuationToken` says more follow.
 */
export function listPalLinksHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(listQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const { store, settings } = ports();
    const page = await store.associations.list(
      call.partnerId,
      {
        kind: "pal",
        ...(query.status ? { status: query.status } : {}),
        ...(query.customerTenantId ? { customerTenantId: query.customerTenantId } : {}),
      },
      {
        ...(query.pageSize ? { pageSize: query.pageSize } : {}),
        ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
      },
    );
    return {
      status: 200,
      jsonBody: {
        items: page.items
          .filter((a) => matchesDrift(a, query.drift))
          .map((a) => associationView(a, settings)),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      },
    };
  });
}

function matchesDrift(a: Association, drift: z.infer<typeof palLinkDriftFilter> | undefined): boolean {
  const found = a.pal?.drift ?? null;
  if (drift === undefined) return true;
  if (drift === "any") return found !== null;
  if (drift === "none") return found === null;
  return found === drift;
}

/** The PAL named by the route, or a 404 exactly like a missing one. */
async function palOf(ports: () => Ports, call: PartnerCall): Promise<Association> {
  const id = call.request.params["id"] ?? "";
  const { value } = await ports().store.associations.get(call.partnerId, id);
  if (value.request.type !== "pal") throw new NotFoundError(`association ${id} was not found`);
  return value;
}

export function getPalLinkHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const link = await palOf(ports, call);
    const timeline = await ports().store.auditEvents.timeline(call.partnerId, link.id);
    return { status: 200, jsonBody: associationView(link, ports().settings, timeline) };
  });
}

export function verifyPalLinkHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    const link = await palOf(ports, call);
    const verified = await verifyPalLink(palPorts(), durableWorkflows(call.context), {
      partnerId: call.partnerId,
      associationId: link.id,
    });
    return { status: 200, jsonBody: associationView(verified, ports().settings) };
  });
}

export function removePalLinkHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const link = await palOf(ports, call);
    const removed = await removePalLink(palPorts(), durableWorkflows(call.context), {
      partnerId: call.partnerId,
      associationId: link.id,
    });
    return { status: 200, jsonBody: associationView(removed, ports().settings) };
  });
}

const routes = [
  { name: "createPalLink", route: base, method: "POST", handler: createPalLinkHandler },
  { name: "listPalLinks", route: base, method: "GET", handler: listPalLinksHandler },
  { name: "bulkPalLinks", route: `${base}/bulk`, method: "POST", handler: bulkPalLinkHandler },
  { name: "getPalLink", route: `${base}/{id}`, method: "GET", handler: getPalLinkHandler },
  { name: "removePalLink", route: `${base}/{id}`, method: "DELETE", handler: removePalLinkHandler },
  { name: "verifyPalLink", route: `${base}/{id}/verify`, method: "POST", handler: verifyPalLinkHandler },
] as const;

for (const r of routes)
  app.http(r.name, {
    route: r.route,
    methods: [r.method],
    authLevel: "anonymous",
    ...withDurableClient,
    handler: r.handler(getPorts),
  });
