import { createHash } from "node:crypto";
import { app, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { z } from "zod";
import { associationTypes } from "../../../src/domain/associationTypes";
import type { Association } from "../../../src/domain/association";
import { ValidationError } from "../../../src/domain/errors";
import { lifecycleInput, type LifecycleInput } from "../../../src/domain/lifecycle";
import { associationKindOf, createAssociationInput } from "../../../src/domain/schemas/createAssociation";
import { associationStatus } from "../../../src/domain/status";
import { associationKind } from "../../../src/domain/associationTypes";
import { claimUnitsOf } from "../../../src/domain/units";
import { associationView } from "../../../src/http/associationView";
import { parseBody, partnerEndpoint, type PartnerCall } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";
import { workflowStatus } from "../../raiseLifecycleEvent";
import { associationLifecycleName } from "../../orchestrators/associationLifecycle";

/** Starts the lifecycle orchestration of a new association (instance ID = association ID). */
export type StartLifecycle = (context: InvocationContext, input: LifecycleInput) => Promise<void>;

/**
 * `POST /api/v1/associations`: validates, claims the units all or nothing, stores the association
 * as Draft with its first timeline entry, and starts its lifecycle. The association ID is derived
 * from the partner and the Idempotency-Key, so a retried request that failed half-way finds the
 * units it already holds and finishes the same association instead of making a second one.
 */
export function createAssociationHandler(ports: () => Ports, startLifecycle: StartLifecycle) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings, clock } = ports();
    const request = parseBody(createAssociationInput, call.body);
    const partner = await store.partners.get(call.partnerId);
    if (!partner.partnerLocationIds.includes(request.partnerLocationId))
      throw new ValidationError([
        { path: "partnerLocationId", message: "is not one of your partner location IDs" },
      ]);
    const id = associationIdFor(call);
    const now = clock().toISOString();
    const kind = associationKindOf(request);
    const units = claimUnitsOf(request);
    await store.claims.claim(request.customerTenantId, units, {
      partnerId: call.partnerId,
      associationId: id,
      claimedAt: now,
    });
    const association: Association = {
      id,
      partnerId: call.partnerId,
      kind,
      status: "Draft",
      customerTenantId: request.customerTenantId,
      units,
      request,
      createdAt: now,
      updatedAt: now,
      statusChangedAt: now,
    };
    const existing = await store.associations.find(call.partnerId, id);
    if (!existing) await store.associations.create(association);
    await store.auditEvents.append({
      associationId: id,
      partnerId: call.partnerId,
      eventId: `created-${id}`,
      at: existing?.value.createdAt ?? now,
      kind: "created",
      actor: "partner",
      reason: request.claimName ? `claim "${request.claimName}" created` : "claim created",
      to: "Draft",
      data: { units },
    });
    if (associationTypes[kind].poeRequired)
      await startLifecycle(
        call.context,
        lifecycleInput.parse({
          associationId: id,
          partnerId: call.partnerId,
          durations: settings.lifecycle,
        }),
      );
    const stored = existing?.value ?? association;
    return created(`${settings.publicBaseUrl}/api/v1/associations/${id}`, associationView(stored));
  });
}

const listQuery = z
  .object({
    status: associationStatus.optional(),
    type: associationKind.optional(),
    customerTenantId: z.string().optional(),
    continuationToken: z.string().max(4096).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

/** `GET /api/v1/associations`: the partner's associations, filtered, one page at a time. */
export function listAssociationsHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(listQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const page = await ports().store.associations.list(
      call.partnerId,
      {
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { kind: query.type } : {}),
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
        items: page.items.map((a) => associationView(a)),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      },
    };
  });
}

/** `GET /api/v1/associations/{id}`: one association with its timeline; another partner's is a 404. */
export function getAssociationHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store } = ports();
    const id = call.request.params["id"] ?? "";
    const found = await store.associations.get(call.partnerId, id);
    const timeline = await store.auditEvents.timeline(call.partnerId, id);
    return { status: 200, jsonBody: associationView(found.value, timeline) };
  });
}

function associationIdFor(call: PartnerCall): string {
  const key = call.request.headers.get("idempotency-key") ?? "";
  const hex = createHash("sha256").update(`${call.partnerId}\n${key}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function created(location: string, body: unknown): HttpResponseInit {
  return { status: 201, headers: { location }, jsonBody: body };
}

/** The real starter: the durable client of this invocation; an instance already started is fine. */
const startWithDurableClient: StartLifecycle = async (context, input) => {
  // An instance of any status means this association's workflow was started before (a retried request).
  if ((await workflowStatus(context, input.associationId)) !== undefined) return;
  await df.getClient(context).startNew(associationLifecycleName, { instanceId: input.associationId, input });
};

app.http("createAssociation", {
  route: "v1/associations",
  methods: ["POST"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: createAssociationHandler(getPorts, startWithDurableClient),
});

app.http("listAssociations", {
  route: "v1/associations",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listAssociationsHandler(getPorts),
});

app.http("getAssociation", {
  route: "v1/associations/{id}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getAssociationHandler(getPorts),
});
