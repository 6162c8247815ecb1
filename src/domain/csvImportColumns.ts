/**
 * The columns of `POST /api/v1/imports` (see csvImport.ts for the rules), apart from the parser, so
 * the dashboard's help shows the very lists the parser takes (the parser's CSV library is Node-only).
 */
export const importColumns = [
  "type",
  "partnerLocationId",
  "customerTenantId",
  "customerDomain",
  "subscriptionId",
  "subscriptionIds",
  "customerContact.name",
  "customerContact.title",
  "customerContact.email",
  "partnerContact.name",
  "partnerContact.email",
  "claimName",
  "role",
  "enrollmentNumber",
  "identity.clientId",
  "identity.clientSecret",
] as const;
export type ImportColumn = (typeof importColumns)[number];

export const importRowTypes = ["dpor", "tpor", "pal"] as const;
export type ImportRowType = (typeof importRowTypes)[number];

/** The columns each row type takes (besides `type`). */
export const columnsOfType: Readonly<Record<ImportRowType, readonly ImportColumn[]>> = {
  dpor: [
    "partnerLocationId",
    "customerTenantId",
    "customerDomain",
    "subscriptionId",
    "customerContact.name",
    "customerContact.title",
    "customerContact.email",
    "partnerContact.name",
    "partnerContact.email",
    "claimName",
  ],
  tpor: ["partnerLocationId", "customerTenantId", "role", "enrollmentNumber", "subscriptionIds", "claimName"],
  pal: ["partnerLocationId", "customerTenantId", "identity.clientId", "identity.clientSecret"],
};

export const maxImportRows = 500;
