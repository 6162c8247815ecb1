import type { Association } from "./association";
import { associationTypes } from "./associationTypes";
import { formatDate, instant, oneLine } from "./emailText";
import { ValidationError } from "./errors";
import { workloadCatalog } from "./workloads";

/**
 * The proof-of-execution document a partner sends the customer to sign, following the structure of
 * Microsoft's CPOR proof-of-execution template: the customer, the partner, the engagement and its
 * workloads, the services delivered, and the customer's acknowledgment (signer, title, date,
 * signature) with the validity note. The signed copy is what the partner uploads as the PoE
 * (`POST /poe`), so the template asks for exactly what `checkPoe` and Microsoft's reviewers look
 * for. Pure: the document as text blocks; rendering to PDF is an adapter's.
 */
export interface PoeTemplateInput {
  association: Association;
  /** The partner organisation's display name (the partners table). */
  partnerName: string;
  /** How old an acknowledgment Microsoft accepts (POE_MAX_AGE_MONTHS). */
  maxAgeMonths: number;
  /** When the document is generated (ISO 8601 UTC). */
  generatedAt: string;
}

/** A labelled value, or a line left blank for the customer to fill in (`value` empty). */
export type TemplateRow = [label: string, value: string];

export interface TemplateSection {
  heading: string;
  rows?: TemplateRow[];
  paragraphs?: string[];
}

export interface PoeTemplate {
  title: string;
  subtitle: string;
  sections: TemplateSection[];
  /** A file name for the download. */
  fileName: string;
}

export function poeTemplateOf(input: PoeTemplateInput): PoeTemplate {
  const { association, partnerName } = input;
  const request = association.request;
  if (request.type !== "cpor")
    throw new ValidationError([
      {
        path: "association.request.type",
        message: `a proof of execution is for CPOR claims, not ${request.type}`,
      },
    ]);
  const partner = oneLine(partnerName);
  const type = associationTypes[association.kind];
  const workloads = (request.workloads ?? []).map((id) => workloadCatalog[id].name);
  const contact = request.customerContact;
  return {
    title: "Claiming Partner of Record (CPOR): proof of execution",
    subtitle: `Prepared by ${partner} on ${formatDate(instant(input.generatedAt, "generatedAt"))} for ${request.customerDomain}`,
    fileName: `proof-of-execution-${request.customerDomain.replace(/[^\w.-]/g, "_")}.pdf`,
    sections: [
      {
        heading: "Customer",
        rows: [
          ["Initial domain", request.customerDomain],
          ["Tenant ID", association.customerTenantId],
          ["Contact", `${oneLine(contact.name)}, ${oneLine(contact.title)} <${contact.email}>`],
        ],
      },
      {
        heading: "Partner",
        rows: [
          ["Name", partner],
          ["Partner location ID", request.partnerLocationId],
          ["Contact", `${oneLine(request.partnerContact.name)} <${request.partnerContact.email}>`],
        ],
      },
      {
        heading: "Engagement",
        rows: [
          ...(request.claimName ? [["Claim", oneLine(request.claimName)] as TemplateRow] : []),
          ["Association", type.name],
          ...(workloads.length > 0
            ? [["Workloads", workloads.join(", ")] as TemplateRow]
            : [["Subscription", request.subscriptionId ?? ""] as TemplateRow]),
          ...(request.licensingProgram
            ? [["Licensing program", request.licensingProgram] as TemplateRow]
            : []),
        ],
      },
      {
        heading: "Services delivered",
        paragraphs: request.servicesInScope.split(/\r?\n/).filter((l) => l.trim()),
      },
      {
        heading: "Customer acknowledgment",
        paragraphs: [
          `I confirm on behalf of the customer ${request.customerDomain} (tenant ${association.customerTenantId}) that ` +
            `${partner} (partner location ID ${request.partnerLocationId}) delivered the services described above ` +
            `for ${workloads.length > 0 ? workloads.join(", ") : `subscription ${request.subscriptionId ?? ""}`}.`,
        ],
        rows: [
          ["Signer name", oneLine(contact.name)],
          ["Title", oneLine(contact.title)],
          ["Email", contact.email],
          ["Date", ""],
          ["Signature", ""],
        ],
      },
      {
        heading: "Validity",
        paragraphs: [
          `Microsoft accepts this acknowledgment for ${input.maxAgeMonths} months from the date signed: ` +
            "submit the claim with it within that time. An unsigned or undated document is rejected.",
        ],
      },
    ],
  };
}
