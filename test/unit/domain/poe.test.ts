import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/domain/errors";
import { checkPoe, poeProblemCodes, poeProblemsAsIssues, subtractMonths } from "../../../src/domain/poe";
import type { PoeCheckOptions, PoeClaim, PoeProblem, PoeProblemCode } from "../../../src/domain/poe";
import {
  base64DecodedSize,
  maxPoeDocumentBytes,
  poeSubmission,
} from "../../../src/domain/schemas/poeSubmission";
import type { PoeSubmission } from "../../../src/domain/schemas/poeSubmission";
import { docxEntries, zipOf } from "./zipFixture";

const tenantId = "8f0c2b7e-4d1a-4c3b-9e5f-1a2b3c4d5e6f";
const otherTenantId = "11111111-2222-4333-8444-555555555555";

const claim: PoeClaim = {
  workloads: ["teams", "intune"],
  customerTenantId: tenantId,
  customerDomain: "contoso.onmicrosoft.com",
};

const valid: PoeSubmission = {
  documentName: "contoso-sow-2024.pdf",
  documentBase64: "JVBERi0xLjcK",
  customerSignerName: "Ada Lovelace",
  customerSignerEmail: "ada@contoso.com",
  signedDate: "2024-05-01",
  servicesDescription: "Teams rollout and Intune device management for 400 seats",
  workloads: ["teams", "intune", "exchange"],
  customerTenantId: tenantId,
  customerDomain: "contoso.onmicrosoft.com",
};

const today = "2024-06-15";
const options: PoeCheckOptions = { today };

function without(poe: PoeSubmission, field: keyof PoeSubmission): PoeSubmission {
  const copy = { ...poe };
  delete copy[field];
  return copy;
}

const one = (code: PoeProblemCode, field: string): PoeProblem[] => [
  { code, field, message: expect.any(String) as string },
];

