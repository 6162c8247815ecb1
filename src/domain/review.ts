import { z } from "zod";
import { longText } from "./schemas/primitives";
import type { AssociationStatus } from "./status";

/**
 * Partner Center review outcomes, as the partner records them (Microsoft publishes no claims API:
 * the partner reads the outcome in Partner Center and records it here). The reasons are Microsoft's
 * published ones, as stable kebab-case IDs.
 */
export const partnerActionReasons = [
  "missing-poe",
  "missing-customer-acknowledgment",
  "missing-or-old-dates",
  "missing-partner-services",
  "missing-products",
] as const;

export const rejectionReasons = [
  "partner-request",
  "customer-decline",
  "insufficient-poe",
  "missing-customer-consent",
  "missing-products",
  "no-partner-response",
  "poe-unavailable",
] as const;

export const reviewOutcomes = ["approved", "partner-action-required", "rejected"] as const;

const reviewReason = z.enum([...new Set([...partnerActionReasons, ...rejectionReasons])]);

/** Statuses in which Partner Center's reviewers are deciding, so an outcome can be recorded. */
export const reviewableStatuses = [
  "UnderReview",
  "PartnerActionRequired",
  "Dispute",
] as const satisfies readonly AssociationStatus[];

/** `POST /api/v1/associations/{id}/review`. Reasons must fit the outcome (checked per outcome). */
export const reviewOutcomeInput = z
  .object({
    outcome: z.enum(reviewOutcomes),
    reasons: z.array(reviewReason).max(12).optional(),
    comment: longText(2000).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const reasons = input.reasons ?? [];
    const allowed: readonly string[] =
      input.outcome === "partner-action-required"
        ? partnerActionReasons
        : input.outcome === "rejected"
          ? rejectionReasons
          : [];
    if (input.outcome === "partner-action-required" && reasons.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["reasons"],
        message: `partner-action-required needs at least one reason: ${partnerActionReasons.join(", ")}`,
      });
    reasons.forEach((reason, i) => {
      if (!allowed.includes(reason))
        ctx.addIssue({
          code: "custom",
          path: ["reasons", i],
          message:
            allowed.length === 0
              ? `an ${input.outcome} outcome takes no reasons`
              : `is not a reason for ${input.outcome}: one of ${allowed.join(", ")}`,
        });
    });
  });
export type ReviewOutcomeInput = z.infer<typeof reviewOutcomeInput>;

/** The status an outcome moves the association to (a rejection after a dispute is final: see rejectionTarget). */
export function reviewTarget(outcome: ReviewOutcomeInput["outcome"]): AssociationStatus {
  if (outcome === "approved") return "Approved";
  return outcome === "rejected" ? "Rejected" : "PartnerActionRequired";
}

/** The latest recorded outcome, kept on the association for what the partner must do next. */
export const reviewRecord = z
  .object({
    outcome: z.enum(reviewOutcomes),
    reasons: z.array(z.string()).max(12),
    comment: z.string().max(2000).optional(),
    at: z.iso.datetime(),
  })
  .strict();
export type ReviewRecord = z.infer<typeof reviewRecord>;
