import {
  documentExtensions,
  documentTypeNames,
  documentTypeOfContent,
  documentTypeOfName,
} from "./documentType";
import { ValidationError } from "./errors";
import type { FieldIssue } from "./errors";
import { isoDate } from "./schemas/primitives";
import type { PoeSubmission } from "./schemas/poeSubmission";
import type { WorkloadId } from "./workloads";

/**
 * The proof-of-execution check: what Microsoft's reviewers would reject a PoE for, found before the
 * partner submits it. The first six codes are Microsoft's published rejection reasons (no PoE, no
 * signature, missing or stale date, no service description, no products); `future-signed-date` is the
 * stale date's twin; `unsupported-document-type` is a document that is no signed document (not a PDF,
 * Word document, PNG or JPEG, or not what its name says); the rest tie the PoE to the claim it proves.
 */
export const poeProblemCodes = [
  "no-document",
  "unsupported-document-type",
  "no-signature",
  "missing-signed-date",
  "stale-signed-date",
  "future-signed-date",
  "no-services-description",
  "no-products",
  "workloads-not-covered",
  "tenant-mismatch",
  "domain-mismatch",
] as const;
export type PoeProblemCode = (typeof poeProblemCodes)[number];

/** One reason to reject; `field` is the request field at fault (`claim.*` when the claim is). */
export interface PoeProblem {
  code: PoeProblemCode;
  field: string;
  message: string;
}

/** The claim the PoE must prove. */
export interface PoeClaim {
  workloads: readonly WorkloadId[];
  customerTenantId: string;
  customerDomain: string;
}

export interface PoeCheckOptions {
  /** The submission date, `YYYY-MM-DD`: the PoE's age is measured to it. */
  today: string;
  /** How old the customer's signature may be, in calendar months (domain.md: 12, config). */
  maxAgeMonths?: number;
  /** The customer tenant as Microsoft's directory knows it, when it has been looked up. */
  directory?: { tenantId: string; initialDomain: string };
}

export const defaultPoeMaxAgeMonths = 12;

/**
 * Every problem with `poe` as proof for `claim`, in a fixed order (document, signature, date,
 * services, workloads, tenant, domain, then the claim against the directory); empty means acceptable.
 * `poe` is expected to have passed the `poeSubmission` schema; blank strings count as missing here too,
 * so hand-built submissions get the same answer. Bad options are a ValidationError.
 */
export function checkPoe(poe: PoeSubmission, claim: PoeClaim, options: PoeCheckOptions): PoeProblem[] {
  const maxAgeMonths = options.maxAgeMonths ?? defaultPoeMaxAgeMonths;
  checkOptions(options.today, maxAgeMonths);
  return [
    ...documentProblems(poe),
    ...signatureProblems(poe),
    ...signedDateProblems(poe.signedDate, options.today, maxAgeMonths),
    ...servicesProblems(poe),
    ...workloadProblems(poe, claim),
    ...statedCustomerProblems(poe, claim),
    ...directoryProblems(claim, options.directory),
  ];
}

/** The problems as field issues for a ValidationError / RFC 9457 response, in the same order. */
export function poeProblemsAsIssues(problems: readonly PoeProblem[]): FieldIssue[] {
  return problems.map((p) => ({ path: p.field, message: p.message }));
}

