import type { SecretBox } from "../auth/secrets";
import type { Association, PalDetails, PalDrift } from "../domain/association";
import { ConflictError, DependencyRefusedError, ValidationError } from "../domain/errors";
import type { PalLinkRequest } from "../domain/schemas/createAssociation";
import { guid } from "../domain/schemas/primitives";
import { palBulkLinkJobInput, type PalIdentityInput } from "../domain/schemas/palLink";
import { claimPartitionOf, claimUnitsOf } from "../domain/units";
import {
  CredentialRefusedError,
  LinkConflictError,
  type ManagementPartnerClient,
  type PalIdentity,
  type PartnerLink,
} from "../integrations/managementPartner";
import type { JobResult } from "../domain/job";
import type { PalVerifyQueue } from "../integrations/palVerifyQueue";
import { createAssociation } from "./createAssociation";
import { failureOutcome, jobItem, recordJobResult, startJob } from "./jobs";
import { decide, type Workflows } from "./lifecycle";
import { derivedId } from "./operationIds";
import type { AppPorts } from "./ports";

/**
 * Partner Admin Links made, verified and removed through Azure Resource Manager with the partner's
 * own identity (a service principal in the customer tenant). A link is a `type: "pal"` association,
 * one per (tenant, identity) for a partner; the identity's secret is kept only sealed, bound to the
 * association (`sealContext`), so a later check can act again, and it is dropped on removal.
 */
export interface PalPorts extends AppPorts {
  arm: ManagementPartnerClient;
  secrets: SecretBox;
}

export interface LinkPalInput {
  partnerId: string;
  /** Derived from the Idempotency-Key (or the bulk job and tenant): a retry finds the same link. */
  id: string;
  customerTenantId: string;
  identity: PalIdentityInput;
  partnerLocationId?: string | undefined;
}

/** What a sealed secret is bound to: it opens only on the association it was sealed for. */
export const sealContext = (partnerId: string, associationId: string) =>
  `pal-link:${partnerId}:${associationId}`;

/**
 * Links the partner's location ID for the identity in the customer tenant: PUT at ARM, or PATCH when
 * the identity carries another partner ID (the answer's `replacedPartnerId` says which), then checks
 * ARM says Active with our ID and stores the link as Active. A second link for the same tenant and
 * identity is a 409 naming the first. Nothing is stored when ARM refuses.
 */
export async function linkPal(
  ports: PalPorts,
  workflows: Workflows,
  input: LinkPalInput,
): Promise<Association> {
  const earlier = await ports.store.associations.find(input.partnerId, input.id);
  if (earlier) return earlier.value; // a retry of a link already made
  const partner = await ports.store.partners.get(input.partnerId);
  const location = input.partnerLocationId ?? partner.partnerLocationIds[0] ?? "";
  if (!partner.partnerLocationIds.includes(location))
    throw new ValidationError([
      { path: "partnerLocationId", message: "is not one of your partner location IDs" },
    ]);
  const request: PalLinkRequest = {
    type: "pal",
    source: "link",
    partnerLocationId: location,
    customerTenantId: input.customerTenantId,
    identity: { clientId: input.identity.clientId },
  };
  await refuseSecondLink(ports, input.partnerId, input.id, request);
  const sealedSecret = ports.secrets.seal(
    input.identity.clientSecret,
    sealContext(input.partnerId, input.id),
  );
  const identity = { tenantId: input.customerTenantId, ...input.identity };
  const { link, replacedPartnerId } = await linkAtArm(ports.arm, identity, location);
  const now = ports.clock().toISOString();
  const pal: PalDetails = {
    source: "link",
    clientId: input.identity.clientId,
    ...(link.objectId ? { objectId: link.objectId } : {}),
    linkedPartnerId: link.partnerId,
    sealedSecret,
    linkedAt: now,
    lastVerifiedAt: now,
    drift: null,
    ...(replacedPartnerId ? { replacedPartnerId } : {}),
  };
  return createAssociation(ports, workflows, {
    partnerId: input.partnerId,
    id: input.id,
    request,
    details: { pal },
  });
}

