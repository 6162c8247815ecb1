import { z } from "zod";
import type { ConsentTokenResult } from "../../auth/consentToken";
import type { CustomerAction } from "../../domain/customerActions";

/**
 * Customer replies to the consent email, as the mail ingress puts them on the `inbound-email` queue.
 * Unknown fields are dropped rather than refused: the producer is a mail-parsing service that may
 * add headers or an HTML body, and a reply must not end in the poison queue for that.
 */
export const inboundEmailMessage = z.object({
  messageId: z.string().trim().min(1).max(998),
  from: z.string().trim().min(1).max(998),
  /** The To header (or the envelope recipients): one string, possibly a list, or an array. */
  to: z.union([z.string().max(8000), z.array(z.string().max(998)).max(100)]),
  subject: z.string().max(8000).default(""),
  text: z.string().max(256 * 1024),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type InboundEmailMessage = z.infer<typeof inboundEmailMessage>;

export type InboundReply =
  | {
      kind: "command";
      command: CustomerAction;
      associationId: string;
      partnerId: string;
      /** The bare sender address, lower-case. */
      sender: string;
      /** What the customer wrote after the command word, or a default sentence. */
      reason: string;
      tokenFrom: "address" | "text";
    }
  | {
      kind: "ignored";
      why: "no-command" | "no-token" | "invalid-token" | "expired-token";
      /** Set when a valid token was found, for the log line. */
      associationId?: string;
    };

export interface InboundReplyOptions {
  verifyToken: (token: string) => ConsentTokenResult;
}

/** `consent+<token>@domain`: the token is the plus-address detail. */
const plusAddressToken = /\+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)@/g;
/** `…/consent/<token>` in a link, quoted or not. */
const urlToken = /\/consent\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/g;

/** A Map, not an object: a reply starting "Constructor" or "toString" must find nothing. */
const commands: ReadonlyMap<string, CustomerAction> = new Map([
  ["refuse", "refuse"],
  ["cancel", "cancel"],
]);

/**
 * Reads a reply: the consent token from the reply address (plus-addressing) or, failing that,
 * from a consent link in the text (the quoted original; also inside a URL-encoded link-scanner
 * wrapper), and the command from the first word of the text, REFUSE or CANCEL in any case.
 * The sender is not checked here (that needs the association): see `isFromCustomer`.
 */
export function parseInboundReply(message: InboundEmailMessage, options: InboundReplyOptions): InboundReply {
  const token = findToken(message, options.verifyToken);
  if (token.kind !== "found") return { kind: "ignored", why: token.kind };
  const { verified, from } = token;

  const written = ownText(message.text);
  const word = /^[\p{L}]+/u.exec(written)?.[0]?.toLowerCase();
  const command = word === undefined ? undefined : commands.get(word);
  if (!command) return { kind: "ignored", why: "no-command", associationId: verified.associationId };

  const rest = written
    .slice(word?.length ?? 0)
    .replace(/^[\s:;,.!\-–—]+/u, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 1000);
  return {
    kind: "command",
    command,
    associationId: verified.associationId,
    partnerId: verified.partnerId,
    sender: senderAddress(message.from),
    reason: rest || `The customer replied ${command.toUpperCase()} to the consent email.`,
    tokenFrom: from,
  };
}

/** Whether the reply came from the customer contact on the claim (addresses compared case-insensitively). */
export function isFromCustomer(reply: { sender: string }, customerEmail: string): boolean {
  return senderAddress(reply.sender) === customerEmail.trim().toLowerCase();
}

/** The bare address of a From header: `"Megan" <megan@contoso.com>` → `megan@contoso.com`. */
export function senderAddress(from: string): string {
  const bracketed = [...from.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].at(-1)?.[1];
  return (bracketed ?? from).trim().toLowerCase();
}

type Verified = Extract<ConsentTokenResult, { ok: true }>;

function findToken(
  message: InboundEmailMessage,
  verify: (token: string) => ConsentTokenResult,
):
  | { kind: "found"; verified: Verified; from: "address" | "text" }
  | { kind: "no-token" | "invalid-token" | "expired-token" } {
  const recipients = Array.isArray(message.to) ? message.to.join(", ") : message.to;
  const candidates: { token: string; from: "address" | "text" }[] = [
    ...matches(plusAddressToken, recipients).map((token) => ({ token, from: "address" as const })),
    ...matches(urlToken, message.text).map((token) => ({ token, from: "text" as const })),
    ...matches(urlToken, percentDecoded(message.text)).map((token) => ({ token, from: "text" as const })),
  ];
  if (candidates.length === 0) return { kind: "no-token" };
  let expired = false;
  const seen = new Set<string>();
  for (const { token, from } of candidates) {
    if (seen.has(token)) continue;
    seen.add(token);
    const result = verify(token);
    if (result.ok) return { kind: "found", verified: result, from };
    if (result.reason === "expired") expired = true;
  }
  return { kind: expired ? "expired-token" : "invalid-token" };
}

function matches(pattern: RegExp, text: string): string[] {
  return [...text.matchAll(pattern)].map((m) => m[1]).filter((t): t is string => t !== undefined);
}

/** Link scanners (Safe Links) rewrite links as `…?url=https%3A%2F%2F…%2Fconsent%2F<token>&…`. */
function percentDecoded(text: string): string {
  if (!text.includes("%2F") && !text.includes("%2f")) return "";
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * What the customer wrote themselves: the text up to the quoted original (a `>` line, an
 * "On … wrote:" line, Outlook's "-----Original Message-----" or "From:" header block, or a rule).
 */
function ownText(text: string): string {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const end = lines.findIndex(
    (line) =>
      /^\s*>/.test(line) ||
      /^\s*On\b.*\bwrote:\s*$/i.test(line) ||
      /^\s*-{2,}\s*Original Message\s*-{2,}/i.test(line) ||
      /^\s*From:\s/i.test(line) ||
      /^\s*_{10,}\s*$/.test(line),
  );
  return (end === -1 ? lines : lines.slice(0, end)).join("\n").trim();
}
