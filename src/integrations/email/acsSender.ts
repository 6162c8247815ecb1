import { EmailClient } from "@azure/communication-email";
import { NonRetriableError, TransientDependencyError, ValidationError } from "../../domain/errors";
import type { EmailMessage, EmailSender } from "./emailSender";

export interface AcsOptions {
  connectionString: string;
  /** How often the send operation is polled. */
  pollIntervalMs?: number;
  /** How long to wait for ACS to finish the operation before giving up (as a transient failure). */
  timeoutMs?: number;
}

/** The shape the Azure portal shows under Keys; the SDK's own parser wants exactly this order. */
const connectionStringShape = /^endpoint=(https:\/\/[^;\s]+);accesskey=([^;\s]+);?$/i;

/**
 * Azure Communication Services Email: `beginSend` queues the message and returns a long-running
 * operation, polled until ACS reports it sent. Resolves with the operation ID (ACS has no
 * Message-ID of its own to give back).
 *
 * A bad connection string fails here, at construction, with the variable named and without echoing
 * the access key (the SDK's own message prints the whole string). HTTP 4xx other than 408/429 and a
 * Failed/Canceled operation are NonRetriableError; throttling, 5xx, network errors and timeouts are
 * TransientDependencyError.
 */
export class AcsEmailSender implements EmailSender {
  readonly transport = "acs";
  private readonly client: EmailClient;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;

  constructor(options: AcsOptions) {
    const connectionString = options.connectionString.trim();
    const match = connectionStringShape.exec(connectionString);
    if (!match || !isUrl(match[1] ?? ""))
      throw new ValidationError([
        {
          path: "ACS_CONNECTION_STRING",
          message:
            "must be endpoint=https://<resource>.communication.azure.com/;accesskey=<key>, as the Azure portal shows it under Keys",
        },
      ]);
    try {
      this.client = new EmailClient(connectionString);
    } catch (err) {
      throw new ValidationError(
        [{ path: "ACS_CONNECTION_STRING", message: "was rejected by the ACS Email client" }],
        { cause: scrub(err) },
      );
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  async send(message: EmailMessage): Promise<{ providerMessageId: string }> {
    try {
      const poller = await this.client.beginSend(
        {
          senderAddress: message.from,
          content: { subject: message.subject, plainText: message.text, html: message.html },
          recipients: { to: [{ address: message.to }] },
          ...(message.replyTo ? { replyTo: [{ address: message.replyTo }] } : {}),
        },
        { updateIntervalInMs: this.pollIntervalMs },
      );
      const result = await poller.pollUntilDone({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
      if (result.status !== "Succeeded")
        throw new NonRetriableError(
          `ACS email operation ${result.id} ended ${result.status}: ${result.error?.message ?? "no detail"}`,
        );
      return { providerMessageId: result.id };
    } catch (err) {
      throw classify(err);
    }
  }
}

function classify(err: unknown): Error {
  if (err instanceof NonRetriableError || err instanceof TransientDependencyError) return err;
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  const detail = `ACS email send failed: ${err instanceof Error ? err.message : String(err)}`;
  const permanent =
    typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return permanent
    ? new NonRetriableError(detail, { cause: err })
    : new TransientDependencyError(detail, { cause: err });
}

function isUrl(text: string): boolean {
  try {
    return new URL(text).hostname.length > 0;
  } catch {
    return false;
  }
}

/** The SDK's error quotes the connection string, access key included: keep only its class. */
function scrub(err: unknown): Error {
  return new Error(
    err instanceof Error ? `${err.name}: (message withheld: it contains the access key)` : "error",
  );
}
