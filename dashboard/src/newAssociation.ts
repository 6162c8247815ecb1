import { licensingPrograms } from "../../src/domain/associationTypes";
import { cporEngagements } from "../../src/domain/schemas/createAssociation";
import { workloadIds } from "../../src/domain/workloads";

/**
 * The "new association" form as data: which request fields each type takes (as
 * `createAssociationInput` in src/domain/schemas/createAssociation.ts names them, dotted for nested
 * objects), and how the entered values become the request body. The API checks everything; the
 * form only leaves out what is empty, so a missing field gets the API's own message beside it.
 */
export const requestTypes = ["cpor", "dpor", "pal", "csp", "tpor"] as const;
export type RequestType = (typeof requestTypes)[number];

export const typeNames: Record<RequestType, string> = {
  cpor: "CPOR claim (Partner Center)",
  dpor: "DPOR (Digital Partner of Record)",
  pal: "PAL recorded by hand",
  csp: "CSP relationship",
  tpor: "TPOR (Transacting Partner of Record)",
};

export interface FormField {
  name: string;
  label: string;
  hint?: string;
  control: "text" | "email" | "textarea" | "select" | "checkboxes" | "lines";
  options?: readonly string[];
  types: readonly RequestType[];
}

const all = requestTypes;

export const formFields: readonly FormField[] = [
  { name: "engagement", label: "Engagement", control: "select", options: cporEngagements, types: ["cpor"] },
  { name: "claimName", label: "Claim name (yours, optional)", control: "text", types: all },
  { name: "partnerLocationId", label: "Partner location ID", control: "text", types: all },
  { name: "customerTenantId", label: "Customer tenant ID", control: "text", types: all },
  {
    name: "customerDomain",
    label: "Customer's initial domain",
    hint: "contoso.onmicrosoft.com",
    control: "text",
    types: ["cpor", "dpor", "pal", "csp"],
  },
  {
    name: "workloads",
    label: "Workloads",
    hint: "For an OSU claim on Modern Work & Security, or usage recognition.",
    control: "checkboxes",
    options: workloadIds,
    types: ["cpor"],
  },
  {
    name: "subscriptionId",
    label: "Subscription ID",
    hint: "For a claim on a subscription (OSA, RevRec, OSU Business Applications) and for a DPOR.",
    control: "text",
    types: ["cpor", "dpor"],
  },
  {
    name: "licensingProgram",
    label: "Licensing program",
    control: "select",
    options: licensingPrograms,
    types: ["cpor"],
  },
  { name: "servicesInScope", label: "Services in scope", control: "textarea", types: ["cpor"] },
  { name: "customerContact.name", label: "Customer contact: name", control: "text", types: ["cpor", "dpor"] },
  {
    name: "customerContact.title",
    label: "Customer contact: title",
    control: "text",
    types: ["cpor", "dpor"],
  },
  {
    name: "customerContact.email",
    label: "Customer contact: email",
    control: "email",
    types: ["cpor", "dpor"],
  },
  { name: "partnerContact.name", label: "Your contact: name", control: "text", types: ["cpor", "dpor"] },
  { name: "partnerContact.email", label: "Your contact: email", control: "email", types: ["cpor", "dpor"] },
  {
    name: "model",
    label: "CSP model",
    control: "select",
    options: ["direct-bill", "indirect-reseller"],
    types: ["csp"],
  },
  {
    name: "indirectProviderLocationId",
    label: "Indirect provider's location ID",
    control: "text",
    types: ["csp"],
  },
  {
    name: "role",
    label: "Role",
    control: "select",
    options: ["licensing-solution-provider", "enterprise-direct-advisor"],
    types: ["tpor"],
  },
  { name: "enrollmentNumber", label: "Enrollment number", control: "text", types: ["tpor"] },
  {
    name: "subscriptionIds",
    label: "The enrollment's subscription IDs",
    hint: "One per line.",
    control: "lines",
    types: ["tpor"],
  },
  {
    name: "credential.kind",
    label: "Credential kind",
    control: "select",
    options: ["user", "service-principal"],
    types: ["pal"],
  },
  { name: "credential.objectId", label: "Credential object ID", control: "text", types: ["pal"] },
  { name: "credential.displayName", label: "Credential display name", control: "text", types: ["pal"] },
];

export type FormValues = Record<string, string | readonly string[]>;

/** The request body: `type`, then each of the type's fields that holds something, nested by its dots. */
export function requestBody(type: RequestType, values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = { type };
  for (const field of formFields.filter((f) => f.types.includes(type))) {
    const value = valueOf(field, values[field.name]);
    if (value === undefined) continue;
    const path = field.name.split(".");
    let target = body;
    for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[path.at(-1) ?? field.name] = value;
  }
  return body;
}

function valueOf(field: FormField, entered: string | readonly string[] | undefined): unknown {
  if (entered === undefined) return undefined;
  if (field.control === "checkboxes") return entered.length > 0 ? [...entered] : undefined;
  const text = typeof entered === "string" ? entered.trim() : "";
  if (text === "") return undefined;
  if (field.control === "lines")
    return text
      .split(/[\s,]+/)
      .map((line) => line.trim())
      .filter(Boolean);
  return text;
}
