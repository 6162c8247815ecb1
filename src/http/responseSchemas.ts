import { z } from "zod";
import { webhookDelivery } from "../domain/webhookDelivery";
import { association, cspDetails, dporDetails, palDetails, tporDetails } from "../domain/association";
import { associationKind, pcsSolutionArea } from "../domain/associationTypes";
import { pcsMetricId } from "../domain/pcs/config";
import { pcsSnapshot, revenueRow } from "../domain/pcs/records";
import { auditEvent } from "../domain/auditEvent";
import { forecastWindows } from "../domain/forecast";
import { incentiveLedgerEntry } from "../domain/incentiveLedgerEntry";
import { job, jobResult } from "../domain/job";
import { highWaterMarkProgram, milestoneProgram } from "../domain/incentiveProgram";
import { opportunity } from "../domain/opportunities";
import { outboxMessage } from "../domain/outboxMessage";
import { partner } from "../domain/partner";
import { otherStatusLabels, partnerCenterStatusLabels, type Deadline } from "../domain/partnerCenter";
import { reviewRecord } from "../domain/review";
import { isoDate } from "../domain/schemas/primitives";
import {
  createAssociationInput,
  createCporInput,
  createCspInput,
  createPalInput,
  createTporInput,
  palLinkRequest,
} from "../domain/schemas/createAssociation";
import { poeSubmission } from "../domain/schemas/poeSubmission";
import { putWebhookInput } from "../domain/schemas/webhook";
import { associationStatus } from "../domain/status";
import { usageSnapshot } from "../domain/usageSnapshot";
import { workloadId } from "../domain/workloads";

/**
 * The bodies `/api/v1` answers, as zod schemas: the OpenAPI document's response schemas are
 * generated from them, and tests parse the handlers' real answers with them, so neither can drift
 * from the code. Objects are strict: a field a handler adds without adding it here fails those
 * tests. Fields reuse the domain's schemas, so a rule has one wording.
 */

/** `GET /jobs/{id}`: a bulk operation's progress (`done` counts successes; `done + failed = total` once finished). */
export const jobResponse = job
  .omit({ partnerId: true })
  .extend({
    done: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    results: z.array(jobResult.omit({ index: true })),
  })
  .strict();

/** One page of a list; pass `continuationToken` back for the next page. Absent = the last page. */
const page = <T extends z.ZodType>(item: T) =>
  z
    .object({
      items: z.array(item),
      continuationToken: z
        .string()
        .optional()
        .meta({ description: "Present when more items follow: send it back to get the next page." }),
    })
    .strict();

/** What happens by itself next, and when (`claimGuidance` in src/domain/partnerCenter.ts). */
export const deadlineView = z
  .object({
    at: z.iso.datetime().meta({ description: "When it happens, unless something else happens first." }),
    what: z.string().meta({ description: "What happens then." }),
    to: associationStatus.meta({ description: "The status it moves the association to." }),
  })
  .strict() satisfies z.ZodType<Deadline>;

/** One entry of an association's timeline (its audit trail); `data` only on status changes. */
export const timelineEntryView = auditEvent.pick({
  at: true,
  kind: true,
  actor: true,
  reason: true,
  from: true,
  to: true,
  data: true,
});

/** One accepted proof of execution, as its `poe-submitted` timeline entry records it. */
export const poeSubmissionView = z
  .object({
    at: z.iso.datetime().meta({ description: "When it was accepted." }),
    documentName: poeSubmission.shape.documentName,
    bytes: z.number().int().nonnegative().optional().meta({ description: "The document's size." }),
    customerSignerName: poeSubmission.shape.customerSignerName,
    signedDate: isoDate.optional().meta({ description: "The day the customer signed it." }),
  })
  .strict();

/** Where a CPOR claim's consent stands, from its timeline. */
export const consentView = z
  .object({
    emailSentAt: z.iso.datetime().nullable().meta({
      description:
        "When the consent email went out (the claim moved to UnderReview then); null while it has not.",
    }),
    customerAnswer: z
      .object({
        answer: z
          .enum(["refused", "cancelled"])
          .meta({ description: "`refused` before approval, `cancelled` after it." }),
        at: z.iso.datetime(),
        reason: z
          .string()
          .max(4000)
          .meta({ description: "The timeline's words, with the customer's reason." }),
      })
      .strict()
      .nullable()
      .meta({
        description:
          "The customer's last decision; null when it made none (left alone, a claim under review is approved when the refusal window ends).",
      }),
  })
  .strict();