/** One link per (tenant, identity): the claims index knows the partner's live one. */
async function refuseSecondLink(ports: PalPorts, partnerId: string, id: string, request: PalLinkRequest) {
  const [unit] = claimUnitsOf(partnerId, request);
  if (!unit) return;
  const held = await ports.store.claims.holder(claimPartitionOf(request.customerTenantId, request), unit);
  if (held && held.associationId !== id)
    throw new ConflictError(
      `identity ${request.identity.clientId} is already linked in tenant ${request.customerTenantId} by your link ${held.associationId}`,
      { unit, existingAssociationId: held.associationId },
    );
}

async function linkAtArm(
  arm: ManagementPartnerClient,
  identity: PalIdentity,
  partnerId: string,
): Promise<{ link: PartnerLink; replacedPartnerId?: string }> {
  let link: PartnerLink;
  let replacedPartnerId: string | undefined;
  try {
    link = await arm.link(identity, partnerId);
  } catch (err) {
    if (!(err instanceof LinkConflictError)) throw err;
    const current = await arm.current(identity);
    if (current?.state === "Active" && current.partnerId === partnerId) link = current;
    else {
      link = await arm.replace(identity, partnerId);
      replacedPartnerId = current?.partnerId;
    }
  }
  if (link.state !== "Active" || link.partnerId !== partnerId)
    throw new DependencyRefusedError(
      `Azure Resource Manager did not confirm the link (it shows partner ID ${link.partnerId}, ${link.state})`,
      [{ path: "customerTenantId", message: "the link is not Active with your partner ID at Azure" }],
    );
  return { link, ...(replacedPartnerId ? { replacedPartnerId } : {}) };
}

/** What one check of a link found. */
interface Finding {
  drift: PalDrift | null;
  detail?: string | undefined;
}

/**
 * Re-reads what the identity carries at ARM (GET …/partners, no ID) and records it: `drift` null when
 * clean, else `deleted` (404 or state Deleted), `other-partner`, or `credential-failing` (the token
 * or ARM refused the identity). Active → Drifted with the reason (webhook), Drifted → Active when
 * clean again; otherwise only `lastVerifiedAt` and the drift details change. A link recorded by
 * hand has no identity to check with: 409.
 */
export async function verifyPalLink(
  ports: PalPorts,
  workflows: Workflows,
  key: { partnerId: string; associationId: string },
): Promise<Association> {
  const { value: association } = await ports.store.associations.get(key.partnerId, key.associationId);
  const pal = verifiablePal(association);
  const finding = await check(ports, association, pal);
  const at = ports.clock().toISOString();
  const details = (current: Association): PalDetails => {
    const { driftDetail: _d, ...rest } = current.pal ?? pal;
    return {
      ...rest,
      lastVerifiedAt: at,
      drift: finding.drift,
      ...(finding.detail ? { driftDetail: finding.detail.slice(0, 1000) } : {}),
    };
  };
  const move = (to: "Active" | "Drifted", reason: string) =>
    decide(ports, workflows, {
      partnerId: key.partnerId,
      associationId: key.associationId,
      changeId: derivedId("pal-verify", association.id, at),
      at,
      to,
      actor: "system",
      reason,
      data: { drift: finding.drift },
      onlyFrom: [association.status],
      alsoSet: (current) => ({ pal: details(current) }),
    });
  if (finding.drift && association.status === "Active")
    return move("Drifted", `verification found drift: ${finding.drift} (${finding.detail ?? ""})`);
  if (!finding.drift && association.status === "Drifted")
    return move("Active", "verification found the link clean again");
  const { value } = await ports.store.associations.update(key.partnerId, key.associationId, (current) =>
    current.status === association.status ? { ...current, pal: details(current), updatedAt: at } : current,
  );
  return value;
}

function verifiablePal(association: Association): PalDetails & { clientId: string; sealedSecret: string } {
  const pal = association.pal;
  if (association.request.type !== "pal" || !pal) throw new ConflictError("only a PAL link is verified");
  if (association.status === "Removed") throw new ConflictError("this PAL link was removed");
  if (pal.source !== "link" || !pal.clientId || !pal.sealedSecret)
    throw new ConflictError(
      "this PAL was recorded by hand: there is no identity to check it with (link it with POST /api/v1/pal-links)",
    );
  return { ...pal, clientId: pal.clientId, sealedSecret: pal.sealedSecret };
}

