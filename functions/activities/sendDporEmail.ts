import { z } from "zod";
import { dporEmailSender, type SendDporEmailPorts } from "../../src/app/dporEmail";
import type { DeliveryResult } from "../../src/app/outboxDelivery";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const sendDporEmailName = "sendDporEmail";

export const sendDporEmailInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    /** The orchestration's time when it asked for the email: the outbox row's `createdAt`. */
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
    /** 0: the request; n ≥ 1: the n-th reminder. */
    reminder: z.number().int().min(0).max(99),
    expiresAt: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type SendDporEmailInput = z.infer<typeof sendDporEmailInput>;

/** Emails the customer contact the DPOR request or a reminder, once each (src/app/dporEmail.ts). */
export const sendDporEmail = defineActivity({
  name: sendDporEmailName,
  input: sendDporEmailInput,
  handler: (input, ports: SendDporEmailPorts): Promise<DeliveryResult> => dporEmailSender(ports)(input),
  ports: () => {
    const ports = getPorts();
    return {
      store: ports.store,
      sender: ports.emailSender,
      from: ports.settings.email.from,
    };
  },
});
