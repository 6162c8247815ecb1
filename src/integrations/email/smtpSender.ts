import nodemailer, { type Transporter } from "nodemailer";
import { NonRetriableError, TransientDependencyError } from "../../domain/errors";
import type { EmailMessage, EmailSender } from "./emailSender";

export interface SmtpOptions {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  /** Connection, greeting and idle-socket limits; defaults suit a relay on the same network or a cloud relay. */
  timeoutMs?: number;
}

/** Codes nodemailer sets without an SMTP reply where trying again cannot help. */
const permanentCodes = new Set(["ECONFIG", "ENOAUTH", "EENVELOPE", "EMESSAGE"]);

/**
 * SMTP through nodemailer: implicit TLS on port 465 (`secure`), otherwise STARTTLS when the
 * server offers it. One connection per message: the consent emails are few, and a pooled connection
 * would outlive a Functions invocation. Resolves with the Message-ID the message went out with.
 *
 * Failures follow RFC 5321's reply classes: a permanent rejection (5yz except 503, a bad envelope,
 * rejected credentials) is a NonRetriableError; connection trouble and 4yz replies are a
 * TransientDependencyError, so the activity's retry policy sends again.
 */
export class SmtpEmailSender implements EmailSender {
  readonly transport = "smtp";
  private readonly transporter: Transporter;

  constructor(options: SmtpOptions) {
    if (!options.host) throw new Error("SMTP_HOST: is required for the smtp email transport");
    const timeout = options.timeoutMs ?? 30_000;
    this.transporter = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.port === 465,
      ...(options.user ? { auth: { user: options.user, pass: options.password ?? "" } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  async send(message: EmailMessage): Promise<{ providerMessageId: string }> {
    try {
      const info = await this.transporter.sendMail({
        from: message.from,
        to: message.to,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      return { providerMessageId: info.messageId };
    } catch (err) {
      throw classify(err);
    }
  }
}

function classify(err: unknown): Error {
  const e = (err ?? {}) as { code?: string; responseCode?: number; permanent?: boolean; message?: string };
  const detail = `SMTP send failed: ${e.message ?? String(err)}`;
  const permanent =
    e.permanent === true ||
    (e.responseCode === undefined && e.code !== undefined && permanentCodes.has(e.code));
  return permanent
    ? new NonRetriableError(detail, { cause: err })
    : new TransientDependencyError(detail, { cause: err });
}
