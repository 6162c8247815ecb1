import type { Association } from "../domain/association";
import { associationTypes, runsClaimLifecycle } from "../domain/associationTypes";
import { ConflictError, ValidationError } from "../domain/errors";
import { checkPoe, poeProblemsAsIssues, type PoeClaim } from "../domain/poe";
import { reviewableStatuses, reviewTarget, type ReviewOutcomeInput } from "../domain/review";
import type { PoeSubmission } from "../domain/schemas/poeSubmission";
import type { AssociationStatus } from "../domain/status";
import { checkDispute, machineOf, withdrawTarget } from "../domain/statusMachine";
import { afterDporChange } from "./dpor";
import { decide, type Workflows } from "./lifecycle";
import type { AppPorts } from "./ports";

/**
 * The partner's actions on a claim, each one use case: check what the action needs, then `decide`
 * (apply the status change at once, tell the workflow). Every action carries `changeId`, derived
 * from the partner's Idempotency-Key: a retry of an action whose change was already applied skips
 * the checks (they would now fail against the new status) and finishes what the first attempt began.
 */
export interface ClaimAction {
  partnerId: string;
  associationId: string;
  changeId: string;
}

/** The proof of execution fails Microsoft's checks: HTTP 422 listing every problem. */
export class PoeRejectedError extends ValidationError {}

/**
 * `POST /poe`: in Draft the claim is submitted (the workflow then emails the customer and review
 * starts); in PartnerActionRequired the corrected PoE answers the reviewer (→ UnderReview).
 */
export async function submitPoe(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction & { poe: PoeSubmission },
): Promise<Association> {
  const association = await load(ports, action);
  if (association.lastChange?.id !== action.changeId) {
    if (!associationTypes[association.kind].poeRequired)
      throw new ConflictError(
        `a ${associationTypes[association.kind].name} association needs no proof of execution; POST /submit sends it on`,
      );
    assertIn(association, ["Draft", "PartnerActionRequired"], "a proof of execution is accepted");
    await acceptPoe(ports, association, action.poe);
  }
  const to: AssociationStatus = association.status === "PartnerActionRequired" ? "UnderReview" : "Submitted";
  return decide(ports, workflows, {
    ...changeOf(ports, action),
    to,
    actor: "partner",
    reason: to === "Submitted" ? "proof of execution submitted" : "corrected proof of execution submitted",
    onlyFrom: [association.status],
  });
}

/** `POST /submit`: claims that need no proof of execution (RevRec, usage recognition) go to review. */
export async function submitClaim(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction,
): Promise<Association> {
  const association = await load(ports, action);
  if (association.lastChange?.id !== action.changeId) {
    if (!runsClaimLifecycle(association.kind))
      throw new ConflictError(
        `a ${associationTypes[association.kind].name} association is not a claim to submit`,
      );
    if (associationTypes[association.kind].poeRequired)
      throw new ConflictError(
        `a ${associationTypes[association.kind].name} association is submitted with its proof of execution: POST /poe`,
      );
    assertIn(association, ["Draft"], "a claim is submitted");
  }
  return decide(ports, workflows, {
    ...changeOf(ports, action),
    to: "Submitted",
    actor: "partner",
    reason: "claim submitted",
  });
}

/**
 * `POST /withdraw`: the partner ends a live association for good: a claim → RejectedFinal, a DPOR
 * request or a TPOR record → Withdrawn, a CSP relationship → Ended. A PAL link is removed at Azure
 * Resource Manager instead (`DELETE /api/v1/pal-links/{id}`), so withdrawing one is a 409 saying so.
 */
export async function withdraw(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction & { reason: string },
): Promise<Association> {
  const association = await load(ports, action);
  const to = withdrawTarget[machineOf(association.kind)];
  if (to === undefined)
    throw new ConflictError(
      `a ${associationTypes[association.kind].name} is removed with DELETE /api/v1/pal-links/${association.id}, which also removes it at Azure`,
    );
  const withdrawn = await decide(ports, workflows, {
    ...changeOf(ports, action),
    to,
    actor: "partner",
    reason: `the partner withdrew: ${action.reason}`,
  });
  await afterDporChange(ports, workflows, withdrawn);
  return withdrawn;
}