const requestTypes = createAssociationInput.options.map((o) => o.shape.type.value);
const partnerCenterStatuses = [
  ...new Set([...Object.values(partnerCenterStatusLabels), ...Object.values(otherStatusLabels)]),
];

/**
 * An association as `associationView` (src/http/associationView.ts) shows it: the request's fields
 * under their own names (each only when the request type has it), where the claim stands in
 * Partner Center's terms, and the timeline on `GET /associations/{id}` only.
 */
export const associationViewResponse = z
  .object({
    id: association.shape.id,
    type: z.enum(requestTypes).meta({ description: "The request type the association was created with." }),
    kind: associationKind,
    status: associationStatus,
    partnerCenterStatus: z.enum(partnerCenterStatuses).meta({
      description:
        "The label Partner Center shows for a claim; for the other types, what Microsoft's own tools show.",
    }),
    deadline: deadlineView
      .nullable()
      .meta({ description: "The next move time makes, or null when none is pending." }),
    nextAction: z.string().meta({ description: "What the partner should do now, in a sentence." }),
    customerTenantId: association.shape.customerTenantId,
    partnerLocationId: createCporInput.shape.partnerLocationId,
    customerDomain: createCporInput.shape.customerDomain.optional(),
    engagement: createCporInput.shape.engagement.optional(),
    workloads: createCporInput.shape.workloads,
    subscriptionId: createCporInput.shape.subscriptionId,
    servicesInScope: createCporInput.shape.servicesInScope.optional(),
    customerContact: createCporInput.shape.customerContact.optional(),
    partnerContact: createCporInput.shape.partnerContact.optional(),
    claimName: createCporInput.shape.claimName,
    identity: palLinkRequest.shape.identity
      .optional()
      .meta({ description: "PAL links: the identity by its client ID (its secret is never shown)." }),
    credential: createPalInput.shape.credential
      .optional()
      .meta({ description: "PAL recorded by hand: the credential as the partner entered it." }),
    source: z
      .union([palDetails.shape.source, cspDetails.shape.source])
      .optional()
      .meta({ description: "PAL: `link` (made and verified here) or `record`; CSP: `import` or `manual`." }),
    objectId: palDetails.shape.objectId.meta({
      description: "PAL: the identity's object ID in the customer tenant.",
    }),
    linkedPartnerId: palDetails.shape.linkedPartnerId
      .optional()
      .meta({ description: "PAL: the partner location ID the link carries." }),
    linkedAt: palDetails.shape.linkedAt.optional(),
    lastVerifiedAt: palDetails.shape.linkedAt
      .nullable()
      .optional()
      .meta({ description: "PAL: when the link was last checked at Azure; null before the first check." }),
    drift: palDetails.shape.drift
      .optional()
      .meta({ description: "PAL: what the last check found wrong; null when the link is clean." }),
    driftDetail: palDetails.shape.driftDetail,
    replacedPartnerId: palDetails.shape.replacedPartnerId.meta({
      description: "PAL: the partner ID the identity carried before this link replaced it (ARM PATCH).",
    }),
    evidence: dporDetails.shape.evidence
      .unwrap()
      .omit({ documentId: true })
      .optional()
      .meta({ description: "DPOR: how the partner confirmed the customer set it." }),
    confirmedAt: dporDetails.shape.confirmedAt,
    model: createCspInput.shape.model.optional(),
    indirectProviderLocationId: createCspInput.shape.indirectProviderLocationId,
    companyName: cspDetails.shape.companyName,
    subscriptions: cspDetails.shape.subscriptions
      .optional()
      .meta({ description: "CSP: the customer's subscriptions as Partner Center lists them." }),
    subscriptionCount: cspDetails.shape.subscriptionCount.optional(),
    lastImportedAt: cspDetails.shape.lastImportedAt,
    role: createTporInput.shape.role.optional(),
    enrollmentNumber: createTporInput.shape.enrollmentNumber.optional(),
    subscriptionIds: tporDetails.shape.subscriptionIds
      .optional()
      .meta({ description: "TPOR: the enrollment's subscriptions." }),
    incentiveEligible: tporDetails.shape.incentiveEligible
      .optional()
      .meta({ description: "TPOR: false where the partner is the DPOR of one of the subscriptions." }),
    eligibilityReason: tporDetails.shape.eligibilityReason.optional(),
    units: association.shape.units.meta({
      description: "Claim units held while the association is live; empty for multi-partner kinds.",
    }),
    review: reviewRecord
      .optional()
      .meta({ description: "The latest Partner Center review outcome recorded." }),
    disputedAt: association.shape.disputedAt,
    createdAt: association.shape.createdAt,
    updatedAt: association.shape.updatedAt,
    statusChangedAt: association.shape.statusChangedAt,
    timeline: z
      .array(timelineEntryView)
      .optional()
      .meta({ description: "Every recorded fact, oldest first; only on GET /associations/{id}." }),
    poeSubmissions: z.array(poeSubmissionView).optional().meta({
      description:
        "Claims: every proof of execution accepted, oldest first (never the document itself); only on GET /associations/{id}.",
    }),
    consent: consentView
      .optional()
      .meta({ description: "CPOR claims: the customer's consent; only on GET /associations/{id}." }),
  })
  .strict();

