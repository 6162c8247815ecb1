import { describe, expect, it } from "vitest";
import { formFields, requestBody, requestTypes } from "../../../dashboard/src/newAssociation";
import { createAssociationInput } from "../../../src/domain/schemas/createAssociation";

const tenant = "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e";
const subscription = "5e1c2d3a-4b5c-4d6e-8f90-a1b2c3d4e5f6";

describe("the new-association form", () => {
  it("builds a CPOR OSU claim the API accepts, nested contacts and workloads included, empty fields left out", () => {
    const body = requestBody("cpor", {
      engagement: "osu",
      claimName: "  ",
      partnerLocationId: "4000001",
      customerTenantId: tenant,
      customerDomain: "contoso.onmicrosoft.com",
      workloads: ["teams", "exchange"],
      subscriptionId: "",
      servicesInScope: "Teams rollout",
      "customerContact.name": "Megan Bowen",
      "customerContact.title": "IT Director",
      "customerContact.email": "megan@contoso.com",
      "partnerContact.name": "Alex Wilber",
      "partnerContact.email": "alex@fabrikam.com",
      role: "ignored: not a CPOR field",
    });
    expect(body).toEqual({
      type: "cpor",
      engagement: "osu",
      partnerLocationId: "4000001",
      customerTenantId: tenant,
      customerDomain: "contoso.onmicrosoft.com",
      workloads: ["teams", "exchange"],
      servicesInScope: "Teams rollout",
      customerContact: { name: "Megan Bowen", title: "IT Director", email: "megan@contoso.com" },
      partnerContact: { name: "Alex Wilber", email: "alex@fabrikam.com" },
    });
    expect(createAssociationInput.safeParse(body).success).toBe(true);
  });

  it("splits a TPOR's subscription IDs by line or comma", () => {
    const body = requestBody("tpor", {
      role: "licensing-solution-provider",
      partnerLocationId: "4000001",
      customerTenantId: tenant,
      enrollmentNumber: "12345678",
      subscriptionIds: `${subscription},\n ${tenant}\n`,
    });
    expect(body["subscriptionIds"]).toEqual([subscription, tenant]);
    expect(createAssociationInput.safeParse(body).success).toBe(true);
  });

  it("names only fields the API's schema has, for every type it offers them to", () => {
    for (const type of requestTypes) {
      const option = createAssociationInput.options.find((o) => o.shape.type.value === type);
      const known = Object.keys(option?.shape ?? {});
      for (const field of formFields.filter((f) => f.types.includes(type)))
        expect(known, `${type}: ${field.name}`).toContain(field.name.split(".")[0]);
    }
  });
});
