import type { EmailSettings } from "../../config/settings";
import { AcsEmailSender } from "./acsSender";
import type { EmailSender } from "./emailSender";
import { OutboxEmailSender } from "./outboxSender";
import { SmtpEmailSender } from "./smtpSender";

/**
 * The adapter `EMAIL_TRANSPORT` names: `outbox` (local default: the outbox row is the message),
 * `smtp` (nodemailer) or `acs` (Azure Communication Services Email). Construction checks the
 * adapter's settings and fails with the variable named; it never touches the network.
 */
export function createEmailSender(settings: EmailSettings): EmailSender & { readonly transport: string } {
  switch (settings.transport) {
    case "smtp":
      return new SmtpEmailSender({
        host: settings.host,
        port: settings.port,
        user: settings.user,
        password: settings.password,
      });
    case "acs":
      return new AcsEmailSender({ connectionString: settings.connectionString });
    case "outbox":
      return new OutboxEmailSender();
  }
}
