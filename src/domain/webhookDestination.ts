import { z } from "zod";

/**
 * Where a partner's webhook may point: rules against server-side request forgery, decided without
 * I/O. A webhook is a URL a partner chooses and this service POSTs to, so a URL aimed at the
 * service's own machine or network (loopback, a private range, the cloud metadata endpoint at
 * 169.254.169.254) would let a partner reach what only the service should reach.
 *
 * - A URL must use https, carry no credentials, and name a public address or a DNS name. Every
 *   address a name resolves to must be public too: that part needs DNS, so it is checked where
 *   names are resolved (registration, and each connection of each delivery).
 * - Hosts on the allow list (setting WEBHOOK_ALLOWED_HOSTS) skip every address rule and may use
 *   plain http: tests and private deployments name their internal receivers there.
 * Hosts are compared in the form the WHATWG URL parser gives them (what fetch and node:http connect
 * to): `2130706433`, `0x7f.1` and `127.1` are all 127.0.0.1; `[::ffff:127.0.0.1]` is ::ffff:7f00:1.
 */

/** What kind of address it is; anything but "public" is refused unless its host is allow-listed. */
export type AddressKind =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "reserved";

/**
 * Not globally reachable (IANA special-purpose address registries), most specific first. "reserved"
 * gathers the ranges no receiver lives on: documentation, benchmarking, protocol assignments.
 */
const ipv4Ranges: readonly (readonly [string, number, AddressKind])[] = [
  ["0.0.0.0", 8, "unspecified"], // "this network"
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared"], // carrier-grade NAT
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"], // and the cloud metadata endpoint
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
  ["240.0.0.0", 4, "reserved"],
];

/**
 * IPv6 ranges that are not public in their own right. Forms that carry an IPv4 address (mapped,
 * IPv4-compatible, NAT64, 6to4) are judged by that address instead (`embeddedIpv4`).
 */
const ipv6Ranges: readonly (readonly [string, number, AddressKind])[] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "reserved"], // local-use NAT64: a private network's translator
  ["100::", 64, "reserved"], // discard-only
  ["2001::", 23, "reserved"], // protocol assignments: Teredo, benchmarking, ORCHID
  ["2001:db8::", 32, "reserved"], // documentation
  ["3fff::", 20, "reserved"], // documentation
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "reserved"], // site-local, deprecated
  ["ff00::", 8, "multicast"],
];

/**
 * The kind of an IP address as text (`127.0.0.1`, `::1`, `[::1]`, `fe80::1%eth0` as resolvers
 * answer link-local addresses); undefined when the text is not an IP address.
 */
export function classifyAddress(text: string): AddressKind | undefined {
  const address = parseAddress(text);
  if (!address) return undefined;
  if (address.family === 4) return kindIn(ipv4Ranges, address.value, 32) ?? "public";
  const embedded = embeddedIpv4(address.value);
  if (embedded) {
    const kind = kindIn(ipv4Ranges, embedded.value, 32) ?? "public";
    // IPv4-compatible addresses are deprecated (RFC 4291): no public receiver uses one.
    return kind === "public" && !embedded.translated ? "reserved" : kind;
  }
  const kind = kindIn(ipv6Ranges, address.value, 128);
  if (kind) return kind;
  // Only global unicast (2000::/3) is allocated to the public internet.
  return address.value >> 125n === 1n ? "public" : "reserved";
}

/**
 * The IPv4 address inside an IPv6 one that reaches it: IPv4-mapped `::ffff:a.b.c.d`, deprecated
 * IPv4-compatible `::a.b.c.d` (a stack may still route it to IPv4), NAT64 `64:ff9b::a.b.c.d` and
 * 6to4 `2002:aabb:ccdd::`. `translated` is true for the forms that are in use.
 */
function embeddedIpv4(value: bigint): { value: bigint; translated: boolean } | undefined {
  const low32 = value & 0xffff_ffffn;
  if (value >> 32n === 0xffffn) return { value: low32, translated: true };
  if (value >> 32n === 0n && value > 1n) return { value: low32, translated: false };
  if (value >> 32n === 0x0064_ff9b_0000_0000_0000_0000n) return { value: low32, translated: true };
  if (value >> 112n === 0x2002n) return { value: (value >> 80n) & 0xffff_ffffn, translated: true };
  return undefined;
}

function kindIn(
  ranges: readonly (readonly [string, number, AddressKind])[],
  value: bigint,
  bits: number,
): AddressKind | undefined {
  for (const [network, prefix, kind] of ranges) {
    const shift = BigInt(bits - prefix);
    if (value >> shift === networkValue(network) >> shift) return kind;
  }
  return undefined;
}

function networkValue(text: string): bigint {
  const address = parseAddress(text);
  if (!address) throw new Error(`not an address: ${text}`);
  return address.value;
}

type Address = { family: 4 | 6; value: bigint };

/**
 * An IP address as a number, read through the WHATWG host parser (so IPv4 in any form URLs accept
 * and IPv6 with an embedded dotted quad both work); undefined for a name or anything else.
 */
