import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createAssociationInput } from "../../../../src/domain/schemas/createAssociation";
import { poeSubmission } from "../../../../src/domain/schemas/poeSubmission";
import { guid, longText, shortText } from "../../../../src/domain/schemas/primitives";
import { disputeInput, withdrawInput } from "../../../../src/domain/schemas/reasons";
import { putWebhookInput } from "../../../../src/domain/schemas/webhook";
import { cporRequest } from "../../../support/builders";

/** Text that no real claim carries: what a boundary schema refuses, and the rule it names. */
const messages = (schema: z.ZodType, value: unknown): string[] => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};
const paths = (schema: z.ZodType, value: unknown): string[] => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
};

const controls = "must not contain control characters";
const oneLine = "must be a single line (no line breaks)";
const unicode = "must be valid Unicode text";
const nil = "00000000-0000-0000-0000-000000000000";
const subscription = "5a1c9e7b-2d3f-4a6b-8c9d-0e1f2a3b4c5d";

describe("guid", () => {
  it("refuses the nil GUID, naming the rule", () => {
    expect(messages(guid, nil)).toEqual(["must not be the nil GUID"]);
  });

  it("accepts any other GUID, and still refuses what is no GUID with one message", () => {
    expect(guid.parse("00000000-0000-0000-0000-000000000001")).toBe("00000000-0000-0000-0000-000000000001");
    expect(messages(guid, "contoso")).toEqual(["must be a GUID"]);
  });
});

describe("shortText: one line of text (names, titles)", () => {
  it.each([
    ["NUL", "Megan\u0000Bowen", controls],
    ["BEL", "Megan\u0007Bowen", controls],
    ["ESC (a terminal escape)", "\u001b[31mMegan", controls],
    ["a vertical tab", "Megan\u000bBowen", controls],
    ["a tab", "Megan\tBowen", controls],
    ["DEL", "Megan\u007fBowen", controls],
    ["a C1 control (NEL)", "Megan\u0085Bowen", controls],
    ["a C1 control (CSI)", "Megan\u009b31mBowen", controls],
    ["a newline", "Megan\nBcc: eve@example.com", oneLine],
    ["a carriage return", "Megan\rBowen", oneLine],
    ["a line separator", "Megan\u2028Bowen", oneLine],
    ["a lone high surrogate", "Megan\uD800", unicode],
    ["a lone low surrogate", "\uDC00Megan", unicode],
    ["a surrogate pair in the wrong order", "Megan\uDC00\uD800", unicode],
  ])("refuses %s", (_case, text, message) => {
    expect(messages(shortText(), text)).toEqual([message]);
  });

  it.each(["Megan Bowen", "Zoë Ångström", "渡辺 健", "محمد بن سلمان", "Ada 👩‍💻 Lovelace", "O'Brien-Smith"])(
    "accepts %s",
    (name) => {
      expect(shortText().parse(name)).toBe(name);
    },
  );

  it("trims surrounding whitespace, line breaks included, before the rules apply", () => {
    expect(shortText().parse("  Megan Bowen\r\n")).toBe("Megan Bowen");
  });
});

describe("longText: free text over several lines (descriptions, reasons)", () => {
  it("keeps tabs, newlines and carriage returns", () => {
    const text = "Teams rollout:\r\n\t- adoption workshops\n\t- Exchange migration";
    expect(longText().parse(text)).toBe(text);
  });

  it.each([
    ["NUL", "Teams\u0000rollout", controls],
    ["BEL", "Teams\u0007rollout", controls],
    ["a form feed", "Teams\u000crollout", controls],
    ["DEL", "Teams\u007frollout", controls],
    ["a C1 control", "Teams\u0090rollout", controls],
    ["a lone surrogate", "Teams \uDBFF rollout", unicode],
  ])("refuses %s", (_case, text, message) => {
    expect(messages(longText(), text)).toEqual([message]);
  });
});

