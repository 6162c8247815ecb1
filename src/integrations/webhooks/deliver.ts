import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { judgeDestination } from "../../domain/webhookDestination";
import { DestinationRefusedError, guardedLookup, systemResolver, type ResolveHost } from "./destinationGuard";
import { signWebhook, webhookIdHeader, webhookSignatureHeader } from "./signature";

/**
 * One HTTP attempt to deliver one webhook event. Retrying is the caller's business (the queue
 * trigger throws and the host redelivers), so this never throws for what the receiver or the
 * network did: it answers `ok` (a 2xx) or not, with the status when there was an answer.
 *
 * The destination is judged again on every attempt (src/domain/webhookDestination.ts): the URL
 * may have been stored under other rules or another allow list, and a name may resolve elsewhere
 * now than at registration (DNS rebinding). A name's addresses are checked inside the connection's
 * own lookup, so the address checked is the address connected to. A refused destination is never
 * connected to and comes back as `refused`.
 */
export interface WebhookDelivery {
  url: string;
  /** The partner's signing secret; it signs the body and is never sent or logged. */
  secret: string;
  /** The JSON body, exactly as sent and signed. */
  body: string;
  /** Sent as `Webhook-Id`: the same on every attempt, so receivers can drop duplicates. */
  eventId: string;
  /** The signing time (`t=` of `Webhook-Signature`). */
  now: Date;
  /** Hosts exempt from the address rules, which may also use http (WEBHOOK_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  /** How names become addresses; default the system resolver. */
  resolve?: ResolveHost;
  /** The whole attempt, name lookup to response headers; default 10 s. */
  timeoutMs?: number;
}

export interface DeliveryResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The receiver's HTTP status; undefined when none came (refused, timed out, TLS failure). */
  status: number | undefined;
  /** Why no answer came, for the logs (never the secret, never the body). */
  error?: string;
  /** Set when the destination broke the rules and nothing was sent: why (host, never path). */
  refused?: string;
}

export const webhookUserAgent = "partner-of-record-webhooks/1";
export const defaultDeliveryTimeoutMs = 10_000;

export async function deliverWebhook(delivery: WebhookDelivery): Promise<DeliveryResult> {
  const verdict = judgeDestination(delivery.url, delivery.allowedHosts);
  if (verdict.kind === "refused") return { ok: false, status: undefined, refused: verdict.reason };
  const timeoutMs = delivery.timeoutMs ?? defaultDeliveryTimeoutMs;
  const lookup = guardedLookup(delivery.resolve ?? systemResolver, verdict.kind === "name");
  try {
    const status = await post(new URL(delivery.url), headersFor(delivery), delivery.body, lookup, timeoutMs);
    return { ok: status >= 200 && status < 300, status };
  } catch (err) {
    if (err instanceof DestinationRefusedError) return { ok: false, status: undefined, refused: err.message };
    return { ok: false, status: undefined, error: describeFailure(err, timeoutMs) };
  }
}

function headersFor(delivery: WebhookDelivery): OutgoingHttpHeaders {
  return {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(delivery.body),
    "user-agent": webhookUserAgent,
    [webhookIdHeader]: delivery.eventId,
    [webhookSignatureHeader]: signWebhook(delivery.secret, delivery.body, delivery.now),
  };
}

/**
 * POSTs `body` and answers the status. node:http follows no redirect: a 3xx is an answer like any
 * other, and the registered URL is the only target. A fresh connection per attempt (no agent), so
 * every attempt resolves and checks the name again. The answer's body means nothing to us: the
 * connection is dropped without reading it.
 */
function post(
  url: URL,
  headers: OutgoingHttpHeaders,
  body: string,
  lookup: LookupFunction,
  timeoutMs: number,
): Promise<number> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: "POST", headers, lookup, agent: false, signal: AbortSignal.timeout(timeoutMs) },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** Name the timeout, or the network error code (`ECONNREFUSED`), for the logs. */
function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
    return `no answer within ${timeoutMs} ms`;
  const code = errorCode(err) ?? errorCode(err instanceof Error ? err.cause : undefined);
  const message = err instanceof Error ? err.message || err.name : String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}
