import { createHash } from "node:crypto";
import { app, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { verifyConsentToken } from "../../src/auth/consentToken";
import { NonRetriableError } from "../../src/domain/errors";
import { lifecycleEvents, lifecycleSignal } from "../../src/domain/lifecycle";
import { resolveCustomerAction, type CustomerAction } from "../../src/http/consentPage";
import {
  inboundEmailMessage,
  isFromCustomer,
  parseInboundReply,
  type InboundEmailMessage,
} from "../../src/integrations/email/inboundReply";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";
import { raiseThroughDurableClient, type RaiseLifecycleEvent } from "../raiseLifecycleEvent";

export const inboundEmailName = "inboundEmail";
/** The queue name is an app setting (`%INBOUND_EMAIL_QUEUE%`, "inbound-email" in the example settings). */
export const inboundEmailQueue = "%INBOUND_EMAIL_QUEUE%";

/**
 * Customer replies to the consent email (queue `inbound-email`, JSON `{messageId, from, to, subject,
 * text, receivedAt}` from the mail ingress). A reply whose first word is REFUSE or CANCEL, carrying
 * a valid consent token (reply address `consent+<token>@…` or a consent link in the quoted text),
 * from the claim's customer contact, raises CustomerRefused / CustomerCancelled on the association's
 * orchestration, read as the one that fits the status, exactly as the consent page does.
 *
 * Everything else is logged and dropped (the message completes): a reply without a command, a bad
 * or expired token, another sender, an association already over, a message ID already processed.
 * A message that is not JSON or not the schema throws NonRetriableError: the host still tries it
 * `maxDequeueCount` times (host.json), then moves it to `inbound-email-poison` for an operator.
 * Storage or Durable failures throw plain errors, so the host's retries take care of them.
 */

export interface InboundEmailPorts {
  store: Store;
  signingKey: string | undefined;
  raise: RaiseLifecycleEvent;
  now?: () => Date;
}

/** Idempotency scope for processed message IDs. */
const dedupeScope = "inbound-email";

const eventFor: Readonly<Record<CustomerAction, string>> = {
  refuse: lifecycleEvents.customerRefused,
  cancel: lifecycleEvents.customerCancelled,
};

export function createInboundEmailHandler(getInboundPorts: () => InboundEmailPorts) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const message = readMessage(queueEntry, context);
    const ports = getInboundPorts();
    const key = ports.signingKey;
    if (!key) {
      context.error("inboundEmail: CONSENT_SIGNING_KEY is not set; replies cannot be checked");
      throw new NonRetriableError("CONSENT_SIGNING_KEY: is required to process consent replies");
    }
    const now = ports.now?.() ?? new Date();
    const tag = `inboundEmail: message ${message.messageId}`;

    const reply = parseInboundReply(message, { verifyToken: (token) => verifyConsentToken(key, token, now) });
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
    const resolved = resolveCustomerAction(reply.command, association.status);
    if (!resolved) {
      context.log(`${tag} ignored: association ${association.id} is already ${association.status}`);
      return;
    }

    const requestHash = hashOf(message);
    const started = await ports.store.idempotencyKeys.begin(dedupeScope, message.messageId, requestHash, now);
    if (started.outcome !== "started") {
      context.log(`${tag} skipped: already processed (${started.outcome})`);
      return;
    }
    const eventName = eventFor[resolved.action];
    try {
      await ports.raise(
        association.id,
        eventName,
        lifecycleSignal.parse({ reason: reply.reason, via: "email-reply" }),
        context,
      );
    } catch (err) {
      await ports.store.idempotencyKeys
        .abandon(dedupeScope, message.messageId, started.etag)
        .catch(() => undefined);
      throw err;
    }
    await ports.store.idempotencyKeys.complete(dedupeScope, message.messageId, started.etag, {
      status: 202,
      headers: {},
      body: JSON.stringify({ associationId: association.id, event: eventName }),
    });
    const mapped = resolved.mapped ? ` (asked to ${reply.command}; read as ${resolved.action})` : "";
    context.log(`${tag}: raised ${eventName} on association ${association.id}${mapped}`);
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

/** Same message ID with other content is a different message: the idempotency row tells them apart. */
function hashOf(message: InboundEmailMessage): string {
  const { from, to, subject, text } = message;
  return createHash("sha256").update(JSON.stringify({ from, to, subject, text })).digest("hex");
}

app.storageQueue(inboundEmailName, {
  queueName: inboundEmailQueue,
  connection: "AzureWebJobsStorage",
  extraInputs: [df.input.durableClient()],
  handler: createInboundEmailHandler(() => {
    const { store, settings, clock } = getPorts();
    return { store, signingKey: settings.consent.signingKey, raise: raiseThroughDurableClient, now: clock };
  }),
});
