import { z } from "zod";
import { email } from "./schemas/primitives";

/**
 * An email the service sends, rendered and stored before it is sent: the outbox row is the
 * at-most-once guard (one message per association, kind and sequence) and the record of what was said.
 */
export const outboxMessageKinds = ["consent", "dpor-request", "dpor-reminder", "status-notice"] as const;

export const outboxMessage = z
  .object({
    partnerId: z.string().min(1).max(64),
    associationId: z.string().min(1).max(64),
    kind: z.enum(outboxMessageKinds),
    /** Which of several messages of one kind (the second reminder is 2); absent for a kind sent once. */
    sequence: z.number().int().min(1).max(99).optional(),
    to: email,
    from: email,
    replyTo: email.optional(),
    subject: z.string().min(1).max(400),
    text: z.string().min(1),
    html: z.string().min(1),
    createdAt: z.iso.datetime(),
    status: z.enum(["pending", "sent", "failed"]),
    sentAt: z.iso.datetime().optional(),
    /** The sender's message ID once sent (SMTP Message-ID, ACS operation ID). */
    providerMessageId: z.string().max(400).optional(),
    lastError: z.string().max(2000).optional(),
  })
  .strict();
export type OutboxMessage = z.infer<typeof outboxMessage>;

/** Which message a row is: one per association, kind and sequence. */
export interface OutboxKey {
  partnerId: string;
  associationId: string;
  kind: OutboxMessage["kind"];
  sequence?: number | undefined;
}
