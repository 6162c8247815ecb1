import { app } from "@azure/functions";
import { z } from "zod";
import { workloadId } from "../../../src/domain/workloads";
import { createAssociation } from "../../../src/app/createAssociation";
import { derivedId } from "../../../src/app/operationIds";
import { associationKind } from "../../../src/domain/associationTypes";
import { createAssociationInput } from "../../../src/domain/schemas/createAssociation";
import { associationStatus } from "../../../src/domain/status";
import { associationView } from "../../../src/http/associationView";
import { parseBody, partnerEndpoint, type PartnerCall } from "../../../src/http/partnerEndpoint";
import { appPorts, getPorts, type Ports } from "../../composition";
import { durableWorkflows, withDurableClient } from "../../workflows";

/**
 * `POST /api/v1/associations`: validates, then `createAssociation` (claim the units all or nothing,
 * store the association as Draft, start its lifecycle). The association ID is derived from the
 * partner and the Idempotency-Key, so a retried request that failed half-way finishes the same
 * association instead of making a second one.
 */
export function createAssociationHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const request = parseBody(createAssociationInput, call.body);
    const association = await createAssociation(appPorts(), durableWorkflows(call.context), {
      partnerId: call.partnerId,
      id: operationIdOf(call),
      request,
    });
    return {
      status: 201,
      headers: { location: `${ports().settings.publicBaseUrl}/api/v1/associations/${association.id}` },
      jsonBody: associationView(association, ports().settings),
    };
  });
}

const listQuery = z
  .object({
    status: associationStatus.optional(),
    type: associationKind.optional(),
    customerTenantId: z.string().optional(),
    workload: workloadId.optional(),
    continuationToken: z.string().max(4096).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

/** `GET /api/v1/associations`: the partner's associations, filtered, one page at a time. */
export function listAssociationsHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(listQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const { store, settings } = ports();
    const page = await store.associations.list(
      call.partnerId,
      {
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { kind: query.type } : {}),
        ...(query.customerTenantId ? { customerTenantId: query.customerTenantId } : {}),
        ...(query.workload ? { workload: query.workload } : {}),
      },
      {
        ...(query.pageSize ? { pageSize: query.pageSize } : {}),
        ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
      },
    );
    return {
      status: 200,
      jsonBody: {
        items: page.items.map((a) => associationView(a, settings)),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      },
    };
  });
}

/**
 * `GET /api/v1/associations/{id}`: one association with its timeline; another partner's is a 404.
 * The two are read together (a point read each): in either order a status change may be read before
 * its timeline entry is written, and the view explains such a status from the association itself.
 */
export function getAssociationHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings } = ports();
    const id = call.request.params["id"] ?? "";
    const [found, timeline] = await Promise.all([
      store.associations.get(call.partnerId, id),
      store.auditEvents.timeline(call.partnerId, id),
    ]);
    return { status: 200, jsonBody: associationView(found.value, settings, timeline) };
  });
}

/**
 * The ID of what this POST does, derived from the partner and its Idempotency-Key (the pipeline
 * requires one on every POST): a retry derives the same ID and finds its first attempt's work.
 */
export function operationIdOf(call: PartnerCall): string {
  return derivedId(call.partnerId, call.request.headers.get("idempotency-key") ?? "");
}

app.http("createAssociation", {
  route: "api/v1/associations",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: createAssociationHandler(getPorts),
});

app.http("listAssociations", {
  route: "api/v1/associations",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listAssociationsHandler(getPorts),
});

app.http("getAssociation", {
  route: "api/v1/associations/{id}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getAssociationHandler(getPorts),
});
