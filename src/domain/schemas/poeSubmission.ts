import { z } from "zod";
import { workloadId, workloadIds } from "../workloads";
import { email, guid, isoDate, multiLineText, onMicrosoftDomain, singleLineText } from "./primitives";

/**
 * `POST /api/v1/associations/{id}/poe`: the proof of execution for a CPOR claim.
 *
 * Split of duties: this schema checks shape, types, formats and length limits only. The fields
 * Microsoft's reviewers reject a PoE over (no document, no signature, missing date, no services
 * description, no products) may be absent or empty here, so that `checkPoe` (poe.ts) can report all
 * of them at once, each with Microsoft's reason, instead of the first format error a parser meets.
 */

/** Largest document accepted, decoded. */
export const maxPoeDocumentBytes = 10 * 1024 * 1024;

/** Longest base64 text that can decode to `maxPoeDocumentBytes` (with padding). */
const maxBase64Length = Math.ceil(maxPoeDocumentBytes / 3) * 4;

const base64Charset = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The decoded size of padded base64 text, from its length and padding alone (no decoding, so a
 * 14 MB string costs nothing). Assumes the text passed the charset and length-multiple-of-4 checks.
 */
export function base64DecodedSize(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** A field that may be empty (checkPoe reports it with Microsoft's reason) or must match `format`. */
const emptyOr = <T extends z.ZodType<string, string>>(format: T) => z.union([z.literal(""), format]);

/** Its extension must name a supported type: checkPoe reports that, beside the document's content. */
export const documentName = singleLineText(255).regex(
  /^[^\\/:*?"<>|]*$/,
  'must be a file name (no path, none of \\ / : * ? " < > |)',
);

export const documentBase64 = z
  .string()
  // Bounds the work below before scanning the text; the exact limit is the decoded-size check.
  .max(maxBase64Length, { message: "must decode to at most 10 MiB", abort: true })
  .refine((s) => s.length % 4 === 0 && base64Charset.test(s), {
    message: "must be padded base64 (A–Z, a–z, 0–9, +, /, =)",
    abort: true,
  })
  .refine((s) => base64DecodedSize(s) <= maxPoeDocumentBytes, "must decode to at most 10 MiB");

/** Workload IDs, each at most once; a repeat is reported at its own index (`workloads.3`). */
const poeWorkloads = z
  .array(workloadId)
  .max(workloadIds.length)
  .superRefine((ids, ctx) => {
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) {
        ctx.addIssue({ code: "custom", path: [index], message: `repeats workload "${id}"` });
      }
    });
  });

export const poeSubmission = z
  .object({
    documentName: documentName.optional(),
    documentBase64: documentBase64.optional(),
    customerSignerName: singleLineText(200).optional(),
    customerSignerEmail: emptyOr(email).optional(),
    signedDate: emptyOr(isoDate).optional(),
    servicesDescription: multiLineText(4000).optional(),
    workloads: poeWorkloads.optional(),
    /** The customer tenant the document names, when it names one; checkPoe compares it with the claim. */
    customerTenantId: guid.optional(),
    /** The customer's initial domain as the document states it, when it does. */
    customerDomain: onMicrosoftDomain.optional(),
  })
  .strict();
export type PoeSubmission = z.infer<typeof poeSubmission>;
