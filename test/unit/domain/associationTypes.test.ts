import { describe, expect, it } from "vitest";
import {
  associationKinds,
  associationTypes,
  earnsIncentives,
  type AssociationKind,
  type AssociationType,
} from "../../../src/domain/associationTypes";

type Rule = Pick<AssociationType, "createdBy" | "unit" | "partnersPerUnit" | "poeRequired" | "earns">;

/** domain.md's table, restated: a change to the catalog must be a deliberate change here too. */
const expected: Record<AssociationKind, Rule & { areas: string[] }> = {
  "cpor-osu-modern-work-security": {
    createdBy: "partner",
    unit: "tenant-workload",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "usage-incentives",
    areas: ["modern-work", "security"],
  },
  "cpor-osu-business-applications": {
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "usage-incentives",
    areas: ["business-applications"],
  },
  "cpor-osa": {
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "incentives",
    areas: ["business-applications"],
  },
  "cpor-revrec": {
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    areas: ["business-applications"],
  },
  "usage-recognition": {
    createdBy: "partner",
    unit: "tenant-workload",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    areas: ["modern-work", "security"],
  },
  dpor: {
    createdBy: "customer",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    areas: ["business-applications", "data-ai", "digital-app-innovation", "infrastructure", "modern-work"],
  },
  pal: {
    createdBy: "partner",
    unit: "credential-tenant",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    areas: ["business-applications", "data-ai", "digital-app-innovation", "infrastructure", "security"],
  },
  "csp-direct-bill": {
    createdBy: "partner",
    unit: "customer",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    areas: ["business-applications", "data-ai", "digital-app-innovation", "infrastructure", "modern-work"],
  },
  "csp-indirect-reseller": {
    createdBy: "partner",
    unit: "customer",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    areas: ["business-applications", "data-ai", "digital-app-innovation", "infrastructure", "modern-work"],
  },
  tpor: {
    createdBy: "transaction",
    unit: "enrollment",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "incentives",
    areas: [],
  },
};

describe("association-type catalog", () => {
  it("covers every kind, each under its own key", () => {
    expect(Object.keys(associationTypes).sort()).toEqual([...associationKinds].sort());
    for (const kind of associationKinds) expect(associationTypes[kind].kind).toBe(kind);
  });

  it.each(associationKinds.map((kind) => [kind, expected[kind]] as const))(
    "%s follows domain.md",
    (kind, rule) => {
      const { createdBy, unit, partnersPerUnit, poeRequired, earns, pcsSolutionAreas } =
        associationTypes[kind];
      expect({ createdBy, unit, partnersPerUnit, poeRequired, earns }).toEqual({
        createdBy: rule.createdBy,
        unit: rule.unit,
        partnersPerUnit: rule.partnersPerUnit,
        poeRequired: rule.poeRequired,
        earns: rule.earns,
      });
      expect([...pcsSolutionAreas].sort()).toEqual([...rule.areas].sort());
    },
  );

  it.each([
    ["cpor-osu-business-applications", ["ea", "casa-ees"]],
    ["cpor-osa", ["ea", "casa-ees", "web-direct"]],
    ["cpor-revrec", ["ea", "casa-ees", "web-direct"]],
  ] as const)("%s accepts the licensing programs %j", (kind, programs) => {
    expect(associationTypes[kind].licensingPrograms).toEqual(programs);
  });

  it("only the customer-created DPOR and the transaction-set TPOR are out of the partner's hands", () => {
    const notPartnerManaged = associationKinds.filter((k) => !associationTypes[k].partnerManaged);
    expect(notPartnerManaged.sort()).toEqual(["dpor", "tpor"]);
  });

  it.each([
    ["cpor-osu-modern-work-security", true],
    ["cpor-osa", true],
    ["tpor", true],
    ["cpor-revrec", false],
    ["usage-recognition", false],
    ["dpor", false],
    ["pal", false],
  ] as const)("%s earns incentives: %s", (kind, earns) => {
    expect(earnsIncentives(kind)).toBe(earns);
  });
});