/**
 * `POST /dispute`: once, within the dispute window of a rejection, with a justification and
 * optionally an updated PoE (checked like any PoE). The units are claimed again in the same step.
 */
export async function dispute(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction & { reason: string; poe?: PoeSubmission | undefined },
): Promise<Association> {
  const association = await load(ports, action);
  const now = ports.clock().toISOString();
  if (association.lastChange?.id !== action.changeId) {
    checkDispute(association, now, ports.durations.disputeWindowMs);
    if (action.poe) await acceptPoe(ports, association, action.poe, "poe");
  }
  return decide(ports, workflows, {
    ...changeOf(ports, action),
    to: "Dispute",
    actor: "partner",
    reason: `the partner disputed the rejection: ${action.reason}`,
    alsoSet: () => ({ disputedAt: now }),
  });
}

/**
 * `POST /review`: the partner records the outcome Partner Center shows (reviewers act as `system`).
 * A rejection after the dispute is final.
 */
export async function recordReview(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction & { review: ReviewOutcomeInput },
): Promise<Association> {
  const association = await load(ports, action);
  if (association.lastChange?.id !== action.changeId)
    assertIn(association, reviewableStatuses, "a review outcome is recorded");
  const { outcome, reasons = [], comment } = action.review;
  const at = ports.clock().toISOString();
  return decide(ports, workflows, {
    ...changeOf(ports, action),
    to: reviewTarget(outcome),
    actor: "system",
    reason: `Partner Center review: ${outcome}${reasons.length ? ` (${reasons.join(", ")})` : ""}${comment ? `: ${comment}` : ""}`,
    data: { outcome, reasons, ...(comment ? { comment } : {}) },
    alsoSet: () => ({ review: { outcome, reasons, ...(comment ? { comment } : {}), at } }),
  });
}

async function load(ports: AppPorts, action: ClaimAction): Promise<Association> {
  return (await ports.store.associations.get(action.partnerId, action.associationId)).value;
}

function changeOf(ports: AppPorts, action: ClaimAction) {
  return {
    partnerId: action.partnerId,
    associationId: action.associationId,
    changeId: action.changeId,
    at: ports.clock().toISOString(),
  };
}

function assertIn(association: Association, statuses: readonly AssociationStatus[], what: string): void {
  if (!statuses.includes(association.status))
    throw new ConflictError(`${what} in ${statuses.join(" or ")}; this association is ${association.status}`);
}

/**
 * Checks a PoE as Microsoft's reviewers would (every problem at once, PoeRejectedError), then stores
 * the document (named by its content hash: a retry writes the same blob) and puts it on the timeline.
 */
async function acceptPoe(ports: AppPorts, association: Association, poe: PoeSubmission, field?: string) {
  const problems = checkPoe(poe, poeClaimOf(association), {
    today: ports.clock().toISOString().slice(0, 10),
    maxAgeMonths: ports.poeMaxAgeMonths,
  });
  if (problems.length > 0)
    throw new PoeRejectedError(
      poeProblemsAsIssues(problems).map((i) => (field ? { ...i, path: `${field}.${i.path}` } : i)),
    );
  const document = await ports.store.documents.put(
    association.partnerId,
    association.id,
    poe.documentName ?? "poe",
    Buffer.from(poe.documentBase64 ?? "", "base64"),
  );
  await ports.store.auditEvents.append({
    associationId: association.id,
    partnerId: association.partnerId,
    eventId: `poe-${document.sha256.slice(0, 32)}`,
    at: ports.clock().toISOString(),
    kind: "poe-submitted",
    actor: "partner",
    reason: `proof of execution "${poe.documentName ?? ""}" submitted`,
    data: {
      document: document.blobName,
      bytes: document.bytes,
      signer: poe.customerSignerName,
      signedDate: poe.signedDate,
    },
  });
}

function poeClaimOf(association: Association): PoeClaim {
  const request = association.request;
  return {
    workloads: request.type === "cpor" ? (request.workloads ?? []) : [],
    customerTenantId: association.customerTenantId,
    customerDomain: "customerDomain" in request && request.customerDomain ? request.customerDomain : "",
  };
}
