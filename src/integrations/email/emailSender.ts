/**
 * The port every email leaves through. Adapters: outbox (local: the outbox row is the message),
 * SMTP (nodemailer) and Azure Communication Services Email (production).
 */
export interface EmailMessage {
  to: string;
  from: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
}

export interface EmailSender {
  /** Sends one message; resolves with the provider's message ID when it gives one. */
  send(message: EmailMessage): Promise<{ providerMessageId?: string }>;
}
