import { z } from "zod";
import { dporEvidenceKinds } from "../association";
import { multiLineText } from "./primitives";
import { documentBase64, documentName } from "./poeSubmission";

/**
 * `POST /api/v1/associations/{id}/confirm`: the partner saw that the customer set its partner ID on
 * the subscription, and says how (a Partner Center report, the customer's email, a screenshot),
 * optionally with the document itself (kept like a PoE, at most 10 MiB).
 */
export const dporConfirmationInput = z
  .object({
    evidence: z
      .object({
        kind: z.enum(dporEvidenceKinds),
        note: multiLineText(2000).optional(),
        documentBase64: documentBase64.optional(),
        documentName: documentName.optional(),
      })
      .strict()
      .superRefine((evidence, ctx) => {
        if (evidence.documentBase64 !== undefined && !evidence.documentName)
          ctx.addIssue({
            code: "custom",
            path: ["documentName"],
            message: "is required with documentBase64",
          });
        if (evidence.documentName !== undefined && evidence.documentBase64 === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["documentBase64"],
            message: "is required with documentName",
          });
      }),
  })
  .strict();
export type DporConfirmationInput = z.infer<typeof dporConfirmationInput>;
