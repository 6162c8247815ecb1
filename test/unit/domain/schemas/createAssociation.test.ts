import { describe, expect, it } from "vitest";
import {
  associationKindOf,
  createAssociationInput,
  type CreateAssociationInput,
} from "../../../../src/domain/schemas/createAssociation";
import { disputeInput, withdrawInput } from "../../../../src/domain/schemas/reasons";
import { claimUnitsOf } from "../../../../src/domain/units";
import { cporRequest } from "../../../support/builders";

const tenant = "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e";
const subscription = "5a1c9e7b-2d3f-4a6b-8c9d-0e1f2a3b4c5d";

/** The paths of every issue zod reports, dotted. */
function issuePaths(input: unknown): string[] {
  const result = createAssociationInput.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
}

const valid: Record<string, CreateAssociationInput> = {
  "cpor osu by workload": cporRequest(),
  "cpor osu by subscription": cporRequest({
    workloads: undefined,
    subscriptionId: subscription,
    licensingProgram: "ea",
  }),
  "cpor osa": cporRequest({
    engagement: "osa",
    workloads: undefined,
    subscriptionId: subscription,
    licensingProgram: "web-direct",
  }),
  "cpor revrec": cporRequest({
    engagement: "revrec",
    workloads: undefined,
    subscriptionId: subscription,
    licensingProgram: "casa-ees",
  }),
  "usage recognition": cporRequest({ engagement: "usage-recognition" }),
  dpor: {
    type: "dpor",
    partnerLocationId: "4871234",
    customerTenantId: tenant,
    customerDomain: "contoso.onmicrosoft.com",
    subscriptionId: subscription,
    customerContact: { name: "Megan Bowen", title: "CIO", email: "megan@contoso.com" },
    partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
  },
  pal: {
    type: "pal",
    partnerLocationId: "4871234",
    customerTenantId: tenant,
    credential: { kind: "service-principal", objectId: subscription },
  },
  "csp indirect": {
    type: "csp",
    model: "indirect-reseller",
    partnerLocationId: "4871234",
    customerTenantId: tenant,
    customerDomain: "contoso.onmicrosoft.com",
    indirectProviderLocationId: "1234567",
  },
  tpor: {
    type: "tpor",
    role: "licensing-solution-provider",
    partnerLocationId: "4871234",
    customerTenantId: tenant,
    enrollmentNumber: "87654321",
  },
};

describe("createAssociationInput", () => {
  it.each(Object.entries(valid))("accepts a valid %s request", (_name, input) => {
    expect(issuePaths(input)).toEqual([]);
  });

  it.each([
    ["cpor osu by workload", "cpor-osu-modern-work-security", ["workload:teams", "workload:exchange"]],
    ["cpor osu by subscription", "cpor-osu-business-applications", [`osu-subscription:${subscription}`]],
    ["cpor osa", "cpor-osa", [`osa-subscription:${subscription}`]],
    ["cpor revrec", "cpor-revrec", [`revrec-subscription:${subscription}`]],
    ["usage recognition", "usage-recognition", ["workload:teams", "workload:exchange"]],
    // Kinds where partners coexist hold a unit of the partner's own: one of each per partner.
    ["dpor", "dpor", [`dpor-request:${subscription}:p1`]],
    ["pal", "pal", [`pal-credential:${subscription}:p1`]],
    ["csp indirect", "csp-indirect-reseller", ["csp-customer:p1"]],
    ["tpor", "tpor", ["tpor-enrollment:87654321"]],
  ])("files a %s request under %s and claims %j", (name, kind, units) => {
    const input = createAssociationInput.parse(valid[name]);
    expect(associationKindOf(input)).toBe(kind);
    expect(claimUnitsOf("p1", input)).toEqual(units);
  });

  it.each([
    ["a tenant ID that is no GUID", { customerTenantId: "contoso" }, ["customerTenantId"]],
    ["a domain that is not the initial domain", { customerDomain: "contoso.com" }, ["customerDomain"]],
    ["a partner location ID with letters", { partnerLocationId: "MPN-48" }, ["partnerLocationId"]],
    ["an unknown workload", { workloads: ["teams", "skype"] }, ["workloads.1"]],
    ["a repeated workload", { workloads: ["teams", "teams"] }, ["workloads"]],
    ["no workloads at all", { workloads: [] }, ["workloads"]],
    [
      "a bad customer email",
      { customerContact: { name: "M", title: "CIO", email: "megan" } },
      ["customerContact.email"],
    ],
    ["an empty services description", { servicesInScope: "   " }, ["servicesInScope"]],
    ["an over-long claim name", { claimName: "x".repeat(121) }, ["claimName"]],
    ["workloads and a subscription together", { subscriptionId: subscription }, ["subscriptionId"]],
    ["an unknown field", { partnerId: "someone-else" }, [""]],
  ])("rejects %s, naming the field", (_case, override, paths) => {
    expect(issuePaths({ ...cporRequest(), ...override })).toEqual(paths);
  });

  it("names every offending field at once", () => {
    const paths = issuePaths({
      ...cporRequest(),
      engagement: "osa",
      customerTenantId: "x",
      customerDomain: "contoso.com",
      partnerContact: { name: "", email: "nope" },
    });
    expect(paths.sort()).toEqual([
      "customerDomain",
      "customerTenantId",
      "licensingProgram",
      "partnerContact.email",
      "partnerContact.name",
      "subscriptionId",
      "workloads",
    ]);
  });

  it.each([
    [
      "osa without a subscription",
      { engagement: "osa" },
      ["workloads", "subscriptionId", "licensingProgram"],
    ],
    [
      "business applications OSU on Web Direct",
      { workloads: undefined, subscriptionId: subscription, licensingProgram: "web-direct" },
      ["licensingProgram"],
    ],
    ["a licensing program on a workload claim", { licensingProgram: "ea" }, ["licensingProgram"]],
    [
      "usage recognition without workloads",
      { engagement: "usage-recognition", workloads: undefined },
      ["workloads"],
    ],
  ])("applies the catalog's rules per engagement: %s", (_case, override, paths) => {
    expect(issuePaths({ ...cporRequest(), ...override })).toEqual(paths);
  });

  it("requires the indirect provider exactly for the Indirect Reseller model", () => {
    expect(issuePaths({ ...valid["csp indirect"], indirectProviderLocationId: undefined })).toEqual([
      "indirectProviderLocationId",
    ]);
    expect(issuePaths({ ...valid["csp indirect"], model: "direct-bill" })).toEqual([
      "indirectProviderLocationId",
    ]);
  });

  it("rejects an unknown association type at `type`", () => {
    expect(issuePaths({ ...cporRequest(), type: "xpor" })).toEqual(["type"]);
  });

  it("normalises GUIDs and domains to lower case", () => {
    const input = createAssociationInput.parse(
      cporRequest({ customerTenantId: tenant.toUpperCase(), customerDomain: "Contoso.OnMicrosoft.com" }),
    );
    expect([input.customerTenantId, input.type === "cpor" && input.customerDomain]).toEqual([
      tenant,
      "contoso.onmicrosoft.com",
    ]);
  });
});

describe("withdraw and dispute inputs", () => {
  it.each([
    [withdrawInput, { reason: "customer moved to another partner" }, true],
    [withdrawInput, { reason: "" }, false],
    [withdrawInput, { reason: "x".repeat(1001) }, false],
    [disputeInput, { reason: "signed SOW attached was overlooked" }, true],
    [disputeInput, { reason: "ok", extra: 1 }, false],
  ])("%#: parses as expected", (schema, input, ok) => {
    expect(schema.safeParse(input).success).toBe(ok);
  });
});
