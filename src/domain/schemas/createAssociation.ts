import { z } from "zod";
import { associationTypes, licensingProgram, type AssociationKind } from "../associationTypes";
import { workloadId } from "../workloads";
import {
  customerContact,
  enrollmentNumber,
  guid,
  longText,
  onMicrosoftDomain,
  partnerContact,
  partnerLocationId,
  shortText,
} from "./primitives";

/**
 * `POST /api/v1/associations`: one schema per association type, discriminated by `type`.
 * Every object is strict: an unknown field is an error, never silently dropped.
 */

const workloadList = z
  .array(workloadId)
  .min(1, "must list at least one workload")
  .max(18)
  .refine((ws) => new Set(ws).size === ws.length, "must not repeat a workload");

const common = {
  partnerLocationId,
  customerTenantId: guid,
  claimName: shortText(120).optional(),
};

export const cporEngagements = ["osu", "osa", "revrec", "usage-recognition"] as const;

export const createCporInput = z
  .object({
    type: z.literal("cpor"),
    engagement: z.enum(cporEngagements),
    ...common,
    customerDomain: onMicrosoftDomain,
    workloads: workloadList.optional(),
    subscriptionId: guid.optional(),
    licensingProgram: licensingProgram.optional(),
    servicesInScope: longText(2000),
    customerContact,
    partnerContact,
  })
  .strict()
  .superRefine((input, ctx) => {
    const kind = cporKind(input);
    const rule = associationTypes[kind];
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (rule.unit === "tenant-workload") {
      if (!input.workloads)
        issue("workloads", `is required for a ${input.engagement} association by workload`);
      if (input.subscriptionId) issue("subscriptionId", `is not allowed beside workloads`);
      if (input.licensingProgram) issue("licensingProgram", "applies to subscription associations only");
      return;
    }
    if (input.workloads)
      issue("workloads", `are not allowed: ${input.engagement} attaches to a subscription`);
    if (!input.subscriptionId) issue("subscriptionId", `is required for ${rule.name}`);
    const allowed = rule.licensingPrograms ?? [];
    if (!input.licensingProgram) issue("licensingProgram", `is required: one of ${allowed.join(", ")}`);
    else if (!allowed.includes(input.licensingProgram))
      issue("licensingProgram", `must be one of ${allowed.join(", ")} for ${rule.name}`);
  });

export const createDporInput = z
  .object({
    type: z.literal("dpor"),
    ...common,
    customerDomain: onMicrosoftDomain,
    subscriptionId: guid,
    customerContact,
    partnerContact,
  })
  .strict();

export const createPalInput = z
  .object({
    type: z.literal("pal"),
    ...common,
    customerDomain: onMicrosoftDomain.optional(),
    credential: z
      .object({
        kind: z.enum(["user", "service-principal"]),
        objectId: guid,
        displayName: shortText().optional(),
      })
      .strict(),
  })
  .strict();

export const createCspInput = z
  .object({
    type: z.literal("csp"),
    model: z.enum(["direct-bill", "indirect-reseller"]),
    ...common,
    customerDomain: onMicrosoftDomain,
    indirectProviderLocationId: partnerLocationId.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const path = ["indirectProviderLocationId"];
    if (input.model === "indirect-reseller" && !input.indirectProviderLocationId)
      ctx.addIssue({ code: "custom", path, message: "is required for the Indirect Reseller model" });
    if (input.model === "direct-bill" && input.indirectProviderLocationId)
      ctx.addIssue({ code: "custom", path, message: "applies to the Indirect Reseller model only" });
  });

export const createTporInput = z
  .object({
    type: z.literal("tpor"),
    role: z.enum(["licensing-solution-provider", "enterprise-direct-advisor"]),
    ...common,
    enrollmentNumber,
    /** The enrollment's subscriptions: TPOR earns nothing on one where the partner is the DPOR. */
    subscriptionIds: z
      .array(guid)
      .max(100)
      .refine(
        (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
        "must not repeat a subscription",
      )
      .optional(),
  })
  .strict();

export const createAssociationInput = z.discriminatedUnion("type", [
  createCporInput,
  createDporInput,
  createPalInput,
  createCspInput,
  createTporInput,
]);
export type CreateAssociationInput = z.infer<typeof createAssociationInput>;

/**
 * A PAL link made through `POST /api/v1/pal-links` as the association keeps it: the identity by its
 * client ID only (its secret is sealed in the association's `pal`, never in the request).
 */
export const palLinkRequest = z
  .object({
    type: z.literal("pal"),
    source: z.literal("link"),
    partnerLocationId,
    customerTenantId: guid,
    identity: z.object({ clientId: guid }).strict(),
    claimName: shortText(120).optional(),
  })
  .strict();
export type PalLinkRequest = z.infer<typeof palLinkRequest>;
export type CreateCporInput = z.infer<typeof createCporInput>;

type CporShape = Pick<CreateCporInput, "engagement" | "workloads" | "subscriptionId">;

/** OSU attaches to workloads (Modern Work & Security) or to a subscription (Business Applications). */
function cporKind(input: CporShape): AssociationKind {
  switch (input.engagement) {
    case "osu":
      return input.subscriptionId && !input.workloads
        ? "cpor-osu-business-applications"
        : "cpor-osu-modern-work-security";
    case "osa":
      return "cpor-osa";
    case "revrec":
      return "cpor-revrec";
    case "usage-recognition":
      return "usage-recognition";
  }
}

/** The catalog entry a valid create request (or a stored PAL link) falls under. */
export function associationKindOf(input: CreateAssociationInput | PalLinkRequest): AssociationKind {
  switch (input.type) {
    case "cpor":
      return cporKind(input);
    case "csp":
      return input.model === "direct-bill" ? "csp-direct-bill" : "csp-indirect-reseller";
    default:
      return input.type;
  }
}