export const associationPage = page(associationViewResponse);

/** One reading of a claimed workload from the approval date on. */
export const usagePoint = usageSnapshot
  .pick({ reportRefreshDate: true, workload: true, paidSeats: true, activeUsers: true })
  .extend({
    activeShare: z.number().min(0).max(1).meta({ description: "Active users ÷ paid seats, capped at 1." }),
  });

/** Where one paid threshold stands. */
export const milestoneProgress = z
  .object({
    workload: workloadId,
    milestoneKey: z
      .string()
      .meta({ description: "`active-15`, `active-40`, or `hwm` for the high-water-mark program." }),
    threshold: z.number().min(0).max(1).meta({ description: "The active share the threshold needs." }),
    activeShare: z.number().min(0).max(1).meta({ description: "The latest reading's active share." }),
    fraction: z.number().min(0).max(1).meta({ description: "activeShare ÷ threshold, capped at 1." }),
    reached: z.boolean().meta({ description: "Recorded in the incentive ledger." }),
    flagged: z.boolean().meta({ description: "Listed in milestoneFlags: it cannot pay." }),
  })
  .strict();

/** One claimed workload's milestone forecast (src/domain/forecast.ts). */
export const workloadForecast = z
  .object({
    workload: workloadId,
    readings: z.number().int().nonnegative().meta({
      description:
        "Readings the trend was fitted to (the latest FORECAST_READINGS since approval); with `not-enough-readings`, the readings there are.",
    }),
    trendPerDay: z.number().nullable().meta({
      description: "Active share per day, by least squares (6 decimals); null without enough readings.",
    }),
    latestShare: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .meta({ description: "The latest reading's active share (4 decimals); null before the first." }),
    nextMilestone: z.string().nullable().meta({
      description:
        "The lowest threshold still to reach (`active-15`, `active-40`, `hwm`); null when none is left.",
    }),
    threshold: z.number().min(0).max(1).nullable().meta({ description: "The active share it needs." }),
    outcome: z.enum(["projected", "not-within-180-days", "not-enough-readings", "all-reached"]).meta({
      description:
        "`projected`: `projectedOn` says when; `not-within-180-days`: a flat or falling trend, or a crossing more than 180 days away; `not-enough-readings`: fewer than 3 since approval; `all-reached`: nothing left to earn.",
    }),
    projectedOn: isoDate.nullable().meta({
      description:
        "The first day the fitted line reaches the threshold, not before the latest reading (that reading's date when it already has).",
    }),
    note: z
      .enum(["not within 180 days", "not enough readings"])
      .nullable()
      .meta({ description: "The outcome in words, where there is no date." }),
  })
  .strict();

/** `GET /opportunities` as JSON: the partner's missed rebates, highest value first. */
export const opportunitiesResponse = z
  .object({
    items: z.array(opportunity).meta({
      description:
        "Sorted by value (highest first), then customerTenantId, then workload (null last). `kind`: unclaimed, claimed-by-another-partner, deadline (a Draft or PartnerActionRequired claim due within 7 days; `associationId` names it), seats-unknown.",
    }),
  })
  .strict();

