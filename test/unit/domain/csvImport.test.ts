import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/domain/errors";
import { maxImportRows, parseImportCsv } from "../../../src/domain/csvImport";

const tenant = "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e";
const subscription = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const client = "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d";
const header =
  "type,customerTenantId,customerDomain,subscriptionId,customerContact.name,customerContact.title,customerContact.email,partnerContact.name,partnerContact.email,role,enrollmentNumber,subscriptionIds,identity.clientId,identity.clientSecret";
const dpor = `dpor,${tenant},contoso.onmicrosoft.com,${subscription},Megan Bowen,CIO,megan@contoso.com,Alex Wilber,alex@fabrikam.com,,,,,`;
const tpor = `tpor,${tenant},,,,,,,,licensing-solution-provider,12345678,${subscription};${client},,`;
const pal = `pal,${tenant},,,,,,,,,,,${client},"s3cret,with comma"`;

const failure = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected a ValidationError");
};

describe("parseImportCsv", () => {
  it("reads each type's row into its request, nested by the dotted columns, with the defaults filled", () => {
    const parsed = parseImportCsv([header, dpor, tpor, pal].join("\r\n"), { partnerLocationId: "4871234" });
    expect(parsed.invalid).toEqual([]);
    expect(parsed.rows.map((r) => [r.index, r.line, r.type])).toEqual([
      [0, 2, "dpor"],
      [1, 3, "tpor"],
      [2, 4, "pal"],
    ]);
    expect(parsed.rows[0]?.request).toMatchObject({
      type: "dpor",
      partnerLocationId: "4871234",
      subscriptionId: subscription,
      customerContact: { name: "Megan Bowen", title: "CIO", email: "megan@contoso.com" },
    });
    expect(parsed.rows[1]?.request).toMatchObject({ subscriptionIds: [subscription, client] });
    expect(parsed.rows[2]?.request).toEqual({
      customerTenantId: tenant,
      partnerLocationId: "4871234",
      identity: { clientId: client, clientSecret: "s3cret,with comma" },
    });
  });

  it("reports a bad row with its line and the columns to fix, and keeps the good ones", () => {
    const bad = `dpor,not-a-tenant,contoso.onmicrosoft.com,${subscription},Megan Bowen,CIO,not-an-email,Alex Wilber,alex@fabrikam.com,,,,,`;
    const stray = `tpor,${tenant},contoso.onmicrosoft.com,,,,,,,licensing-solution-provider,12345678,,,`;
    const parsed = parseImportCsv([header, dpor, bad, stray, "fax,,,,,,,,,,,,,"].join("\n"), {
      partnerLocationId: "4871234",
    });
    expect(parsed.rows.map((r) => r.line)).toEqual([2]);
    expect(parsed.invalid).toEqual([
      {
        index: 1,
        line: 3,
        errors: expect.arrayContaining([
          expect.objectContaining({ path: "customerTenantId" }),
          expect.objectContaining({ path: "customerContact.email" }),
        ]) as unknown,
      },
      { index: 2, line: 4, errors: [expect.objectContaining({ path: "customerDomain" })] },
      { index: 3, line: 5, errors: [expect.objectContaining({ path: "type" })] },
    ]);
  });

  it("counts lines as the file has them, quoted line breaks and blank lines included", () => {
    const multiline = `dpor,${tenant},contoso.onmicrosoft.com,${subscription},"Megan\nBowen",CIO,megan@contoso.com,Alex Wilber,alex@fabrikam.com,,,,,`;
    const parsed = parseImportCsv([header, multiline, "", "tpor,bad,,,,,,,,,,,,"].join("\n"));
    expect(parsed.invalid.map((r) => r.line)).toEqual(expect.arrayContaining([5]));
  });

  it("refuses the whole file for an unknown or repeated column, no type column, no rows or too many", () => {
    expect(failure(() => parseImportCsv("type,colour\ndpor,red")).issues).toEqual([
      expect.objectContaining({ path: "header.2" }),
    ]);
    expect(failure(() => parseImportCsv("type,type\ndpor,dpor")).issues[0]?.message).toMatch(/repeats/);
    expect(failure(() => parseImportCsv("customerTenantId\nx")).issues[0]?.path).toBe("header");
    expect(failure(() => parseImportCsv(header)).issues[0]?.path).toBe("file");
    expect(failure(() => parseImportCsv("")).issues[0]?.path).toBe("file");
    const many = [header, ...Array.from({ length: maxImportRows + 1 }, () => dpor)].join("\n");
    expect(failure(() => parseImportCsv(many)).issues[0]?.message).toMatch(/at most 500/);
  });

  it("reports a row whose field count differs from the header's", () => {
    const parsed = parseImportCsv(`${header}\ndpor,${tenant}`);
    expect(parsed.invalid).toEqual([
      { index: 0, line: 2, errors: [expect.objectContaining({ path: "row" })] },
    ]);
  });
});
