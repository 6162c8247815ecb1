import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { NonRetriableError } from "../../domain/errors";
import { describeKind, judgeDestination, nonPublicAddress } from "../../domain/webhookDestination";

/**
 * The DNS half of the webhook destination rules (src/domain/webhookDestination.ts): a name is
 * judged by every address it resolves to, at registration and again on every connection of every
 * delivery, since a name's answers can change in between (DNS rebinding).
 */

/** Every address a name resolves to, as `dns.lookup` answers with `all: true`. */
export type ResolveHost = (host: string) => Promise<readonly LookupAddress[]>;

/**
 * The system resolver (getaddrinfo: the hosts file, then DNS), the one node:http connects with,
 * so what registration checks is what a delivery would reach.
 */
export const systemResolver: ResolveHost = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/** A destination refused by the rules: retrying cannot help, the rules or the answers must change. */
export class DestinationRefusedError extends NonRetriableError {}

/** How long registration waits for DNS before accepting the name unchecked (delivery checks again). */
export const registrationLookupMs = 5_000;

/**
 * Why `url` may not be registered as a webhook (the message for field `url`), or undefined when it
 * may. A name that does not resolve now (unknown, or DNS unavailable or slow) is accepted: it
 * reaches nothing yet, and every delivery resolves it again and refuses a non-public answer.
 * The reason says what kind of address a name resolves to, never the address itself.
 */
export async function registrationRefusal(
  url: string,
  allowedHosts: readonly string[],
  resolve: ResolveHost = systemResolver,
): Promise<string | undefined> {
  const verdict = judgeDestination(url, allowedHosts);
  if (verdict.kind === "refused") return verdict.reason;
  if (verdict.kind !== "name") return undefined;
  const addresses = await withinMs(resolve(verdict.host), registrationLookupMs).catch(() => []);
  const found = nonPublicAddress(addresses.map((a) => a.address));
  return found && `must not resolve to ${describeKind(found.kind)} address (${verdict.host} does)`;
}

/**
 * A `lookup` for `http.request`/`https.request` that resolves with `resolve` and, when `guard` is
 * set, fails the connection with DestinationRefusedError unless every address is public. The check
 * is on the very answer the socket connects to, so no second resolution can slip a private address
 * in. Node calls it for names only: an IP literal is judged by `judgeDestination` beforehand.
 */
export function guardedLookup(resolve: ResolveHost, guard: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const addresses = answers.filter((a) => !options.family || a.family === options.family);
        const found = guard ? nonPublicAddress(answers.map((a) => a.address)) : undefined;
        const first = addresses[0];
        if (found)
          callback(
            new DestinationRefusedError(
              `${hostname} resolves to ${describeKind(found.kind)} address (${found.address})`,
            ),
            "",
          );
        else if (!first) callback(notFound(hostname), "");
        else if (options.all) callback(null, [...addresses]);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ""),
    );
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