/** `GET /associations/{id}/usage` as JSON. */
export const associationUsageResponse = z
  .object({
    associationId: association.shape.id,
    status: associationStatus,
    customerTenantId: association.shape.customerTenantId,
    program: z
      .object({
        id: milestoneProgram.shape.id,
        version: milestoneProgram.shape.version,
        kind: z.union([milestoneProgram.shape.kind, highWaterMarkProgram.shape.kind]),
        currency: milestoneProgram.shape.currency,
      })
      .strict()
      .meta({ description: "The incentive program the association is measured against." }),
    baseline: association.shape.baseline
      .unwrap()
      .nullable()
      .meta({ description: "Usage at approval, per claimed workload; null before approval." }),
    series: z.array(usagePoint).meta({ description: "By refresh date, then claimed-workload order." }),
    progress: z.array(milestoneProgress),
    milestoneFlags: association.shape.milestoneFlags
      .unwrap()
      .meta({ description: "Thresholds that cannot pay, and why." }),
    notMeasurable: z
      .array(
        z
          .object({
            workload: workloadId,
            reason: z.string().meta({
              description:
                "A permission the app lacks in the customer tenant, or no signal Microsoft exposes.",
            }),
            since: z.iso.datetime().meta({ description: "The first reading that could not measure it." }),
          })
          .strict(),
      )
      .meta({
        description:
          "Claimed workloads whose usage cannot be measured in the customer tenant now: not 0 % active, unknown.",
      }),
    forecast: z.array(workloadForecast).meta({
      description:
        "Per claimed workload, in claimed order: when its next unpaid threshold is projected to be reached. Empty unless Approved with a baseline.",
    }),
  })
  .strict();

/** Count, units and amount of matching ledger entries in one currency. */
const sums = {
  currency: incentiveLedgerEntry.shape.currency,
  count: z.number().int().nonnegative(),
  units: z.number().nonnegative(),
  amount: z.number().nonnegative().meta({ description: "Rounded to 2 decimals." }),
};

/** `GET /incentives` as JSON. */
export const incentivesResponse = z
  .object({
    items: z.array(incentiveLedgerEntry.omit({ partnerId: true })),
    totals: z
      .object({
        byWorkload: z.array(z.object({ workload: workloadId, ...sums }).strict()),
        byMonth: z.array(
          z
            .object({
              month: z
                .string()
                .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
                .meta({ description: "The payable month, YYYY-MM." }),
              ...sums,
            })
            .strict(),
        ),
      })
      .strict()
      .meta({ description: "Sorted by key, then currency." }),
  })
  .strict();

const currencyAmount = {
  currency: incentiveLedgerEntry.shape.currency,
  amount: z.number().nonnegative().meta({ description: "Rounded to 2 decimals." }),
};

/** `GET /forecast` as JSON. */
export const forecastResponse = z
  .object({
    asOf: isoDate.meta({ description: "The day (UTC) the windows count from." }),
    windows: z
      .array(
        z
          .object({
            days: z.union(forecastWindows.map((d) => z.literal(d))),
            milestones: z.number().int().nonnegative(),
            amounts: z.array(z.object(currencyAmount).strict()).meta({ description: "Per currency." }),
          })
          .strict(),
      )
      .meta({
        description:
          "Cumulative: every crossing projected on or before today + `days` (a day already past included).",
      }),
    items: z
      .array(
        z
          .object({
            associationId: association.shape.id,
            customerTenantId: association.shape.customerTenantId,
            workload: workloadId,
            milestoneKey: z.string().meta({
              description: "The ledger key it would be recorded under (`active-15`, `hwm-<seats>`).",
            }),
            projectedOn: isoDate,
            amount: currencyAmount.amount,
            currency: currencyAmount.currency,
            payableOn: isoDate.meta({ description: "The program's payout day of the next month." }),
          })
          .strict(),
      )
      .meta({
        description:
          "Each crossing projected within 90 days that would pay under the association's program, by projectedOn.",
      }),
    payments: z
      .array(
        z
          .object({
            month: z
              .string()
              .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
              .meta({ description: "The payable month, YYYY-MM." }),
            ...currencyAmount,
            count: z.number().int().nonnegative(),
          })
          .strict(),
      )
      .meta({ description: "The items by payable month, then currency." }),
  })
  .strict();

/** `GET /outbox`: the emails sent (or being sent) for the partner's associations. */
export const outboxPage = page(outboxMessage);

