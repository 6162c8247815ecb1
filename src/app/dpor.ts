import type { Association } from "../domain/association";
import { associationTypes } from "../domain/associationTypes";
import { ConflictError } from "../domain/errors";
import type { DporConfirmationInput } from "../domain/schemas/dporConfirmation";
import { machineOf } from "../domain/statusMachine";
import { claimPartitionOf } from "../domain/units";
import type { ClaimAction } from "./claimActions";
import { decide, type Workflows } from "./lifecycle";
import { derivedId } from "./operationIds";
import type { AppPorts } from "./ports";
import { refreshTporEligibility } from "./tporEligibility";

/**
 * A DPOR is the customer's to set (one partner per subscription, replaceable at any time): the
 * partner confirms what it saw, and the service keeps one Active DPOR per subscription across the
 * deployment. The subscription's Active DPOR is a row of the claims index (the subscription's
 * partition, row `dpor-active`), taken over by each confirmation: the association it was taken
 * from is Superseded, told by webhook without naming who replaced it.
 */
const activeDporUnit = "dpor-active";

/**
 * `POST /confirm`: Requested, Expired or Superseded → Active, with the evidence kept on the
 * association (and its document stored like a PoE). A retry with the same Idempotency-Key finishes
 * what the first attempt began (the supersede included).
 */
export async function confirmDpor(
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction & DporConfirmationInput,
): Promise<Association> {
  const { value: association } = await ports.store.associations.get(action.partnerId, action.associationId);
  if (machineOf(association.kind) !== "dpor")
    throw new ConflictError(
      `only a DPOR is confirmed; this association is a ${associationTypes[association.kind].name}`,
    );
  const at = ports.clock().toISOString();
  const { documentBase64, documentName, ...evidence } = action.evidence;
  const document =
    documentBase64 !== undefined && association.lastChange?.id !== action.changeId
      ? await ports.store.documents.put(
          association.partnerId,
          association.id,
          documentName ?? "evidence",
          Buffer.from(documentBase64, "base64"),
        )
      : undefined;
  const confirmed = await decide(ports, workflows, {
    partnerId: action.partnerId,
    associationId: action.associationId,
    changeId: action.changeId,
    at,
    to: "Active",
    actor: "partner",
    reason: `the partner confirmed the customer set its partner ID on the subscription (${evidence.kind})`,
    data: { evidence: evidence.kind },
    alsoSet: (current) => ({
      dpor: {
        ...current.dpor,
        evidence: {
          ...evidence,
          ...(documentName ? { documentName } : {}),
          ...(document ? { documentId: document.blobName } : {}),
        },
        confirmedAt: at,
      },
    }),
  });
  await afterDporChange(ports, workflows, confirmed);
  return confirmed;
}

/**
 * What follows a DPOR's status change, idempotent (run again by any retry): entering Active takes
 * the subscription over (the previous Active DPOR → Superseded); leaving it gives the subscription
 * up if this association still holds it. The partner's TPORs are recomputed either way.
 */
export async function afterDporChange(
  ports: AppPorts,
  workflows: Workflows,
  association: Association,
): Promise<void> {
  const request = association.request;
  if (request.type !== "dpor") return;
  const subscription = claimPartitionOf(association.customerTenantId, request);
  const at = ports.clock().toISOString();
  if (association.status === "Active") {
    const previous = await ports.store.claims.handOver(subscription, activeDporUnit, {
      partnerId: association.partnerId,
      associationId: association.id,
      claimedAt: association.statusChangedAt,
    });
    if (previous) await supersede(ports, workflows, previous, association);
  } else {
    await ports.store.claims.release(subscription, [activeDporUnit], association.id);
  }
  await refreshTporEligibility(ports, association.partnerId, at);
}

/** `afterDporChange` for the association as it is stored now (the workflow's settle step). */
export async function settleDpor(
  ports: AppPorts,
  workflows: Workflows,
  key: { partnerId: string; associationId: string },
): Promise<void> {
  const { value } = await ports.store.associations.get(key.partnerId, key.associationId);
  await afterDporChange(ports, workflows, value);
}

/** The customer chose another partner (or confirmed again): the earlier Active DPOR is Superseded. */
async function supersede(
  ports: AppPorts,
  workflows: Workflows,
  previous: { partnerId: string; associationId: string },
  by: Association,
): Promise<void> {
  const superseded = await decide(ports, workflows, {
    partnerId: previous.partnerId,
    associationId: previous.associationId,
    // One per take-over: the same confirmation supersedes once however often it is retried.
    changeId: derivedId("dpor-superseded", by.id, by.lastChangeId ?? by.statusChangedAt),
    at: by.statusChangedAt,
    to: "Superseded",
    actor: "customer",
    reason: "the customer set another partner as Digital Partner of Record of the subscription",
    onlyFrom: ["Active"],
  });
  await refreshTporEligibility(ports, superseded.partnerId, by.statusChangedAt);
}