describe("checkPoe", () => {
  it("accepts a complete PoE that covers the claim", () => {
    expect(checkPoe(valid, claim, options)).toEqual([]);
  });

  it("accepts a PoE that states no tenant or domain, and compares IDs without case", () => {
    expect(checkPoe(without(without(valid, "customerTenantId"), "customerDomain"), claim, options)).toEqual(
      [],
    );
    const shouted = {
      ...valid,
      customerTenantId: tenantId.toUpperCase(),
      customerDomain: "CONTOSO.onmicrosoft.com",
    };
    expect(checkPoe(shouted, claim, options)).toEqual([]);
  });

  const aloneCases: [string, PoeSubmission, PoeProblemCode, string][] = [
    ["an empty document name", { ...valid, documentName: "" }, "no-document", "documentName"],
    ["no document name", without(valid, "documentName"), "no-document", "documentName"],
    ["an empty document", { ...valid, documentBase64: "" }, "no-document", "documentBase64"],
    ["no document", without(valid, "documentBase64"), "no-document", "documentBase64"],
    [
      "a program for a document",
      { ...valid, documentBase64: Buffer.from("MZ\x90\x00 program").toString("base64") },
      "unsupported-document-type",
      "documentBase64",
    ],
    [
      "a name with an unsupported extension",
      { ...valid, documentName: "sow.exe" },
      "unsupported-document-type",
      "documentName",
    ],
    ["a blank signer name", { ...valid, customerSignerName: "   " }, "no-signature", "customerSignerName"],
    ["no signer email", without(valid, "customerSignerEmail"), "no-signature", "customerSignerEmail"],
    ["no signed date", without(valid, "signedDate"), "missing-signed-date", "signedDate"],
    ["an empty signed date", { ...valid, signedDate: "" }, "missing-signed-date", "signedDate"],
    [
      "a signed date that is no date",
      { ...valid, signedDate: "2024-02-30" },
      "missing-signed-date",
      "signedDate",
    ],
    ["a date over 12 months old", { ...valid, signedDate: "2023-06-14" }, "stale-signed-date", "signedDate"],
    ["a date in the future", { ...valid, signedDate: "2024-06-16" }, "future-signed-date", "signedDate"],
    [
      "an empty services description",
      { ...valid, servicesDescription: "" },
      "no-services-description",
      "servicesDescription",
    ],
    ["an empty workload list", { ...valid, workloads: [] }, "no-products", "workloads"],
    ["no workload list", without(valid, "workloads"), "no-products", "workloads"],
    [
      "a claimed workload not listed",
      { ...valid, workloads: ["teams"] },
      "workloads-not-covered",
      "workloads",
    ],
    ["another tenant", { ...valid, customerTenantId: otherTenantId }, "tenant-mismatch", "customerTenantId"],
    [
      "another domain",
      { ...valid, customerDomain: "fabrikam.onmicrosoft.com" },
      "domain-mismatch",
      "customerDomain",
    ],
  ];

  it.each(aloneCases)("reports %s alone", (_case, poe, code, field) => {
    expect(checkPoe(poe, claim, options)).toEqual(one(code, field));
  });

  it("has a case alone for every code", () => {
    expect(new Set(aloneCases.map(([, , code]) => code))).toEqual(new Set(poeProblemCodes));
  });

  it.each<[string, PoeCheckOptions["directory"], PoeProblemCode, string]>([
    [
      "the claim's domain belongs to another tenant",
      { tenantId: otherTenantId, initialDomain: "contoso.onmicrosoft.com" },
      "tenant-mismatch",
      "claim.customerTenantId",
    ],
    [
      "the claim's tenant has another initial domain",
      { tenantId, initialDomain: "contosoltd.onmicrosoft.com" },
      "domain-mismatch",
      "claim.customerDomain",
    ],
  ])("reports a directory mismatch when %s", (_case, directory, code, field) => {
    expect(checkPoe(valid, claim, { today, directory })).toEqual(one(code, field));
  });

  it("accepts a claim that matches the directory", () => {
    const directory = { tenantId: tenantId.toUpperCase(), initialDomain: "contoso.onmicrosoft.com" };
    expect(checkPoe(valid, claim, { today, directory })).toEqual([]);
  });

  it("names the uncovered workloads, and only those", () => {
    const [problem] = checkPoe(
      { ...valid, workloads: ["exchange"] },
      { ...claim, workloads: ["teams", "intune"] },
      options,
    );
    expect(problem?.message).toContain("teams, intune");
    expect(problem?.message).not.toContain("exchange");
  });

  it("reports every Microsoft rejection reason at once, in field order", () => {
    const poe: PoeSubmission = {
      documentName: "",
      customerSignerEmail: "",
      signedDate: "2020-01-01",
      customerTenantId: otherTenantId,
      customerDomain: "fabrikam.onmicrosoft.com",
    };
    const directory = { tenantId: otherTenantId, initialDomain: "fabrikam.onmicrosoft.com" };
    expect(checkPoe(poe, claim, { today, directory }).map((p) => [p.code, p.field])).toEqual([
      ["no-document", "documentName"],
      ["no-document", "documentBase64"],
      ["no-signature", "customerSignerName"],
      ["no-signature", "customerSignerEmail"],
      ["stale-signed-date", "signedDate"],
      ["no-services-description", "servicesDescription"],
      ["no-products", "workloads"],
      ["tenant-mismatch", "customerTenantId"],
      ["domain-mismatch", "customerDomain"],
      ["tenant-mismatch", "claim.customerTenantId"],
      ["domain-mismatch", "claim.customerDomain"],
    ]);
  });

  it("reports the codes that exclude the ones above together, in field order", () => {
    const poe: PoeSubmission = {
      ...valid,
      signedDate: "2030-01-01",
      workloads: ["exchange"],
      servicesDescription: " ",
    };
    expect(checkPoe(poe, claim, options).map((p) => p.code)).toEqual([
      "future-signed-date",
      "no-services-description",
      "workloads-not-covered",
    ]);
  });

  it("is deterministic", () => {
    expect(checkPoe({}, claim, options)).toEqual(checkPoe({}, claim, options));
  });
});