/** One webhook delivery as `GET /webhook/deliveries` shows it (src/domain/webhookDelivery.ts). */
export const webhookDeliveryResponse = webhookDelivery
  .omit({ partnerId: true, dispatch: true, failures: true, payload: true })
  .extend({
    payload: z.record(z.string(), z.unknown()).meta({
      description: "The webhook body exactly as sent: a StatusChangedEvent or a MilestoneReachedEvent.",
    }),
  })
  .strict();

export const webhookDeliveriesPage = page(webhookDeliveryResponse);

/** `GET /admin/orchestrations`: failed and stuck workflows. */
export const orchestrationProblemsResponse = z
  .object({
    items: z.array(
      z
        .object({
          instanceId: z.string(),
          name: z.string(),
          problem: z.enum(["failed", "stuck"]),
          runtimeStatus: z.string(),
          createdTime: z.iso.datetime(),
          lastUpdatedTime: z.iso.datetime(),
          customStatus: z
            .unknown()
            .meta({ description: "What the workflow said last: `{status, waitingUntil | waitingFor}`." }),
          lastError: z.string().optional(),
          partnerId: z.string().optional(),
          associationId: z.string().optional(),
        })
        .strict(),
    ),
  })
  .strict();

export const orchestrationRestartResponse = z
  .object({
    instanceId: z.string(),
    name: z.string(),
    restartedFrom: z.string().meta({ description: "`association status <status>`, or `its input`." }),
    previousStatus: z.string(),
  })
  .strict();

const poisonMessage = z
  .object({
    id: z.string(),
    insertedOn: z.iso.datetime().optional(),
    dequeueCount: z.number().int(),
    text: z.string(),
  })
  .strict();

export const poisonQueuesResponse = z
  .object({
    queues: z.array(
      z
        .object({
          queue: z.string(),
          poisonQueue: z.string(),
          count: z.number().int(),
          messages: z.array(poisonMessage),
        })
        .strict(),
    ),
  })
  .strict();

export const poisonReplayResponse = z
  .object({ queue: z.string(), replayed: z.number().int(), messageIds: z.array(z.string()) })
  .strict();

export const historyPurgeResponse = z
  .object({
    before: z.iso.datetime(),
    orchestrations: z.number().int(),
    webhookDeliveries: z.number().int(),
    idempotencyKeys: z.number().int(),
  })
  .strict();

export const keyRotationResponse = z
  .object({
    rotatedAt: z.iso.datetime(),
    previousKeyValidUntil: z.iso.datetime().meta({
      description:
        "Links signed with the replaced key verify until then (CONSENT_LINK_TTL after the rotation).",
    }),
  })
  .strict();

/** `POST /customers/{tenantId}/erase`: what was erased. */
export const erasureResponse = z
  .object({
    customerTenantId: z.string(),
    erasedAt: z.iso.datetime(),
    associations: z.array(z.object({ id: z.string(), fields: z.array(z.string()) }).strict()).meta({
      description:
        "Each of the partner's associations with the tenant, with the fields replaced (none when already erased).",
    }),
    auditEvents: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: "Timeline entries whose text was redacted." }),
    outboxMessages: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: "Emails whose recipient and text were redacted." }),
    webhookDeliveries: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: "Webhook payloads kept for redelivery that were redacted." }),
  })
  .strict();

/** `POST /webhook/deliveries/redeliver`. */
export const bulkRedeliverResponse = z
  .object({
    redelivered: z.number().int().nonnegative(),
    ids: z.array(z.string()).meta({ description: "The deliveries made due now, newest first." }),
  })
  .strict();

/** `PUT /webhook`: the signing secret is shown in this answer only. */
export const webhookRegistrationResponse = z
  .object({
    url: putWebhookInput.shape.url,
    secret: partner.shape.webhookSecret.unwrap().meta({
      description:
        "The signing key (base64url text, used as it is, not decoded). Shown once: a PUT replaces it.",
    }),
  })
  .strict();

/** `GET /webhook`: never the secret. */
export const webhookResponse = z.object({ url: putWebhookInput.shape.url }).strict();

/** `POST /admin/partners`: the API key is shown in this answer only (only its hash is kept). */
export const partnerCreatedResponse = z
  .object({
    partnerId: partner.shape.id,
    apiKey: z.string().min(1).meta({ description: "Send as `Authorization: ApiKey <apiKey>`." }),
  })
  .strict();

