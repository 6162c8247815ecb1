import { HttpRequest, InvocationContext } from "@azure/functions";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { createHealthHandler } from "../../../functions/http/health";
import type { Association } from "../../../src/domain/association";
import type { AuditEvent } from "../../../src/domain/auditEvent";
import {
  ConcurrencyError,
  ConflictError,
  NotFoundError,
  TransientDependencyError,
  ValidationError,
} from "../../../src/domain/errors";
import type { CreateAssociationInput } from "../../../src/domain/schemas/createAssociation";
import type { AssociationStatus } from "../../../src/domain/status";
import { machineOf, transitionsOf, type Machine } from "../../../src/domain/statusMachine";
import { associationView } from "../../../src/http/associationView";
import { problemFor, unprocessable, unsupportedMediaType } from "../../../src/http/problem";
import {
  associationPage,
  associationViewResponse,
  healthResponse,
  problemResponse,
} from "../../../src/http/responseSchemas";
import type { Store } from "../../../src/store/store";
import { draftAssociation } from "../../support/builders";

const durations = {
  lifecycle: {
    poeDeadlineMs: 86_400_000,
    refusalWindowMs: 86_400_000,
    partnerActionWindowMs: 86_400_000,
    disputeWindowMs: 86_400_000,
  },
  dpor: { remindersMs: [7 * 86_400_000], requestWindowMs: 30 * 86_400_000 },
};

const tenant = "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e";
const subscription = "5e1c2d3a-4b5c-4d6e-8f90-a1b2c3d4e5f6";
const contact = { name: "Megan Bowen", title: "IT Director", email: "megan@contoso.com" };
const partnerContact = { name: "Alex Wilber", email: "alex@fabrikam-partner.com" };

/** One request of every type but CPOR (the builders' default), as the create schema accepts it. */
const otherRequests: readonly [Association["kind"], CreateAssociationInput][] = [
  [
    "dpor",
    {
      type: "dpor",
      partnerLocationId: "4871234",
      customerTenantId: tenant,
      customerDomain: "contoso.onmicrosoft.com",
      subscriptionId: subscription,
      customerContact: contact,
      partnerContact,
    },
  ],
  [
    "pal",
    {
      type: "pal",
      partnerLocationId: "4871234",
      customerTenantId: tenant,
      credential: { kind: "service-principal", objectId: subscription },
    },
  ],
  [
    "csp-indirect-reseller",
    {
      type: "csp",
      model: "indirect-reseller",
      partnerLocationId: "4871234",
      customerTenantId: tenant,
      customerDomain: "contoso.onmicrosoft.com",
      indirectProviderLocationId: "5550001",
      claimName: "Contoso CSP",
    },
  ],
  [
    "tpor",
    {
      type: "tpor",
      role: "enterprise-direct-advisor",
      partnerLocationId: "4871234",
      customerTenantId: tenant,
      enrollmentNumber: "12345678",
    },
  ],
];

function event(association: Association, overrides: Partial<AuditEvent>): AuditEvent {
  return {
    associationId: association.id,
    partnerId: association.partnerId,
    eventId: `e-${overrides.kind ?? "created"}`,
    at: "2026-11-01T10:00:00.000Z",
    kind: "created",
    actor: "partner",
    reason: "claim created",
    ...overrides,
  };
}

/** Every status a machine's moves name. */
function statusesOf(machine: Machine): AssociationStatus[] {
  return [...new Set(transitionsOf(machine).flatMap((t) => [t.from, t.to]))];
}
const claimStatuses = statusesOf("claim");