function identityOf(
  ports: PalPorts,
  association: Association,
  pal: { clientId: string; sealedSecret: string },
): PalIdentity {
  return {
    tenantId: association.customerTenantId,
    clientId: pal.clientId,
    clientSecret: ports.secrets.open(pal.sealedSecret, sealContext(association.partnerId, association.id)),
  };
}

async function check(
  ports: PalPorts,
  association: Association,
  pal: PalDetails & { clientId: string; sealedSecret: string },
): Promise<Finding> {
  let current: PartnerLink | undefined;
  try {
    current = await ports.arm.current(identityOf(ports, association, pal));
  } catch (err) {
    if (err instanceof CredentialRefusedError) return { drift: "credential-failing", detail: err.message };
    throw err;
  }
  if (!current)
    return { drift: "deleted", detail: "Azure Resource Manager finds no link for the identity (404)" };
  if (current.state !== "Active")
    return { drift: "deleted", detail: `Azure Resource Manager shows the link ${current.state}` };
  if (current.partnerId !== pal.linkedPartnerId)
    return { drift: "other-partner", detail: `the identity now carries partner ID ${current.partnerId}` };
  return { drift: null };
}

/**
 * `DELETE /pal-links/{id}`: unlinks at ARM (a link already gone there is fine), then Removed, and
 * the sealed secret is dropped. A link whose credential ARM refuses cannot be unlinked here: it is
 * marked Removed only when its last check already found the credential failing, and the reason says
 * it may still stand at Azure. Removing a removed link answers it as it is.
 */
export async function removePalLink(
  ports: PalPorts,
  workflows: Workflows,
  key: { partnerId: string; associationId: string },
): Promise<Association> {
  const { value: association } = await ports.store.associations.get(key.partnerId, key.associationId);
  if (association.request.type !== "pal") throw new ConflictError("only a PAL link is removed here");
  if (association.status === "Removed") return association;
  const pal = association.pal;
  let reason = "the partner removed the link at Azure Resource Manager";
  if (pal?.source === "link" && pal.clientId && pal.sealedSecret) {
    try {
      await ports.arm.remove(
        identityOf(ports, association, { clientId: pal.clientId, sealedSecret: pal.sealedSecret }),
        pal.linkedPartnerId,
      );
    } catch (err) {
      if (!(err instanceof CredentialRefusedError) || pal.drift !== "credential-failing") throw err;
      reason =
        "the partner removed the link; Azure Resource Manager refused the identity, so the link may still stand in the customer tenant";
    }
  } else reason = "the partner removed the hand-recorded PAL (nothing to unlink at Azure)";
  return decide(ports, workflows, {
    partnerId: key.partnerId,
    associationId: key.associationId,
    changeId: derivedId("pal-remove", association.id),
    at: ports.clock().toISOString(),
    to: "Removed",
    actor: "partner",
    reason,
    alsoSet: (current) => {
      if (!current.pal) return {};
      const { sealedSecret: _s, ...kept } = current.pal;
      return { pal: kept };
    },
  });
}

/** What a bulk link's sealed secret is bound to: the job. */
export const bulkSealContext = (partnerId: string, jobId: string) => `pal-bulk:${partnerId}:${jobId}`;

/** One tenant of a bulk link, as the orchestration hands it to its activity (the secret sealed; the tenant is the job's item). */
export interface BulkLinkItem {
  partnerId: string;
  jobId: string;
  index: number;
  clientId: string;
  sealedSecret: string;
  partnerLocationId?: string | undefined;
}

/**
 * Links one tenant of a bulk job and records its result, once per item (a retried activity finds
 * the link it made: the association ID derives from the job and the tenant). A tenant already linked
 * with this identity is `unchanged`; ARM's or Entra ID's refusal is `failed` with the reason.
 */