function parseAddress(text: string): Address | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, ""); // brackets; an IPv6 zone
  const host = urlHost(bare.includes(":") ? `[${bare}]` : bare);
  if (host === undefined) return undefined;
  if (host.startsWith("[")) return { family: 6, value: ipv6Value(host.slice(1, -1)) };
  const octets = host.split(".");
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o))) return undefined;
  return { family: 4, value: octets.reduce((n, o) => (n << 8n) | BigInt(o), 0n) };
}

/** `1:2::8` as serialized by the URL parser (hex groups, at most one `::`) as a 128-bit number. */
function ipv6Value(canonical: string): bigint {
  const [head = "", tail] = canonical.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].reduce((n, group) => (n << 16n) | BigInt(`0x${group}`), 0n);
}

/** The host of `http://<text>/` as the URL parser serializes it; undefined if that is no URL. */
function urlHost(text: string): string | undefined {
  if (!URL.canParse(`http://${text}/`)) return undefined;
  const url = new URL(`http://${text}/`);
  const plain = url.host === url.hostname && url.username === "" && url.password === "";
  return plain && url.pathname === "/" && url.search === "" && url.hash === "" ? url.hostname : undefined;
}

/**
 * A host as the allow list compares it: lower-case, IPv6 without brackets, no trailing dot
 * (`localhost.` and `localhost` are one DNS name), IPv4 dotted-decimal. Undefined when `text` is
 * not a bare host (it has a scheme, port, path, credentials or a character no host may have).
 */
export function canonicalHost(text: string): string | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1");
  const host = urlHost(bare.includes(":") ? `[${bare}]` : bare);
  if (host === undefined) return undefined;
  const canonical = host.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  const isName = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(canonical);
  return isName || parseAddress(canonical) ? canonical : undefined;
}

/**
 * Setting WEBHOOK_ALLOWED_HOSTS: comma-separated host names or IP literals, compared
 * case-insensitively with the webhook URL's host (no wildcards, no ports). Empty by default.
 */
export const webhookAllowedHosts = z.string().transform((text, ctx) => {
  const hosts: string[] = [];
  for (const entry of text.split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    const host = canonicalHost(entry);
    if (host === undefined)
      ctx.addIssue({
        code: "custom",
        message: `"${entry}" is not a host name or IP address (no scheme, port, path or wildcard)`,
      });
    else hosts.push(host);
  }
  return hosts;
});

/** What may be reached through a webhook URL, as far as the URL alone tells. */
export type DestinationVerdict =
  | { kind: "refused"; reason: string }
  /** On the allow list: any address, over http or https. */
  | { kind: "allow-listed"; host: string }
  /** A public IP address, connected to as written. */
  | { kind: "public-address"; host: string }
  /** A DNS name: every address it resolves to must be public (`nonPublicAddress`). */
  | { kind: "name"; host: string };

/**
 * Judges a webhook URL against the rules above. Reasons name the host (never the path, which may
 * carry a receiver's token), worded to follow the field name: "url: must use https".
 */
export function judgeDestination(url: string, allowedHosts: readonly string[]): DestinationVerdict {
  if (!URL.canParse(url)) return { kind: "refused", reason: "must be an absolute https URL" };
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return { kind: "refused", reason: "must be an https URL" };
  if (parsed.username !== "" || parsed.password !== "")
    return { kind: "refused", reason: "must not carry credentials (user:password@)" };
  const host = canonicalHost(parsed.hostname);
  if (host === undefined) return { kind: "refused", reason: "must name a host name or IP address" };
  if (allowedHosts.includes(host)) return { kind: "allow-listed", host };
  if (parsed.protocol !== "https:") return { kind: "refused", reason: "must use https" };
  const kind = classifyAddress(host);
  if (kind === "public") return { kind: "public-address", host };
  if (kind) return { kind: "refused", reason: `must not point at ${describeKind(kind)} address (${host})` };
  // RFC 6761: localhost and every name under it are loopback, whatever a resolver would answer.
  if (host === "localhost" || host.endsWith(".localhost"))
    return { kind: "refused", reason: `must not point at a loopback address (${host})` };
  return { kind: "name", host };
}

/** "a loopback", "the broadcast": the article and the kind, to go before "address". */
export function describeKind(kind: Exclude<AddressKind, "public"> | "unrecognised"): string {
  switch (kind) {
    case "shared":
      return "a shared (carrier-grade NAT)";
    case "broadcast":
      return "the broadcast";
    case "unspecified":
    case "unrecognised":
      return `an ${kind}`;
    default:
      return `a ${kind}`;
  }
}

/** The first of `addresses` that is not public (or not an address at all), with its kind. */
export function nonPublicAddress(
  addresses: readonly string[],
): { address: string; kind: Exclude<AddressKind, "public"> | "unrecognised" } | undefined {
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== "public") return { address, kind: kind ?? "unrecognised" };
  }
  return undefined;
}
