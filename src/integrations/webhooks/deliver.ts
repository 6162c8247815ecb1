import { signWebhook, webhookIdHeader, webhookSignatureHeader } from "./signature";

/**
 * One HTTP attempt to deliver one webhook event. Retrying is the caller's business (the queue
 * trigger throws and the host redelivers), so this never throws for what the receiver or the
 * network did: it answers `ok` (a 2xx) or not, with the status when there was an answer.
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
  fetch?: typeof fetch;
  /** The whole attempt, connection to response headers; default 10 s. */
  timeoutMs?: number;
}

export interface DeliveryResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The receiver's HTTP status; undefined when none came (refused, timed out, TLS failure). */
  status: number | undefined;
  /** Why no answer came, for the logs (never the secret, never the body). */
  error?: string;
}

export const webhookUserAgent = "partner-of-record-webhooks/1";
export const defaultDeliveryTimeoutMs = 10_000;

export async function deliverWebhook(delivery: WebhookDelivery): Promise<DeliveryResult> {
  const send = delivery.fetch ?? fetch;
  const timeoutMs = delivery.timeoutMs ?? defaultDeliveryTimeoutMs;
  let response: Response;
  try {
    response = await send(delivery.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": webhookUserAgent,
        [webhookIdHeader]: delivery.eventId,
        [webhookSignatureHeader]: signWebhook(delivery.secret, delivery.body, delivery.now),
      },
      body: delivery.body,
      // A redirect is a failure, not a new target: the registered URL is the only one we post to.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { ok: false, status: undefined, error: describeFailure(err, timeoutMs) };
  }
  // The answer's body means nothing to us: release the connection without reading it.
  await response.body?.cancel().catch(() => undefined);
  return { ok: response.status >= 200 && response.status < 300, status: response.status };
}

/** `fetch failed` says little: name the timeout, or the network error code underneath. */
function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
    return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? err.cause : undefined;
  const code =
    typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${message} (${code})` : message;
}