export async function linkBulkItem(
  ports: PalPorts,
  workflows: Workflows,
  item: BulkLinkItem,
): Promise<JobResult> {
  const customerTenantId = await jobItem(ports, item.jobId, item.index, guid);
  const result = await bulkItemOutcome(ports, workflows, { ...item, customerTenantId });
  await recordJobResult(ports, item.jobId, result);
  return result;
}

async function bulkItemOutcome(
  ports: PalPorts,
  workflows: Workflows,
  item: BulkLinkItem & { customerTenantId: string },
): Promise<JobResult> {
  const base = { index: item.index, key: item.customerTenantId, customerTenantId: item.customerTenantId };
  try {
    const association = await linkPal(ports, workflows, {
      partnerId: item.partnerId,
      id: derivedId("pal-bulk-link", item.jobId, item.customerTenantId),
      customerTenantId: item.customerTenantId,
      identity: {
        clientId: item.clientId,
        clientSecret: ports.secrets.open(item.sealedSecret, bulkSealContext(item.partnerId, item.jobId)),
      },
      partnerLocationId: item.partnerLocationId,
    });
    const replaced = association.pal?.replacedPartnerId;
    return {
      ...base,
      outcome: "linked" as const,
      associationId: association.id,
      ...(replaced ? { note: `replaced partner ID ${replaced}` } : {}),
    };
  } catch (err) {
    if (err instanceof ConflictError && err.existingAssociationId)
      return {
        ...base,
        outcome: "unchanged" as const,
        associationId: err.existingAssociationId,
        note: "already linked with this identity",
      };
    return { ...base, ...failureOutcome(err) };
  }
}

export const palBulkLinkOrchestratorName = "palBulkLink";

/**
 * `POST /pal-links/bulk`: checks the location ID, seals the secret for the job, and starts the job
 * (ID from the Idempotency-Key) whose orchestration links each tenant (`linkBulkItem`).
 */
export async function startPalBulkLink(
  ports: PalPorts,
  workflows: Workflows,
  input: {
    partnerId: string;
    jobId: string;
    identity: PalIdentityInput;
    customerTenantIds: readonly string[];
    partnerLocationId?: string | undefined;
  },
) {
  const partner = await ports.store.partners.get(input.partnerId);
  if (input.partnerLocationId && !partner.partnerLocationIds.includes(input.partnerLocationId))
    throw new ValidationError([
      { path: "partnerLocationId", message: "is not one of your partner location IDs" },
    ]);
  const sealedSecret = ports.secrets.seal(
    input.identity.clientSecret,
    bulkSealContext(input.partnerId, input.jobId),
  );
  return startJob(ports, workflows, {
    partnerId: input.partnerId,
    id: input.jobId,
    kind: "pal-bulk-link",
    total: input.customerTenantIds.length,
    orchestrator: palBulkLinkOrchestratorName,
    items: input.customerTenantIds,
    input: palBulkLinkJobInput.parse({
      partnerId: input.partnerId,
      jobId: input.jobId,
      clientId: input.identity.clientId,
      sealedSecret,
      count: input.customerTenantIds.length,
      ...(input.partnerLocationId ? { partnerLocationId: input.partnerLocationId } : {}),
    }),
  });
}

/**
 * The re-verification's fan-out: every link made through the API that is Active or Drifted, of
 * every partner, goes on the verification queue (one message per link). PALs recorded by hand have
 * no identity to check with and are left out. Answers how many were enqueued.
 */
export async function enqueuePalVerifications(ports: {
  store: Pick<PalPorts["store"], "associations">;
  queue: PalVerifyQueue;
}): Promise<number> {
  let enqueued = 0;
  let continuationToken: string | undefined;
  do {
    const page = await ports.store.associations.listInStatuses(
      ["Active", "Drifted"],
      { kind: "pal" },
      { pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) },
    );
    const links = page.items.filter((a) => a.pal?.source === "link");
    await Promise.all(links.map((a) => ports.queue.enqueue({ partnerId: a.partnerId, associationId: a.id })));
    enqueued += links.length;
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return enqueued;
}
