import { z } from "zod";
import { associationKind } from "./associationTypes";
import { createAssociationInput, palLinkRequest } from "./schemas/createAssociation";
import { guid, shortText } from "./schemas/primitives";
import { reviewRecord } from "./review";
import { actor, associationStatus } from "./status";
import { workloadId } from "./workloads";

/** One applied status change, as `lastChange` keeps it (the timeline's `status-changed` entry). */
export const statusChangeRecord = z
  .object({
    id: z.string().min(1).max(64),
    from: associationStatus,
    to: associationStatus,
    actor,
    reason: z.string().max(4000),
    at: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type StatusChangeRecord = z.infer<typeof statusChangeRecord>;

/** What the association was made from: a partner's create request, or a PAL link made through the API. */
export const storedRequest = z.union([createAssociationInput, palLinkRequest]);
export type StoredRequest = z.infer<typeof storedRequest>;

/** How a DPOR was confirmed: what the partner saw (`documentId` points at the stored document). */
export const dporEvidenceKinds = ["partner-center-report", "customer-email", "screenshot"] as const;
export const dporDetails = z
  .object({
    evidence: z
      .object({
        kind: z.enum(dporEvidenceKinds),
        note: z.string().max(2000).optional(),
        documentName: z.string().max(255).optional(),
        documentId: z.string().max(200).optional(),
      })
      .strict()
      .optional(),
    confirmedAt: z.iso.datetime().optional(),
  })
  .strict();
export type DporDetails = z.infer<typeof dporDetails>;

/** What re-verification found wrong with a PAL link; null when it is clean. */
export const palDriftKinds = ["deleted", "other-partner", "credential-failing"] as const;
export const palDrift = z.enum(palDriftKinds);
export type PalDrift = z.infer<typeof palDrift>;

export const palDetails = z
  .object({
    /** "link": made by this service with the identity's secret (verifiable); "record": entered by the partner. */
    source: z.enum(["link", "record"]),
    /** The identity's application (client) ID, for links made with a service principal. */
    clientId: guid.optional(),
    /** The identity's object ID in the customer tenant (ARM's answer, or the partner's record). */
    objectId: guid.optional(),
    /** The partner location ID the link carries. */
    linkedPartnerId: z.string().max(64),
    /** The identity's client secret, sealed (AES-256-GCM with SECRETS_KEY): never shown, never logged. */
    sealedSecret: z.string().max(2000).optional(),
    linkedAt: z.iso.datetime(),
    lastVerifiedAt: z.iso.datetime().optional(),
    drift: palDrift.nullable(),
    /** What the last check saw, in words (never a secret or a token). */
    driftDetail: z.string().max(1000).optional(),
    /** The partner ID the identity carried before this link replaced it (PATCH), when it did. */
    replacedPartnerId: z.string().max(64).optional(),
  })
  .strict();
export type PalDetails = z.infer<typeof palDetails>;

export const cspSubscription = z
  .object({
    id: z.string().max(100),
    offerName: z.string().max(300).optional(),
    quantity: z.number().int().nonnegative().optional(),
    status: z.string().max(50).optional(),
  })
  .strict();

export const cspDetails = z
  .object({
    /** "import": read from Partner Center; "manual": entered by the partner. */
    source: z.enum(["import", "manual"]),
    companyName: shortText(300).optional(),
    /** Kept up to 200 (the entity's size limit); `subscriptionCount` has the full number. */
    subscriptions: z.array(cspSubscription).max(200),
    subscriptionCount: z.number().int().nonnegative(),
    lastImportedAt: z.iso.datetime().optional(),
    /** The import job that last saw the customer: an import ends the relationships it did not see. */
    lastImportJobId: z.string().max(64).optional(),
  })
  .strict();
export type CspDetails = z.infer<typeof cspDetails>;

export const tporDetails = z
  .object({
    subscriptionIds: z.array(guid).max(100),
    /** False where the partner is the DPOR of one of the subscriptions (then TPOR earns nothing). */
    incentiveEligible: z.boolean(),
    eligibilityReason: z.string().max(1000),
  })
  .strict();
export type TporDetails = z.infer<typeof tporDetails>;

/**
 * An association as the service keeps it: the request the partner made (`request`, exactly as
 * validated), where it stands (`status`), and the units it holds in the claims index. The
 * timeline of status changes lives in the audit trail, not here.
 */
export const association = z
  .object({
    id: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    kind: associationKind,
    status: associationStatus,
    customerTenantId: guid,
    /** Claim units held while the association is live (see units.ts); empty for multi-partner kinds. */
    units: z.array(z.string()),
    request: storedRequest,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    statusChangedAt: z.iso.datetime(),
    /** The ID of the last status change applied: lets an activity that runs twice apply it once. */
    lastChangeId: z.string().optional(),
    /**
     * The last status change as applied, kept with the association in the same write, so its
     * effects (timeline entry, webhook, unit release) can be finished by whoever comes next after a
     * crash between the write and them.
     */
    lastChange: statusChangeRecord.optional(),
    /** When the partner disputed a rejection (Microsoft allows one dispute). */
    disputedAt: z.iso.datetime().optional(),
    /** When the customer's personal data was erased (src/domain/personalData.ts). */
    personalDataErasedAt: z.iso.datetime().optional(),
    /** The latest Partner Center review outcome the partner recorded. */
    review: reviewRecord.optional(),
    /** The incentive program in force at approval. */
    incentiveProgramId: z.string().optional(),
    incentiveProgramVersion: z.number().int().positive().optional(),
    /** Usage at approval, per claimed workload: usage before it never counts. */
    baseline: z
      .object({
        approvedAt: z.iso.datetime(),
        workloads: z.record(
          z.string(),
          z
            .object({
              paidSeats: z.number().int().nonnegative(),
              activeUsers: z.number().int().nonnegative(),
              highWaterMark: z.number().int().nonnegative(),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    /** Milestones that can never pay (threshold already met at claim time, too few seats), shown in the API. */
    milestoneFlags: z
      .array(
        z.object({ workload: z.string(), key: z.string(), reason: z.string(), message: z.string() }).strict(),
      )
      .optional(),
    /**
     * Internal, never shown in the API: the milestones the incentive ledger holds for this
     * association as {workload, key}, written by recordMilestones after its ledger inserts (so it may
     * lag the ledger, never lead it) and set empty with the first baseline (no row can exist before).
     * The usage poller evaluates readings against it instead of querying the ledger. Only the
     * highest `hwm-N` of a workload is kept: evaluation needs no other. Absent on rows written before
     * it existed: then the ledger is the source.
     */
    recordedMilestones: z
      .array(z.object({ workload: workloadId, key: z.string().min(1) }).strict())
      .optional(),
    dpor: dporDetails.optional(),
    pal: palDetails.optional(),
    csp: cspDetails.optional(),
    tpor: tporDetails.optional(),
  })
  .strict();
export type Association = z.infer<typeof association>;
