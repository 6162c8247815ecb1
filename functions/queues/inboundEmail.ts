import { app, type InvocationContext } from "@azure/functions";
import { deliverCustomerAction } from "../../src/app/customerActions";
import { verifyConsentTokenWithKeys } from "../../src/auth/consentToken";
import { NonRetriableError } from "../../src/domain/errors";
import {
  inboundEmailMessage,
  isFromCustomer,
  parseInboundReply,
  type InboundEmailMessage,
} from "../../src/integrations/email/inboundReply";
import { consentKeysOf, customerChannelPorts, type CustomerChannelPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";
import { withDurableClient } from "../workflows";

export const inboundEmailName = "inboundEmail";
/** The queue name is an app setting (`%INBOUND_EMAIL_QUEUE%`, "inbound-email" in the example settings). */
export const inboundEmailQueue = "%INBOUND_EMAIL_QUEUE%";

/**
 * Customer replies to the consent email (queue `inbound-email`, JSON `{messageId, from, to, subject,
 * text, receivedAt}` from the mail ingress). A reply whose first word is REFUSE or CANCEL, carrying
 * a valid consent token (reply address `consent+<token>@…` or a consent link in the quoted text),
 * from the claim's customer contact, is the customer's refusal or cancellation: handed to
 * `deliverCustomerAction`, exactly as the consent page does, with the message ID as the decision's
 * key (a redelivered message applies nothing twice).
 *
 * Everything else is logged and dropped (the message completes): a reply without a command, a bad
 * or expired token, another sender, an association already over.
 * A message that is not JSON or not the schema throws NonRetriableError: the host still tries it
 * `maxDequeueCount` times (host.json), then moves it to `inbound-email-poison` for an operator.
 * Storage or Durable failures throw plain errors, so the host's retries take care of them.
 */

export type InboundEmailPorts = CustomerChannelPorts;

export function createInboundEmailHandler(getInboundPorts: () => InboundEmailPorts) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const message = readMessage(queueEntry, context);
    const ports = getInboundPorts();
    const keys = await consentKeysOf(ports);
    if (keys.length === 0) {
      context.error("inboundEmail: CONSENT_SIGNING_KEY is not set; replies cannot be checked");
      throw new NonRetriableError("CONSENT_SIGNING_KEY: is required to process consent replies");
    }
    const now = ports.now?.() ?? new Date();
    const tag = `inboundEmail: message ${message.messageId}`;

    const reply = parseInboundReply(message, {
      verifyToken: (token) => verifyConsentTokenWithKeys(keys, token, now),
    });
    if (reply.kind === "ignored") {
      const about = reply.associationId ? ` (association ${reply.associationId})` : "";
      context.log(`${tag}${about} ignored: ${reply.why}`);
      return;
    }

    const found = await ports.store.associations.find(reply.partnerId, reply.associationId);
    if (!found) {
      context.warn(`${tag} ignored: association ${reply.associationId} was not found`);
      return;
    }
    const association = found.value;
    const customerEmail = customerEmailOf(association.request);
    if (!customerEmail || !isFromCustomer(reply, customerEmail)) {
      context.warn(`${tag} ignored: association ${association.id}: the sender is not the customer contact`);
      return;
    }
    const outcome = await deliverCustomerAction(ports.lifecycle, ports.workflows(context), {
      association,
      requested: reply.command,
      reason: reply.reason,
      via: "email-reply",
      messageId: message.messageId,
      at: now.toISOString(),
    });
    if (outcome.kind === "closed") {
      context.log(`${tag} ignored: association ${association.id} is already ${association.status}`);
      return;
    }
    const mapped =
      outcome.kind === "recorded" && outcome.action !== reply.command
        ? ` (asked to ${reply.command}; read as ${outcome.action})`
        : "";
    context.log(`${tag}: ${outcome.kind} ${outcome.action} on association ${association.id}${mapped}`);
  };
}

/** The queue message as the schema wants it; anything else is poison. */
function readMessage(queueEntry: unknown, context: InvocationContext): InboundEmailMessage {
  return readQueueMessage(inboundEmailMessage, queueEntry, context, {
    tag: "inboundEmail",
    label: "inbound email",
    poisonQueue: "inbound-email-poison",
  });
}

function customerEmailOf(request: object): string | undefined {
  const contact = (request as { customerContact?: { email?: unknown } }).customerContact;
  return typeof contact?.email === "string" ? contact.email : undefined;
}

app.storageQueue(inboundEmailName, {
  queueName: inboundEmailQueue,
  connection: "AzureWebJobsStorage",
  ...withDurableClient,
  handler: createInboundEmailHandler(customerChannelPorts),
});