describe("associationViewResponse", () => {
  it.each(claimStatuses)("parses the view of a CPOR association in %s", (status) => {
    const view = associationView(draftAssociation("fabrikam", { status }), durations);
    expect(associationViewResponse.parse(view)).toEqual(view);
  });

  it.each(otherRequests)("parses the view of a %s association", (kind, request) => {
    for (const status of statusesOf(machineOf(kind))) {
      const view = associationView(
        draftAssociation("fabrikam", { kind, request, units: [], status }),
        durations,
      );
      expect(associationViewResponse.parse(view)).toEqual(view);
    }
  });

  it("parses a reviewed, disputed association with its timeline", () => {
    const association = draftAssociation("fabrikam", {
      status: "Rejected",
      disputedAt: "2026-11-20T10:00:00.000Z",
      review: {
        outcome: "rejected",
        reasons: ["insufficient-poe"],
        comment: "No signature.",
        at: "2026-11-19T10:00:00.000Z",
      },
    });
    const timeline = [
      event(association, { kind: "created", to: "Draft", data: { units: association.units } }),
      event(association, { kind: "poe-submitted", data: { bytes: 1024 } }),
      event(association, {
        kind: "status-changed",
        actor: "system",
        reason: "Partner Center review: rejected",
        from: "UnderReview",
        to: "Rejected",
        data: { outcome: "rejected", reasons: ["insufficient-poe"] },
      }),
    ];
    const view = associationView(association, durations, timeline);
    expect(associationViewResponse.parse(view)).toEqual(view);
    expect(view.timeline).toHaveLength(3);
  });

  it("refuses a field the schema does not name, so a new view field needs a schema field", () => {
    const view = associationView(draftAssociation("fabrikam"), durations);
    expect(associationViewResponse.safeParse({ ...view, partnerId: "fabrikam" }).success).toBe(false);
  });

  it("types the view as an input of the schema", () => {
    expectTypeOf(associationView(draftAssociation("fabrikam"), durations)).toExtend<
      z.input<typeof associationViewResponse>
    >();
  });

  it("parses a page of views", () => {
    const items = [associationView(draftAssociation("fabrikam"), durations)];
    expect(associationPage.parse({ items, continuationToken: "abc" }).items).toHaveLength(1);
  });
});

describe("problemResponse", () => {
  it.each([
    ["a validation error", problemFor(new ValidationError([{ path: "workloads.2", message: "is unknown" }]))],
    ["a unit conflict", problemFor(new ConflictError("workload:teams is held", { unit: "workload:teams" }))],
    [
      "a conflict with one's own association",
      problemFor(new ConflictError("held", { unit: "workload:teams", existingAssociationId: "a1" })),
    ],
    ["a lost race", problemFor(new ConcurrencyError("changed"))],
    ["a dependency down", problemFor(new TransientDependencyError("storage down"))],
    ["a missing association", problemFor(new NotFoundError("association x was not found"))],
    ["an unknown error", problemFor(new Error("boom"))],
    ["a body that is not JSON", unsupportedMediaType("text/plain")],
    [
      "a rejected proof of execution",
      unprocessable("would be rejected", [{ path: "signedDate", message: "x" }]),
    ],
  ])("parses %s", (_case, response) => {
    expect(response.headers).toMatchObject({ "content-type": "application/problem+json" });
    expect(() => problemResponse.parse(response.jsonBody)).not.toThrow();
  });
});

describe("healthResponse", () => {
  const request = new HttpRequest({ method: "GET", url: "http://localhost/api/health" });
  const context = new InvocationContext({ functionName: "health" });

  it("parses the answer when storage is up", async () => {
    const pages = { next: () => Promise.resolve({ done: true, value: undefined }) };
    const store = { tables: { service: () => ({ listTables: () => ({ byPage: () => pages }) }) } };
    const response = await createHealthHandler(() => store as unknown as Store)(request, context);
    expect(response.status).toBe(200);
    expect(() => healthResponse.parse(response.jsonBody)).not.toThrow();
  });

  it("parses the answer when storage is down", async () => {
    const response = await createHealthHandler(() => {
      throw new Error("no storage");
    })(request, context);
    expect(response.status).toBe(503);
    expect(() => healthResponse.parse(response.jsonBody)).not.toThrow();
  });
});
