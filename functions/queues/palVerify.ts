import { app, type InvocationContext } from "@azure/functions";
import { verifyPalLink } from "../../src/app/palLinks";
import { ConflictError, NotFoundError } from "../../src/domain/errors";
import { palVerifyMessage } from "../../src/integrations/palVerifyQueue";
import { palPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";
import { withoutWorkflows } from "../../src/app/lifecycle";

export const palVerifyLinkName = "palVerifyLink";

/**
 * Checks one PAL link at ARM (queue PAL_VERIFY_QUEUE, message `{partnerId, associationId}` from the
 * verification timer) through `verifyPalLink`. A link removed or gone meanwhile is logged and the
 * message completes; ARM or storage failing transiently throws, so the host retries (then
 * `<queue>-poison`). Logs name the link and what was found, never a secret.
 */
export async function palVerifyLinkHandler(queueEntry: unknown, context: InvocationContext): Promise<void> {
  const message = readQueueMessage(palVerifyMessage, queueEntry, context, {
    tag: palVerifyLinkName,
    label: "PAL verification",
    poisonQueue: "pal-verify-poison",
  });
  const tag = `${palVerifyLinkName}: link ${message.associationId}`;
  try {
    const link = await verifyPalLink(palPorts(), withoutWorkflows, message);
    context.log(`${tag}: ${link.status}, drift ${link.pal?.drift ?? "none"}`);
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) {
      context.warn(`${tag}: not verified: ${err.message}`);
      return;
    }
    throw err;
  }
}

app.storageQueue(palVerifyLinkName, {
  // An app setting (`PAL_VERIFY_QUEUE`), so side-by-side deployments and tests keep apart.
  queueName: "%PAL_VERIFY_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: palVerifyLinkHandler,
});