function checkOptions(today: string, maxAgeMonths: number): void {
  const issues: FieldIssue[] = [];
  if (!isoDate.safeParse(today).success)
    issues.push({ path: "today", message: "must be a date (YYYY-MM-DD)" });
  if (!Number.isInteger(maxAgeMonths) || maxAgeMonths < 0) {
    issues.push({ path: "maxAgeMonths", message: "must be a whole number of months, 0 or more" });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The value, or undefined when it is absent or only whitespace. */
const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();
const isBlank = (value: string | undefined): boolean => present(value) === undefined;

function problem(code: PoeProblemCode, field: string, message: string): PoeProblem {
  return { code, field, message };
}

/**
 * A document must be there, named with a supported extension, and be what its name says, judged by
 * its magic bytes. The name and the content are each checked whenever present, so a partner hears
 * about both at once; a name and content of two supported types is the content's fault.
 */
function documentProblems(poe: PoeSubmission): PoeProblem[] {
  const out: PoeProblem[] = [];
  const name = present(poe.documentName);
  const named = name === undefined ? undefined : documentTypeOfName(name);
  if (name === undefined) {
    out.push(problem("no-document", "documentName", "no proof of execution: name the signed document"));
  } else if (named === undefined) {
    out.push(
      problem(
        "unsupported-document-type",
        "documentName",
        `unsupported document: the name must end in ${documentExtensions.join(", ")}`,
      ),
    );
  }
  const content = present(poe.documentBase64);
  if (content === undefined) {
    out.push(problem("no-document", "documentBase64", "no proof of execution: attach the signed document"));
    return out;
  }
  const actual = documentTypeOfContent(Buffer.from(content, "base64"));
  if (actual === undefined) {
    out.push(
      problem(
        "unsupported-document-type",
        "documentBase64",
        "unsupported document: attach the signed document as a PDF, a Word document (.docx), a PNG or a JPEG",
      ),
    );
  } else if (named !== undefined && named !== actual) {
    out.push(
      problem(
        "unsupported-document-type",
        "documentBase64",
        `the document is ${documentTypeNames[actual]}, but its name ${name} says otherwise`,
      ),
    );
  }
  return out;
}

function signatureProblems(poe: PoeSubmission): PoeProblem[] {
  const out: PoeProblem[] = [];
  if (isBlank(poe.customerSignerName)) {
    out.push(problem("no-signature", "customerSignerName", "no signature: name the customer who signed"));
  }
  if (isBlank(poe.customerSignerEmail)) {
    out.push(problem("no-signature", "customerSignerEmail", "no signature: give the signer's email address"));
  }
  return out;
}

function signedDateProblems(
  signedDate: string | undefined,
  today: string,
  maxAgeMonths: number,
): PoeProblem[] {
  const signed = present(signedDate);
  if (signed === undefined || !isoDate.safeParse(signed).success) {
    return [problem("missing-signed-date", "signedDate", "missing date: give the date the customer signed")];
  }
  if (signed > today) {
    return [
      problem("future-signed-date", "signedDate", `the signed date ${signed} is after today (${today})`),
    ];
  }
  const oldest = subtractMonths(today, maxAgeMonths);
  if (signed < oldest) {
    return [
      problem(
        "stale-signed-date",
        "signedDate",
        `stale date: signed ${signed}, more than ${maxAgeMonths} months before ${today} (oldest accepted ${oldest})`,
      ),
    ];
  }
  return [];
}

function servicesProblems(poe: PoeSubmission): PoeProblem[] {
  if (!isBlank(poe.servicesDescription)) return [];
  return [
    problem(
      "no-services-description",
      "servicesDescription",
      "no service description: describe the services the partner delivers",
    ),
  ];
}

/** No workloads at all is "no products"; otherwise every claimed workload must be listed. */
function workloadProblems(poe: PoeSubmission, claim: PoeClaim): PoeProblem[] {
  const listed = poe.workloads ?? [];
  if (listed.length === 0) {
    return [problem("no-products", "workloads", "no products: list the workloads the services cover")];
  }
  const uncovered = claim.workloads.filter((w) => !listed.includes(w));
  if (uncovered.length === 0) return [];
  return [
    problem(
      "workloads-not-covered",
      "workloads",
      `the PoE does not list claimed workloads: ${uncovered.join(", ")}`,
    ),
  ];
}

const sameId = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The tenant and domain the document states, when it states them, must be the claim's. */
function statedCustomerProblems(poe: PoeSubmission, claim: PoeClaim): PoeProblem[] {
  const out: PoeProblem[] = [];
  const tenant = present(poe.customerTenantId);
  if (tenant !== undefined && !sameId(tenant, claim.customerTenantId)) {
    out.push(
      problem(
        "tenant-mismatch",
        "customerTenantId",
        `the PoE names tenant ${tenant}, but the claim is for tenant ${claim.customerTenantId}`,
      ),
    );
  }
  const domain = present(poe.customerDomain);
  if (domain !== undefined && !sameId(domain, claim.customerDomain)) {
    out.push(
      problem(
        "domain-mismatch",
        "customerDomain",
        `the PoE names domain ${domain}, but the claim is for domain ${claim.customerDomain}`,
      ),
    );
  }
  return out;
}

/**
 * The claim's tenant ID and initial domain must belong together, as Microsoft's directory says
 * (domain.md: "a mismatch is an error"). Whichever way the directory was looked up (by tenant ID or by
 * domain), the fact that differs from the claim is the one reported.
 */
function directoryProblems(claim: PoeClaim, directory: PoeCheckOptions["directory"]): PoeProblem[] {
  if (directory === undefined) return [];
  const out: PoeProblem[] = [];
  const facts = `Microsoft's directory has tenant ${directory.tenantId} with initial domain ${directory.initialDomain}`;
  if (!sameId(directory.tenantId, claim.customerTenantId)) {
    out.push(
      problem(
        "tenant-mismatch",
        "claim.customerTenantId",
        `the claim's tenant ${claim.customerTenantId} does not belong with its domain: ${facts}`,
      ),
    );
  }
  if (!sameId(directory.initialDomain, claim.customerDomain)) {
    out.push(
      problem(
        "domain-mismatch",
        "claim.customerDomain",
        `the claim's domain ${claim.customerDomain} does not belong with its tenant: ${facts}`,
      ),
    );
  }
  return out;
}

/**
 * `date` (YYYY-MM-DD) minus `months` calendar months. A day the target month lacks clamps to its last
 * day (2024-02-29 − 12 months = 2023-02-28), so "exactly N months old" always exists.
 */
export function subtractMonths(date: string, months: number): string {
  const [year = 0, month = 1, day = 1] = date.split("-").map(Number);
  const index = year * 12 + (month - 1) - months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const lastDay = daysInMonth(targetYear, targetMonth);
  return [
    String(targetYear).padStart(4, "0"),
    String(targetMonth).padStart(2, "0"),
    String(Math.min(day, lastDay)).padStart(2, "0"),
  ].join("-");
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