describe("checkPoe: the signed document's type", () => {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  const pdf = base64(Buffer.from("%PDF-1.4\n"));
  const png = base64(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  const jpeg = base64(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
  const docx = base64(zipOf(docxEntries));
  const check = (documentName: string, documentBase64: string) =>
    checkPoe({ ...valid, documentName, documentBase64 }, claim, options).map((p) => [p.code, p.field]);

  it.each([
    ["sow.pdf", pdf],
    ["SOW.PDF", pdf],
    ["sow.docx", docx],
    ["scan.png", png],
    ["scan.jpg", jpeg],
    ["scan.jpeg", jpeg],
  ])("accepts %s with matching content", (name, content) => {
    expect(check(name, content)).toEqual([]);
  });

  it.each([
    ["a Windows program named .pdf", "sow.pdf", base64(Buffer.from("MZ\x90\x00\x03", "latin1"))],
    ["random bytes named .png", "scan.png", "3q2+78r+ur7v3q2+"],
    ["a plain text file named .pdf", "sow.pdf", base64(Buffer.from("signed, honest"))],
    ["a ZIP that is no Word document named .docx", "sow.docx", base64(zipOf(["notes.txt"]))],
    ["a PDF named .png", "scan.png", pdf],
    ["a PNG named .pdf", "sow.pdf", png],
    ["a Word document named .pdf", "sow.pdf", docx],
  ])("refuses %s at documentBase64", (_case, name, content) => {
    expect(check(name, content)).toEqual([["unsupported-document-type", "documentBase64"]]);
  });

  it.each(["setup.exe", "sow.doc", "sow", "constructor", "x.__proto__", "x.toString"])(
    "refuses the name %s at documentName",
    (name) => {
      expect(check(name, pdf)).toEqual([["unsupported-document-type", "documentName"]]);
    },
  );

  it("names both fields when neither the name nor the content is a supported document", () => {
    expect(check("setup.exe", base64(Buffer.from("MZ\x90\x00", "latin1")))).toEqual([
      ["unsupported-document-type", "documentName"],
      ["unsupported-document-type", "documentBase64"],
    ]);
  });

  it("says which types are accepted, and what the content was when it was one", () => {
    const [byName] = checkPoe({ ...valid, documentName: "sow.exe" }, claim, options);
    expect(byName?.message).toMatch(/\.pdf.*\.docx.*\.png.*\.jpg/);
    const [byContent] = checkPoe({ ...valid, documentName: "scan.png", documentBase64: pdf }, claim, options);
    expect(byContent?.message).toContain("PDF");
  });

  it("still checks the content when the name is missing, and the name when the content is", () => {
    const exe = base64(Buffer.from("MZ\x90\x00", "latin1"));
    expect(check("", exe)).toEqual([
      ["no-document", "documentName"],
      ["unsupported-document-type", "documentBase64"],
    ]);
    expect(check("setup.exe", "")).toEqual([
      ["unsupported-document-type", "documentName"],
      ["no-document", "documentBase64"],
    ]);
  });
});

describe("checkPoe: the signed date's age", () => {
  it.each<[string, string, string, number | undefined, boolean]>([
    ["signed today", "2025-06-15", "2025-06-15", undefined, true],
    ["exactly 12 months old", "2025-06-15", "2024-06-15", undefined, true],
    ["12 months and a day old", "2025-06-15", "2024-06-14", undefined, false],
    ["exactly 6 months old, 6 allowed", "2024-06-15", "2023-12-15", 6, true],
    ["6 months and a day old, 6 allowed", "2024-06-15", "2023-12-14", 6, false],
    ["13 months old, 24 allowed", "2024-06-15", "2023-05-15", 24, true],
    ["a day old, 0 allowed", "2024-06-15", "2024-06-14", 0, false],
    ["leap day, exactly a year before 2025-02-28 (clamped)", "2025-02-28", "2024-02-29", undefined, true],
    ["leap day, a year and a day before 2025-03-01", "2025-03-01", "2024-02-29", undefined, false],
    ["2023-02-28, a year before leap day 2024-02-29 (clamped)", "2024-02-29", "2023-02-28", undefined, true],
    ["2023-02-27, over a year before leap day 2024-02-29", "2024-02-29", "2023-02-27", undefined, false],
    ["leap day, a month before 2024-03-31 (clamped)", "2024-03-31", "2024-02-29", 1, true],
    ["2024-02-28, over a month before 2024-03-31", "2024-03-31", "2024-02-28", 1, false],
  ])(
    "%s (today %s, signed %s, max %s months): accepted %s",
    (_case, day, signedDate, maxAgeMonths, accepted) => {
      const opts = maxAgeMonths === undefined ? { today: day } : { today: day, maxAgeMonths };
      const problems = checkPoe({ ...valid, signedDate }, claim, opts);
      expect(problems).toEqual(accepted ? [] : one("stale-signed-date", "signedDate"));
    },
  );

  it("names the oldest accepted date in the message", () => {
    const [problem] = checkPoe({ ...valid, signedDate: "2023-01-01" }, claim, options);
    expect(problem?.message).toContain("2023-06-15");
  });

  it.each([
    ["2024-06-15", 12, "2023-06-15"],
    ["2024-02-29", 12, "2023-02-28"],
    ["2024-02-29", 48, "2020-02-29"],
    ["2024-03-31", 1, "2024-02-29"],
    ["2024-01-31", 2, "2023-11-30"],
    ["2024-01-15", 0, "2024-01-15"],
  ])("subtractMonths(%s, %s) = %s", (date, months, expected) => {
    expect(subtractMonths(date, months)).toBe(expected);
  });

  it.each([
    ["today is not a date", { today: "2024-13-01" }, "today"],
    ["a negative age", { today, maxAgeMonths: -1 }, "maxAgeMonths"],
    ["a fractional age", { today, maxAgeMonths: 1.5 }, "maxAgeMonths"],
  ])("refuses bad options: %s", (_case, opts, field) => {
    expect(() => checkPoe(valid, claim, opts)).toThrow(ValidationError);
    try {
      checkPoe(valid, claim, opts);
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual([field]);
    }
  });
});

describe("poeProblemsAsIssues", () => {
  it("maps each problem to its field and message, in order", () => {
    const problems = checkPoe({ ...valid, documentName: "", workloads: [] }, claim, options);
    expect(poeProblemsAsIssues(problems)).toEqual([
      { path: "documentName", message: problems[0]?.message },
      { path: "workloads", message: problems[1]?.message },
    ]);
  });
});

describe("poeSubmission schema", () => {
  const issuePaths = (input: unknown): string[] => {
    const result = poeSubmission.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
  };

  it("accepts a complete PoE and normalises IDs to lower case", () => {
    const parsed = poeSubmission.parse({ ...valid, customerTenantId: tenantId.toUpperCase() });
    expect(parsed).toEqual(valid);
  });

  it("leaves Microsoft's rejection reasons to checkPoe: absent and empty fields parse", () => {
    expect(issuePaths({})).toEqual([]);
    const empty = {
      documentName: "",
      documentBase64: "",
      customerSignerName: "",
      customerSignerEmail: "",
      signedDate: "",
      servicesDescription: "",
      workloads: [],
    };
    expect(issuePaths(empty)).toEqual([]);
    expect(checkPoe(poeSubmission.parse(empty), claim, options)).toHaveLength(7);
  });

  it("rejects an unknown key", () => {
    const result = poeSubmission.safeParse({ ...valid, signature: "yes" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["signature"] });
  });

  it.each<[string, Partial<Record<keyof PoeSubmission, unknown>>, string]>([
    ["a bad email", { customerSignerEmail: "ada-at-contoso" }, "customerSignerEmail"],
    ["a day-first date", { signedDate: "15/06/2024" }, "signedDate"],
    ["an unpadded date", { signedDate: "2024-6-1" }, "signedDate"],
    ["a date that does not exist", { signedDate: "2023-02-29" }, "signedDate"],
    ["a timestamp for a date", { signedDate: "2024-06-01T00:00:00Z" }, "signedDate"],
    ["a path for a document name", { documentName: "../../etc/passwd" }, "documentName"],
    ["a non-base64 character", { documentBase64: "JVBE$i0x" }, "documentBase64"],
    ["base64 without padding", { documentBase64: "JVBERi0xLjc" }, "documentBase64"],
    ["padding in the middle", { documentBase64: "JV==Ri0x" }, "documentBase64"],
    ["an unknown workload", { workloads: ["teams", "skype"] }, "workloads.1"],
    ["a repeated workload", { workloads: ["teams", "intune", "teams"] }, "workloads.2"],
    ["a tenant that is no GUID", { customerTenantId: "contoso" }, "customerTenantId"],
    ["a custom domain", { customerDomain: "contoso.com" }, "customerDomain"],
    [
      "a services description over 4000 characters",
      { servicesDescription: "x".repeat(4001) },
      "servicesDescription",
    ],
    ["a signer name over 200 characters", { customerSignerName: "x".repeat(201) }, "customerSignerName"],
    ["a number for a name", { customerSignerName: 42 }, "customerSignerName"],
  ])("rejects %s, naming the field", (_case, patch, path) => {
    expect(issuePaths({ ...valid, ...patch })).toEqual([path]);
  });

  describe("document size (10 MiB decoded, computed from length and padding)", () => {
    // 10 MiB = 3 × 3,495,253 + 1 bytes: the last 4-character group carries one byte and "==".
    const groups = Math.ceil(maxPoeDocumentBytes / 3);

    it.each([
      ["exactly 10 MiB", "A".repeat(groups * 4 - 2) + "==", maxPoeDocumentBytes, true],
      ["a byte under 10 MiB", "A".repeat((groups - 1) * 4), maxPoeDocumentBytes - 1, true],
      ["a byte over 10 MiB", "A".repeat(groups * 4 - 1) + "=", maxPoeDocumentBytes + 1, false],
      ["two bytes over 10 MiB", "A".repeat(groups * 4), maxPoeDocumentBytes + 2, false],
      ["far over 10 MiB", "A".repeat((groups + 1000) * 4), maxPoeDocumentBytes + 3002, false],
    ])("%s", (_case, documentBase64, size, accepted) => {
      expect(base64DecodedSize(documentBase64)).toBe(size);
      expect(issuePaths({ ...valid, documentBase64 })).toEqual(accepted ? [] : ["documentBase64"]);
    });
  });

  it.each([
    ["", 0],
    ["QQ==", 1],
    ["QUI=", 2],
    ["QUJD", 3],
    ["JVBERi0xLjcK", 9],
  ])("base64DecodedSize(%j) = %i", (text, size) => {
    expect(base64DecodedSize(text)).toBe(size);
    expect(Buffer.from(text, "base64")).toHaveLength(size);
  });
});