describe("every boundary schema applies the rules, naming the field", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ["the nil tenant", { customerTenantId: nil }, ["customerTenantId"]],
    [
      "the nil subscription",
      { workloads: undefined, subscriptionId: nil, licensingProgram: "ea" },
      ["subscriptionId"],
    ],
    [
      "a NUL in the customer's name",
      { customerContact: { name: "Megan\u0000", title: "CIO", email: "megan@contoso.com" } },
      ["customerContact.name"],
    ],
    [
      "a newline in the customer's title",
      { customerContact: { name: "Megan", title: "CIO\nBcc: eve@example.com", email: "megan@contoso.com" } },
      ["customerContact.title"],
    ],
    [
      "a lone surrogate in the partner's name",
      { partnerContact: { name: "Alex \uD83D", email: "alex@fabrikam-partner.com" } },
      ["partnerContact.name"],
    ],
    ["a newline in the claim name", { claimName: "Contoso\nmodern work" }, ["claimName"]],
    ["a BEL in the services in scope", { servicesInScope: "Teams\u0007 rollout" }, ["servicesInScope"]],
  ])("createAssociationInput refuses %s", (_case, override, expected) => {
    expect(paths(createAssociationInput, { ...cporRequest(), ...override })).toEqual(expected);
  });

  it("createAssociationInput keeps line breaks in the services in scope", () => {
    const servicesInScope = "Teams rollout\n- adoption workshops\n- Exchange migration";
    expect(paths(createAssociationInput, cporRequest({ servicesInScope }))).toEqual([]);
  });

  it("createAssociationInput refuses a nil object ID and a control in a PAL credential's name", () => {
    const pal = {
      type: "pal",
      partnerLocationId: "4871234",
      customerTenantId: subscription,
      credential: { kind: "user", objectId: nil, displayName: "Ops\u001b[2J" },
    };
    expect(paths(createAssociationInput, pal).sort()).toEqual([
      "credential.displayName",
      "credential.objectId",
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a NUL in the signer's name", { customerSignerName: "Ada\u0000" }, "customerSignerName"],
    ["a newline in the signer's name", { customerSignerName: "Ada\nLovelace" }, "customerSignerName"],
    ["a lone surrogate in the signer's name", { customerSignerName: "Ada \uDC01" }, "customerSignerName"],
    ["a BEL in the services description", { servicesDescription: "Teams\u0007" }, "servicesDescription"],
    ["a lone surrogate in the document name", { documentName: "sow\uD800.pdf" }, "documentName"],
    ["the nil tenant", { customerTenantId: nil }, "customerTenantId"],
  ])("poeSubmission refuses %s", (_case, patch, path) => {
    const poe = { documentName: "sow.pdf", customerSignerName: "Ada Lovelace", ...patch };
    expect(paths(poeSubmission, poe)).toEqual([path]);
  });

  it("poeSubmission still lets empty fields through to checkPoe, and keeps line breaks in the description", () => {
    const poe = { customerSignerName: "", servicesDescription: "Teams rollout\r\n\tExchange migration" };
    expect(paths(poeSubmission, poe)).toEqual([]);
  });

  it.each([
    ["withdraw", withdrawInput],
    ["dispute", disputeInput],
  ] as const)("the %s reason refuses controls and lone surrogates, keeps line breaks", (_name, schema) => {
    expect(messages(schema, { reason: "moved\u0000on" })).toEqual([controls]);
    expect(messages(schema, { reason: "moved \uD800 on" })).toEqual([unicode]);
    expect(messages(schema, { reason: "moved on.\n\nSee the signed SOW." })).toEqual([]);
  });

  it.each([
    ["a tab the URL parser would drop", "https://hooks.example.com/p\tor", controls],
    ["a trailing NUL the URL parser would drop", "https://hooks.example.com/por\u0000", controls],
    ["a newline", "https://hooks.example.com/\npor", oneLine],
    ["a lone surrogate the URL parser would replace", "https://hooks.example.com/\uD800", unicode],
  ])("putWebhookInput refuses %s, rather than storing another URL than was sent", (_case, url, message) => {
    expect(messages(putWebhookInput, { url })).toEqual([message]);
  });
});
