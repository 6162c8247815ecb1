import type { Association } from "../domain/association";
import { resolveCustomerAction, type CustomerAction } from "../domain/customerActions";
import { decide, type LifecyclePorts, type Workflows } from "./lifecycle";
import { derivedId } from "./operationIds";
import type { StatusPorts } from "./statusChanges";

/** Where a customer's decision came from. */
export type CustomerChannel = "consent-page" | "email-reply";

export interface CustomerActionRequest {
  association: Association;
  requested: CustomerAction;
  reason: string | undefined;
  via: CustomerChannel;
  /**
   * What makes two deliveries the same decision: an email's message ID; for the page, nothing
   * (the association's state is the key: a second POST of the same decision finds it applied).
   */
  messageId?: string | undefined;
  at: string;
}

export type CustomerActionOutcome =
  | { kind: "recorded"; action: CustomerAction; requested: CustomerAction; association: Association }
  | { kind: "already-recorded"; action: CustomerAction; association: Association }
  | { kind: "closed"; association: Association };

/**
 * The one way a customer's refusal or cancellation reaches an association, from the consent page
 * or an email reply: read as the action that fits the status (a cancel before approval is a
 * refusal), applied at once through the lifecycle gateway, and only then reported as recorded.
 * Nothing is marked "handled" before the change is applied, so a failure anywhere lets the customer
 * (or the queue) simply try again:
 * - the change ID is derived from the decision (message ID, or the status it was taken in), so two
 *   concurrent deliveries of one decision apply it once;
 * - a decision already applied (the association's last change is the customer's) answers
 *   "already recorded" and finishes its effects and the workflow's notice again, in case the
 *   first delivery died between them;
 * - a status with nothing left to decide (rejected, over) answers "closed".
 */
export async function deliverCustomerAction(
  ports: LifecyclePorts & StatusPorts,
  workflows: Workflows,
  request: CustomerActionRequest,
): Promise<CustomerActionOutcome> {
  const { association, requested } = request;
  const last = association.lastChange;
  const resolved = resolveCustomerAction(requested, association.status);
  if (!resolved) {
    if (!last || last.actor !== "customer") return { kind: "closed", association };
    const finished = await decide(ports, workflows, { ...changeOf(request), changeId: last.id, to: last.to });
    return {
      kind: "already-recorded",
      action: last.from === "Approved" ? "cancel" : "refuse",
      association: finished,
    };
  }
  const changeId = derivedId(
    "customer",
    association.id,
    request.messageId ?? `${resolved.action}|${association.status}|${association.statusChangedAt}`,
  );
  const updated = await decide(ports, workflows, {
    ...changeOf(request),
    changeId,
    to: "Rejected",
    reason: `${resolved.action === "cancel" ? "the customer cancelled the association" : "the customer refused the association"}: ${request.reason ?? "no reason given"} (${request.via})`,
  });
  return { kind: "recorded", action: resolved.action, requested, association: updated };
}

function changeOf(request: CustomerActionRequest) {
  return {
    partnerId: request.association.partnerId,
    associationId: request.association.id,
    actor: "customer" as const,
    reason: "",
    at: request.at,
  };
}
