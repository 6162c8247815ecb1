import { randomUUID } from "node:crypto";
import type { EmailMessage, EmailSender } from "./emailSender";

/**
 * The local default: the outbox row the activity stored before calling `send` already holds the
 * whole message, so "sending" records nothing more. The synthetic ID (`outbox:<uuid>`) marks the
 * row as delivered by this adapter, for the dashboard and for tests.
 */
export class OutboxEmailSender implements EmailSender {
  readonly transport = "outbox";

  send(_message: EmailMessage): Promise<{ providerMessageId: string }> {
    return Promise.resolve({ providerMessageId: `outbox:${randomUUID()}` });
  }
}
