import { z } from "zod";
import {
  consentEmailSender,
  type SendConsentEmailPorts,
  type SendConsentEmailResult,
} from "../../src/app/consentEmail";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const sendConsentEmailName = "sendConsentEmail";

export const sendConsentEmailInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    /** The orchestration's time when it asked for the email: the outbox row's `createdAt`. */
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
    /** The earliest the refusal window can close; the email names it as the date to refuse by. */
    refusalWindowEndsAt: z.iso.datetime("must be an ISO 8601 UTC timestamp").optional(),
  })
  .strict();
export type SendConsentEmailInput = z.infer<typeof sendConsentEmailInput>;

/** Emails the customer the consent message, once per association (src/app/consentEmail.ts). */
export const sendConsentEmail = defineActivity({
  name: sendConsentEmailName,
  input: sendConsentEmailInput,
  handler: (input, ports: SendConsentEmailPorts): Promise<SendConsentEmailResult> =>
    consentEmailSender(ports)(input),
  ports: () => {
    const ports = getPorts();
    return {
      store: ports.store,
      sender: ports.emailSender,
      links: ports.links,
      from: ports.settings.email.from,
      replyTo: ports.settings.email.replyTo,
    };
  },
});

/** The activity over other ports (tests). */
export const createSendConsentEmail = (ports: SendConsentEmailPorts) => sendConsentEmail.bind(ports);
