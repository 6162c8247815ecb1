import type { Association, StoredRequest } from "../domain/association";
import type { Actor } from "../domain/status";
import { ConflictError, ValidationError } from "../domain/errors";
import { associationKindOf } from "../domain/schemas/createAssociation";
import { initialStatus, machineOf } from "../domain/statusMachine";
import { claimPartitionOf, claimUnitsOf } from "../domain/units";
import type { Claim } from "../store/claims";
import { startLifecycle, type Workflows } from "./lifecycle";
import { tporDetailsFor } from "./tporEligibility";
import type { AppPorts } from "./ports";

/** A claim row whose association never got written is released after this long (a dead create). */
const strandedClaimMs = 60_000;

/** Type-specific facts a new association starts with (the PAL link's identity, a CSP's subscriptions). */
export type AssociationDetails = Partial<Pick<Association, "dpor" | "pal" | "csp" | "tpor">>;

/**
 * Creates an association in its type's first status (claims Draft, DPOR Requested, the others
 * Active), resumably: `id` is derived from the partner and the request's
 * Idempotency-Key, so a retry after any failure (claim done, row not written; row written, workflow
 * not started; any write whose answer was lost) finds what the first attempt wrote and finishes it:
 * 1. claims the units, all or nothing (a unit held by another partner is a 409 naming the unit);
 * 2. writes the association, or keeps the one a lost-answer write already stored;
 * 3. appends the `created` timeline entry (idempotent by ID);
 * 4. starts the type's workflow (claims, DPOR requests), unless it was started before.
 * `details` is computed by the caller before the first attempt; a retry keeps what was stored.
 */
export async function createAssociation(
  ports: AppPorts,
  workflows: Workflows,
  input: {
    partnerId: string;
    id: string;
    request: StoredRequest;
    details?: AssociationDetails;
    /** Who made it, for the timeline: the partner (a request, an upload), or the system (an import). */
    actor?: Actor;
  },
): Promise<Association> {
  const { store, clock } = ports;
  const { partnerId, id, request } = input;
  const partner = await store.partners.get(partnerId);
  if (!partner.partnerLocationIds.includes(request.partnerLocationId))
    throw new ValidationError([
      { path: "partnerLocationId", message: "is not one of your partner location IDs" },
    ]);
  const now = clock().toISOString();
  let association = (await store.associations.find(partnerId, id))?.value;
  if (!association) {
    const units = claimUnitsOf(partnerId, request);
    const kind = associationKindOf(request);
    await claimUnits(ports, claimPartitionOf(request.customerTenantId, request), units, {
      partnerId,
      associationId: id,
      claimedAt: now,
    });
    association = await writeOnce(ports, {
      id,
      partnerId,
      kind,
      status: initialStatus[machineOf(kind)],
      customerTenantId: request.customerTenantId,
      units,
      request,
      createdAt: now,
      updatedAt: now,
      statusChangedAt: now,
      ...(input.details ?? (await defaultDetails(ports, partnerId, request, now))),
    });
  }
  await store.auditEvents.append({
    associationId: id,
    partnerId,
    eventId: `created-${id}`,
    at: association.createdAt,
    kind: "created",
    actor: input.actor ?? "partner",
    reason: createdReason(association),
    to: initialStatus[machineOf(association.kind)],
    data: { units: association.units },
  });
  await startLifecycle(ports, workflows, association);
  return association;
}

/** Inserts the association; an insert that "already exists" is our own earlier write (the ID is ours). */
async function writeOnce(ports: AppPorts, association: Association): Promise<Association> {
  try {
    await ports.store.associations.create(association);
    return association;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return (await ports.store.associations.get(association.partnerId, association.id)).value;
  }
}

/**
 * Claims the units; a unit held by a claim whose association was never written (a create that died
 * between its two steps, and whose client never retried) is released once it is older than
 * `strandedClaimMs`, and the claim is tried again.
 */
async function claimUnits(
  ports: AppPorts,
  partition: string,
  units: readonly string[],
  holder: Omit<Claim, "customerTenantId" | "unit">,
): Promise<void> {
  try {
    await ports.store.claims.claim(partition, units, holder);
  } catch (err) {
    if (!(err instanceof ConflictError) || !err.unit) throw err;
    const held = await ports.store.claims.holder(partition, err.unit);
    if (!held || !(await isStranded(ports, held))) throw err;
    await ports.store.claims.release(partition, [held.unit], held.associationId);
    await ports.store.claims.claim(partition, units, holder);
  }
}

async function isStranded(ports: AppPorts, claim: Claim): Promise<boolean> {
  if (ports.clock().getTime() - Date.parse(claim.claimedAt) < strandedClaimMs) return false;
  return (await ports.store.associations.find(claim.partnerId, claim.associationId)) === undefined;
}

/** The `created` timeline entry's words: what was made, named as the partner named it. */
function createdReason(association: Association): string {
  const what =
    machineOf(association.kind) === "claim"
      ? "claim"
      : `${association.request.type.toUpperCase()} association`;
  const name = association.request.claimName;
  return name ? `${what} "${name}" created` : `${what} created`;
}

/**
 * What a type starts with when the caller brings nothing: a PAL link recorded by hand (it cannot be
 * verified here), a CSP relationship entered by hand, a TPOR's eligibility from the partner's DPORs.
 */
async function defaultDetails(
  ports: AppPorts,
  partnerId: string,
  request: StoredRequest,
  now: string,
): Promise<AssociationDetails> {
  switch (request.type) {
    case "pal":
      return "credential" in request
        ? {
            pal: {
              source: "record",
              objectId: request.credential.objectId.toLowerCase(),
              linkedPartnerId: request.partnerLocationId,
              linkedAt: now,
              drift: null,
            },
          }
        : {};
    case "csp":
      return { csp: { source: "manual", subscriptions: [], subscriptionCount: 0 } };
    case "tpor":
      return { tpor: await tporDetailsFor(ports, partnerId, request.subscriptionIds ?? []) };
    default:
      return {};
  }
}
