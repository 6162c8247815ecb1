import { z } from "zod";
import { machineOf } from "./statusMachine";

/**
 * The association-type catalog from domain.md, as data. Every rule that depends on the kind of
 * association (who may create it, what it attaches to, whether a second partner may hold the same
 * unit, whether proof of execution is needed, whether it pays) reads it from here.
 */

export const associationKinds = [
  "cpor-osu-modern-work-security",
  "cpor-osu-business-applications",
  "cpor-osa",
  "cpor-revrec",
  "usage-recognition",
  "dpor",
  "pal",
  "csp-direct-bill",
  "csp-indirect-reseller",
  "tpor",
] as const;
export const associationKind = z.enum(associationKinds);
export type AssociationKind = z.infer<typeof associationKind>;

export const pcsSolutionAreas = [
  "modern-work",
  "security",
  "business-applications",
  "data-ai",
  "digital-app-innovation",
  "infrastructure",
] as const;
export const pcsSolutionArea = z.enum(pcsSolutionAreas);
export type PcsSolutionArea = z.infer<typeof pcsSolutionArea>;

/** Who brings the association into being. */
export type Creator = "partner" | "customer" | "transaction";

/** What the association attaches to; the claims index is keyed by it. */
export type UnitKind = "tenant-workload" | "subscription" | "credential-tenant" | "customer" | "enrollment";

/** What the association earns: usage incentives, or recognition only (PCS, revenue attribution). */
export type Earns = "usage-incentives" | "incentives" | "recognition";

export const licensingPrograms = ["ea", "casa-ees", "web-direct"] as const;
export const licensingProgram = z.enum(licensingPrograms);
export type LicensingProgram = z.infer<typeof licensingProgram>;

export interface AssociationType {
  kind: AssociationKind;
  name: string;
  createdBy: Creator;
  unit: UnitKind;
  /** "one": a second partner's claim on a held unit is a conflict; "many": partners coexist. */
  partnersPerUnit: "one" | "many";
  poeRequired: boolean;
  earns: Earns;
  pcsSolutionAreas: readonly PcsSolutionArea[];
  /** For subscription-level kinds: the licensing programs Microsoft accepts. */
  licensingPrograms?: readonly LicensingProgram[];
  /** True when the partner, not the customer or a transaction, may change or end it. */
  partnerManaged: boolean;
}

export const associationTypes: Readonly<Record<AssociationKind, AssociationType>> = {
  "cpor-osu-modern-work-security": {
    kind: "cpor-osu-modern-work-security",
    name: "CPOR – Online Services Usage (Modern Work & Security)",
    createdBy: "partner",
    unit: "tenant-workload",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "usage-incentives",
    pcsSolutionAreas: ["modern-work", "security"],
    partnerManaged: true,
  },
  "cpor-osu-business-applications": {
    kind: "cpor-osu-business-applications",
    name: "CPOR – Online Services Usage (Business Applications)",
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "usage-incentives",
    pcsSolutionAreas: ["business-applications"],
    licensingPrograms: ["ea", "casa-ees"],
    partnerManaged: true,
  },
  "cpor-osa": {
    kind: "cpor-osa",
    name: "CPOR – Online Services Advisor (pre-sales)",
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: true,
    earns: "incentives",
    pcsSolutionAreas: ["business-applications"],
    licensingPrograms: ["ea", "casa-ees", "web-direct"],
    partnerManaged: true,
  },
  "cpor-revrec": {
    kind: "cpor-revrec",
    name: "CPOR – Revenue recognition",
    createdBy: "partner",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: ["business-applications"],
    licensingPrograms: ["ea", "casa-ees", "web-direct"],
    partnerManaged: true,
  },
  "usage-recognition": {
    kind: "usage-recognition",
    name: "Usage recognition (non-incentivized CPOR)",
    createdBy: "partner",
    unit: "tenant-workload",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: ["modern-work", "security"],
    partnerManaged: true,
  },
  dpor: {
    kind: "dpor",
    name: "DPOR – Digital Partner of Record",
    createdBy: "customer",
    unit: "subscription",
    partnersPerUnit: "one",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: [
      "data-ai",
      "digital-app-innovation",
      "infrastructure",
      "modern-work",
      "business-applications",
    ],
    partnerManaged: false,
  },
  pal: {
    kind: "pal",
    name: "PAL – Partner Admin Link",
    createdBy: "partner",
    unit: "credential-tenant",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: [
      "business-applications",
      "data-ai",
      "digital-app-innovation",
      "infrastructure",
      "security",
    ],
    partnerManaged: true,
  },
  "csp-direct-bill": {
    kind: "csp-direct-bill",
    name: "CSP – Direct Bill",
    createdBy: "partner",
    unit: "customer",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: [
      "business-applications",
      "data-ai",
      "digital-app-innovation",
      "infrastructure",
      "modern-work",
    ],
    partnerManaged: true,
  },
  "csp-indirect-reseller": {
    kind: "csp-indirect-reseller",
    name: "CSP – Indirect Reseller",
    createdBy: "partner",
    unit: "customer",
    partnersPerUnit: "many",
    poeRequired: false,
    earns: "recognition",
    pcsSolutionAreas: [
      "business-applications",
      "data-ai",
      "digital-app-innovation",
      "infrastructure",
      "modern-work",
    ],
    partnerManaged: true,
  },
  tpor: {
    kind: "tpor",
    name: "TPOR – Transactional Partner of Record",
    createdBy: "transaction",
    unit: "enrollment",
    partnersPerUnit: "one",
    poeRequired: false,
    // Pays only where the partner is not also the DPOR: see tporEligibility.ts.
    earns: "incentives",
    pcsSolutionAreas: [],
    partnerManaged: false,
  },
};

/** True when the association type pays money (not only recognition). */
export function earnsIncentives(kind: AssociationKind): boolean {
  return associationTypes[kind].earns !== "recognition";
}

/** The CPOR kinds: claims filed in Partner Center, each run by the claim lifecycle workflow. */
export function runsClaimLifecycle(kind: AssociationKind): boolean {
  return machineOf(kind) === "claim";
}
