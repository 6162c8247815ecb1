import { describe, expect, it } from "vitest";
import {
  erasedAssociation,
  erasedEmail,
  erasedText,
  personalStringsOf,
  redactDeep,
  redactText,
} from "../../../src/domain/personalData";
import { draftAssociation } from "../../support/builders";

describe("personal data erasure", () => {
  it("redacts every email address and each known name, case-insensitively, longest first", () => {
    const text = "Refused by MEGAN BOWEN <megan@contoso.com> (Megan Bowen, IT Director); cc it@contoso.co.uk";
    expect(redactText(text, ["Megan Bowen", "IT Director", "Megan"])).toBe(
      `Refused by ${erasedText} <${erasedEmail}> (${erasedText}, ${erasedText}); cc ${erasedEmail}`,
    );
    expect(redactText("a b", ["a", " "])).toBe("a b"); // one-letter or blank names would shred any text
    expect(redactText("1+1 (x)", ["1+1", "(x)"])).toBe(`${erasedText} ${erasedText}`); // no regex injection
  });

  it("redacts the strings inside objects and arrays, and leaves the other values", () => {
    expect(
      redactDeep({ signer: "Megan Bowen", bytes: 12, list: ["megan@contoso.com", null] }, ["Megan Bowen"]),
    ).toEqual({
      signer: erasedText,
      bytes: 12,
      list: [erasedEmail, null],
    });
  });

  it("replaces the customer's contact, keeps the partner's, names the fields, and is idempotent", () => {
    const association = draftAssociation("p-1");
    expect(personalStringsOf(association)).toEqual(["Megan Bowen", "IT Director", "megan@contoso.com"]);
    const once = erasedAssociation(association, "2026-12-02T10:00:00.000Z");
    expect(once.fields).toEqual(["customerContact.name", "customerContact.title", "customerContact.email"]);
    expect(once.value.request).toMatchObject({
      customerContact: { name: erasedText, title: erasedText, email: erasedEmail },
      partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
    });
    expect(once.value.personalDataErasedAt).toBe("2026-12-02T10:00:00.000Z");
    expect(personalStringsOf(once.value)).toEqual([]);
    const twice = erasedAssociation(once.value, "2026-12-03T10:00:00.000Z");
    expect(twice.fields).toEqual([]);
    expect(twice.value).toBe(once.value);
  });
});
