import { describe, expect, it } from "vitest";
import { createConsentToken, verifyConsentToken } from "../../../src/auth/consentToken";
import {
  inboundEmailMessage,
  isFromCustomer,
  parseInboundReply,
  senderAddress,
  type InboundEmailMessage,
} from "../../../src/integrations/email/inboundReply";

const key = "k".repeat(32);
const now = new Date("2026-11-02T09:00:00Z");
const subject = { associationId: "3f0c1a7e-1d2b-4c3d-8e9f-0a1b2c3d4e5f", partnerId: "fabrikam" };
const token = createConsentToken(key, subject, new Date("2026-12-31T00:00:00Z"));
const expiredToken = createConsentToken(key, subject, new Date("2026-11-01T00:00:00Z"));
const verifyToken = (t: string) => verifyConsentToken(key, t, now);

const reply = (overrides: Partial<InboundEmailMessage> = {}): InboundEmailMessage => ({
  messageId: "<CAF=abc@mail.contoso.com>",
  from: '"Megan Bowen" <Megan@Contoso.com>',
  to: `Partner of Record <consent+${token}@partner-of-record.test>`,
  subject: "RE: Fabrikam registered as your Microsoft partner of record",
  text: "REFUSE",
  receivedAt: "2026-11-02T08:59:00Z",
  ...overrides,
});

const quoted = (link: string) =>
  [
    "",
    "On Mon, 2 Nov 2026 at 10:00, Partner of Record <no-reply@partner-of-record.test> wrote:",
    "> Fabrikam has registered with Microsoft as the partner of record for your organisation.",
    `> Review the claim: ${link}`,
  ].join("\n");

describe("parseInboundReply", () => {
  it("finds the token in the plus-addressed reply address", () => {
    expect(parseInboundReply(reply(), { verifyToken })).toEqual({
      kind: "command",
      command: "refuse",
      ...subject,
      sender: "megan@contoso.com",
      reason: "The customer replied REFUSE to the consent email.",
      tokenFrom: "address",
    });
  });

  it("finds the token in a consent link in the quoted original", () => {
    const message = reply({
      to: "no-reply@partner-of-record.test",
      text: `Cancel - we ended the engagement in October.${quoted(`https://por.example.com/api/consent/${token}`)}`,
    });
    expect(parseInboundReply(message, { verifyToken })).toMatchObject({
      kind: "command",
      command: "cancel",
      ...subject,
      reason: "we ended the engagement in October.",
      tokenFrom: "text",
    });
  });

  it("finds the token inside a link scanner's URL-encoded wrapper", () => {
    const wrapped = `https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fpor.example.com%2Fapi%2Fconsent%2F${token}&data=05%7C02`;
    const message = reply({ to: ["no-reply@partner-of-record.test"], text: `refuse${quoted(wrapped)}` });
    expect(parseInboundReply(message, { verifyToken })).toMatchObject({ kind: "command", ...subject });
  });

  it.each([
    ["REFUSE", "refuse"],
    ["refuse.", "refuse"],
    ["  Refuse: not our partner", "refuse"],
    ["CANCEL", "cancel"],
    ["cancel please", "cancel"],
  ])("reads the first word %j as %s", (text, command) => {
    expect(parseInboundReply(reply({ text }), { verifyToken })).toMatchObject({ kind: "command", command });
  });

  it.each([
    ["another first word", "Thanks, all good"],
    ["a command later on", "Hello, I want to REFUSE"],
    ["a near miss", "REFUSED"],
    ["an Object.prototype member", "Constructor of our agreement"],
    ["another one", "toString"],
    ["an empty reply", ""],
    ["a command only in the quote", `${quoted(`https://por.example.com/api/consent/${token}`)}\n> REFUSE`],
  ])("ignores %s", (_case, text) => {
    expect(parseInboundReply(reply({ text }), { verifyToken })).toEqual({
      kind: "ignored",
      why: "no-command",
      associationId: subject.associationId,
    });
  });

  it("ignores a reply without a token, with a tampered token, or with an expired one", () => {
    const plain = { to: "no-reply@partner-of-record.test" };
    expect(parseInboundReply(reply({ ...plain, text: "REFUSE" }), { verifyToken })).toEqual({
      kind: "ignored",
      why: "no-token",
    });
    const [payload = "", signature = ""] = token.split(".");
    const tampered = `${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    expect(parseInboundReply(reply({ to: `consent+${tampered}@x.test` }), { verifyToken })).toEqual({
      kind: "ignored",
      why: "invalid-token",
    });
    expect(parseInboundReply(reply({ to: `consent+${expiredToken}@x.test` }), { verifyToken })).toEqual({
      kind: "ignored",
      why: "expired-token",
    });
  });

  it("takes the first valid token when an invalid one comes first", () => {
    const message = reply({
      to: `consent+${expiredToken}@x.test`,
      text: `REFUSE${quoted(`https://por.example.com/api/consent/${token}`)}`,
    });
    expect(parseInboundReply(message, { verifyToken })).toMatchObject({ kind: "command", tokenFrom: "text" });
  });
});

describe("sender check", () => {
  it("accepts the customer contact, case-insensitively, with or without a display name", () => {
    const parsed = parseInboundReply(reply(), { verifyToken });
    if (parsed.kind !== "command") throw new Error("expected a command");
    expect(isFromCustomer(parsed, "megan@contoso.com")).toBe(true);
    expect(isFromCustomer(parsed, " MEGAN@contoso.COM ")).toBe(true);
    expect(senderAddress("megan@contoso.com")).toBe("megan@contoso.com");
  });

  it("rejects anyone else, including a display name that looks like the customer", () => {
    const other = parseInboundReply(reply({ from: "Mallory <mallory@evil.test>" }), { verifyToken });
    const spoofed = parseInboundReply(reply({ from: '"megan@contoso.com" <mallory@evil.test>' }), {
      verifyToken,
    });
    if (other.kind !== "command" || spoofed.kind !== "command") throw new Error("expected commands");
    expect(isFromCustomer(other, "megan@contoso.com")).toBe(false);
    expect(isFromCustomer(spoofed, "megan@contoso.com")).toBe(false);
  });
});

describe("inboundEmailMessage", () => {
  it("requires the fields the handler reads and drops unknown ones", () => {
    expect(inboundEmailMessage.safeParse({ messageId: "x" }).success).toBe(false);
    expect(inboundEmailMessage.parse({ ...reply(), html: "<p>REFUSE</p>" })).not.toHaveProperty("html");
    expect(inboundEmailMessage.safeParse({ ...reply(), receivedAt: "yesterday" }).success).toBe(false);
  });
});