/** `GET /api/v1/sign-in`: how the dashboard may sign a partner in. */
export const signInOptionsResponse = z
  .object({
    apiKey: z.literal(true).meta({ description: "A partner API key always opens the API." }),
    entra: z
      .object({
        clientId: z.guid().meta({ description: "The dashboard's app registration (a single-page app)." }),
        authority: z.url().meta({ description: "Where to sign in (MSAL's `authority`)." }),
        scopes: z.array(z.string()).min(1).meta({ description: "The scopes to ask the API's token for." }),
      })
      .strict()
      .nullable()
      .meta({ description: "Entra ID sign-in, when configured (ENTRA_DASHBOARD_CLIENT_ID); else null." }),
  })
  .strict();

/** `GET /api/health` (200 and 503 alike). */
export const healthResponse = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ storage: z.enum(["ok", "unreachable"]) }).strict(),
  })
  .strict();

/**
 * An RFC 9457 problem (`application/problem+json`, src/http/problem.ts). Extension members other
 * than those named here may appear.
 */
export const problemResponse = z.looseObject({
  type: z.string().meta({ description: "`about:blank`: the status and title say it all." }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional().meta({ description: "What went wrong, naming the field or unit at fault." }),
  errors: z
    .array(
      z
        .object({
          path: z.string().meta({
            description:
              "Dotted path into the body (`customerContact.email`, `workloads.2`), `header:<Name>` for a header, empty for the body as a whole.",
          }),
          message: z.string(),
        })
        .strict(),
    )
    .optional()
    .meta({ description: "Every offending field at once (400, 415, 422)." }),
  code: z
    .string()
    .optional()
    .meta({ description: "On a 409: a stable machine-readable code (`conflict`, `illegal-transition`)." }),
  unit: z
    .string()
    .optional()
    .meta({ description: "On a 409 about a claim unit: the unit (`workload:teams`, `subscription:<id>`)." }),
  existingAssociationId: z.string().optional().meta({
    description:
      "On a 409: the caller's own association that already holds the unit (never another partner's).",
  }),
});

const pcsMetricScore = z
  .object({
    metric: pcsMetricId,
    points: z.number().min(0).meta({ description: "Points earned, to the hundredth." }),
    max: z.number().positive(),
    next: z.string().nullable().meta({
      description:
        'The fewest units that earn the rest of the points, e.g. "2 more customers above 300 paid seats (with a CPOR or DPOR): +8 points"; null at full points or when nothing here can earn them.',
    }),
    note: z
      .string()
      .optional()
      .meta({ description: "Why the metric cannot be scored here, when it cannot." }),
  })
  .strict();

/** `GET /pcs`. */
export const pcsResponse = z
  .object({
    programYear: z
      .string()
      .meta({ description: "The Microsoft program year whose rules scored it, e.g. FY27." }),
    asOf: isoDate,
    areas: z.array(
      z
        .object({
          area: pcsSolutionArea,
          metrics: z.array(pcsMetricScore),
          total: z.number().min(0).max(100).meta({ description: "The sum of the metrics' points." }),
          qualified: z.boolean().meta({
            description:
              "At least 70 points with every metric above 0 today, or on a day of this month or the five before.",
          }),
          lastQualifiedOn: isoDate.nullable(),
        })
        .strict(),
    ),
  })
  .strict();

/** `GET /pcs/customers?area=`. */
export const pcsCustomersResponse = z
  .object({
    area: pcsSolutionArea,
    items: z.array(
      z
        .object({
          customerTenantId: z.string(),
          metrics: z.array(pcsMetricId).meta({ description: "The metrics the customer counts toward." }),
          reasons: z
            .array(z.object({ metric: pcsMetricId, reason: z.string() }).strict())
            .meta({ description: "Why it does not count toward the others." }),
        })
        .strict(),
    ),
  })
  .strict();

/** `GET /pcs/history`. */
export const pcsHistoryResponse = z
  .object({
    from: isoDate,
    to: isoDate,
    items: z.array(
      pcsSnapshot
        .omit({ qualifiedToday: true })
        .extend({ qualified: z.boolean().meta({ description: "Qualified on that day itself." }) })
        .strict(),
    ),
  })
  .strict();

/** `GET /azure-revenue`. */
export const azureRevenueResponse = z.object({ rows: z.array(revenueRow) }).strict();

/** `PUT /azure-revenue`. */
export const azureRevenueStoredResponse = z
  .object({ stored: z.number().int().nonnegative().meta({ description: "Rows stored or replaced." }) })
  .strict();
