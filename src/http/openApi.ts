import { z } from "zod";
import { association } from "../domain/association";
import { associationKind } from "../domain/associationTypes";
import { reviewableStatuses, reviewOutcomeInput } from "../domain/review";
import { createAssociationInput } from "../domain/schemas/createAssociation";
import { poeSubmission } from "../domain/schemas/poeSubmission";
import { columnsOfType, importColumns, importRowTypes, maxImportRows } from "../domain/csvImport";
import { dporConfirmationInput } from "../domain/schemas/dporConfirmation";
import { bulkPalLinkInput, createPalLinkInput, palLinkDriftFilter } from "../domain/schemas/palLink";
import { disputeInput, withdrawInput } from "../domain/schemas/reasons";
import { bulkRedeliverInput, listWebhookDeliveriesQuery, putWebhookInput } from "../domain/schemas/webhook";
import { revenueRows, skilling } from "../domain/pcs/records";
import { isoDate } from "../domain/schemas/primitives";
import { revenueColumns } from "../domain/pcs/revenueInput";
import { pcsSolutionArea } from "../domain/associationTypes";
import { associationStatus } from "../domain/status";
import { workloadId } from "../domain/workloads";
import {
  milestoneReachedEvent,
  milestoneReachedType,
  statusChangedType,
  webhookEvent,
} from "../integrations/webhooks/webhookQueue";
import {
  associationPage,
  associationUsageResponse,
  associationViewResponse,
  deadlineView,
  forecastResponse,
  azureRevenueResponse,
  azureRevenueStoredResponse,
  pcsCustomersResponse,
  pcsHistoryResponse,
  pcsResponse,
  opportunitiesResponse,
  healthResponse,
  signInOptionsResponse,
  incentivesResponse,
  jobResponse,
  outboxPage,
  partnerCreatedResponse,
  problemResponse,
  timelineEntryView,
  bulkRedeliverResponse,
  erasureResponse,
  historyPurgeResponse,
  keyRotationResponse,
  orchestrationProblemsResponse,
  orchestrationRestartResponse,
  poisonQueuesResponse,
  poisonReplayResponse,
  webhookDeliveriesPage,
  webhookDeliveryResponse,
  webhookRegistrationResponse,
  webhookResponse,
} from "./responseSchemas";

/**
 * The OpenAPI 3.1 document of the partner API (`/api/v1`, plus `/api/health`). Every request and
 * response schema is generated with `z.toJSONSchema` (input side: what the API accepts, and what
 * parses with the response schemas) from the zod schemas that validate the requests and describe
 * the answers (responseSchemas.ts), so the document cannot drift from the code. The customers'
 * consent pages are not part of this API and are left out.
 */

/** Schemas declared beside their function (functions/ may import src/, never the reverse). */
export interface OpenApiInputs {
  /** The body of `POST /admin/partners`. */
  createPartnerInput: z.ZodType;
}

type JsonSchema = Record<string, unknown>;

const jsonSchemaOf = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

// ---------------------------------------------------------------------------------------------
// Queries and bodies declared privately in their function files, restated from the same domain
// schemas. The handlers' query schemas are strict (an unknown parameter is a 400), and the
// integration test sends every parameter documented here to the running app.

const continuationToken = z
  .string()
  .max(4096)
  .optional()
  .meta({ description: "The `continuationToken` of the previous page, as it was." });

const pageSize = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .optional()
  .meta({ description: "Items per page (default 100).", examples: [50] });

const listAssociationsQuery = z
  .object({
    status: associationStatus.optional().meta({ description: "Only this status.", examples: ["Draft"] }),
    type: associationKind.optional().meta({
      description: "Only this association kind (the view's `kind`).",
      examples: ["cpor-osu-modern-work-security"],
    }),
    customerTenantId: z
      .string()
      .optional()
      .meta({
        description: "Only this customer tenant.",
        examples: ["0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e"],
      }),
    workload: workloadId.optional().meta({
      description:
        "Only claims naming this workload. Filtered after the storage query: a page may hold fewer than pageSize items, even none, and still carry a continuationToken.",
      examples: ["teams"],
    }),
    continuationToken,
    pageSize,
  })
  .strict();

const month = (description: string) =>
  z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month, YYYY-MM")
    .optional()
    .meta({ description, examples: ["2026-12"] });

const incentivesQuery = z
  .object({
    earnedIn: month("Only milestones earned in this month (`earnedAt`, UTC)."),
    payableIn: month("Only earnings payable in this month (`payableOn`)."),
    period: month(
      "The older name of `payableIn`; given beside it, it must name the same month (else 400).",
    ).meta({ deprecated: true }),
    workload: workloadId.optional().meta({ description: "Only this workload.", examples: ["teams"] }),
    associationId: association.shape.id
      .optional()
      .meta({ description: "Only this association's.", examples: ["an-association-id"] }),
  })
  .strict();

const outboxQuery = z
  .object({
    associationId: association.shape.id
      .optional()
      .meta({ description: "Only this association's emails.", examples: ["an-association-id"] }),
    continuationToken,
    pageSize,
  })
  .strict();

const palLinksQuery = z
  .object({
    status: associationStatus
      .optional()
      .meta({ description: "Only this status (`Active`, `Drifted`, `Removed`).", examples: ["Drifted"] }),
    customerTenantId: z
      .string()
      .max(64)
      .optional()
      .meta({
        description: "Only this customer tenant.",
        examples: ["0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e"],
      }),
    drift: palLinkDriftFilter.optional().meta({
      description:
        "Only links whose last check found this drift; `any`: drifted at all, `none`: clean. Applied to each page as read: a page may hold fewer than `pageSize` items while `continuationToken` says more follow.",
      examples: ["any"],
    }),
    continuationToken,
    pageSize,
  })
  .strict();

const disputeBody = disputeInput
  .extend({
    poe: poeSubmission
      .optional()
      .meta({ description: "An updated proof of execution, checked like `POST /poe`'s." }),
  })
  .strict();

/** `POST /submit` takes `{}` or no body at all. */
const submitBody = z.object({}).strict();

/** Query parameters from a strict object schema: one per property, its description lifted. */
function queryParameters(query: z.ZodObject): JsonSchema[] {
  const json = jsonSchemaOf(query) as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, property]) => {
    const { description, deprecated, ...schema } = property;
    return {
      name,
      in: "query",
      required: json.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      ...(deprecated ? { deprecated } : {}),
      schema,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Components

/** Every schema the document names: each refers to the others by `#/components/schemas/<name>`. */
function componentSchemas(inputs: OpenApiInputs): Record<string, JsonSchema> {
  const named: Record<string, z.ZodType> = {
    Problem: problemResponse,
    CreateAssociationInput: createAssociationInput,
    PoeSubmission: poeSubmission,
    SubmitInput: submitBody,
    WithdrawInput: withdrawInput,
    DporConfirmationInput: dporConfirmationInput,
    CreatePalLinkInput: createPalLinkInput,
    BulkPalLinkInput: bulkPalLinkInput,
    DisputeInput: disputeBody,
    ReviewOutcomeInput: reviewOutcomeInput,
    PutWebhookInput: putWebhookInput,
    CreatePartnerInput: inputs.createPartnerInput,
    AssociationView: associationViewResponse,
    Deadline: deadlineView,
    TimelineEntry: timelineEntryView,
    AssociationPage: associationPage,
    AssociationUsage: associationUsageResponse,
    Incentives: incentivesResponse,
    Forecast: forecastResponse,
    Skilling: skilling,
    AzureRevenueInput: z.object({ rows: revenueRows }).strict(),
    AzureRevenue: azureRevenueResponse,
    AzureRevenueStored: azureRevenueStoredResponse,
    Pcs: pcsResponse,
    PcsCustomers: pcsCustomersResponse,
    PcsHistory: pcsHistoryResponse,
    Opportunities: opportunitiesResponse,
    OutboxPage: outboxPage,
    Job: jobResponse,
    WebhookRegistration: webhookRegistrationResponse,
    Webhook: webhookResponse,
    WebhookDelivery: webhookDeliveryResponse,
    WebhookDeliveryPage: webhookDeliveriesPage,
    BulkRedeliverInput: bulkRedeliverInput,
    BulkRedelivery: bulkRedeliverResponse,
    Erasure: erasureResponse,
    OrchestrationProblems: orchestrationProblemsResponse,
    OrchestrationRestart: orchestrationRestartResponse,
    PoisonQueues: poisonQueuesResponse,
    PoisonReplayInput: z
      .object({
        messageIds: z.array(z.string()).optional().meta({ description: "Only these; all when absent." }),
      })
      .strict(),
    PoisonReplay: poisonReplayResponse,
    HistoryPurge: historyPurgeResponse,
    KeyRotation: keyRotationResponse,
    PartnerCreated: partnerCreatedResponse,
    Health: healthResponse,
    SignInOptions: signInOptionsResponse,
    StatusChangedEvent: webhookEvent,
    MilestoneReachedEvent: milestoneReachedEvent,
  };
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  // `$id` would make each schema its own resource; the document's dialect is JSON Schema 2020-12.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
}

const headers = {
  Location: {
    description: "The new resource's URL (an association, a PAL link, a job).",
    schema: { type: "string", format: "uri" },
  },
  IdempotentReplayed: {
    description: "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    schema: { type: "string", enum: ["true"] },
  },
  WwwAuthenticate: {
    description: 'The schemes accepted: `ApiKey, Bearer realm="partner-of-record"`.',
    schema: { type: "string" },
  },
  RetryAfter: {
    description: "Seconds to wait before retrying.",
    schema: { type: "integer", minimum: 0 },
  },
  Vary: { description: "`Accept`: the answer depends on it.", schema: { type: "string" } },
  ContentDisposition: {
    description: '`attachment; filename="…csv"`.',
    schema: { type: "string" },
  },
  WebhookId: {
    description: "The event's ID (`eventId`), the same on every redelivery: drop duplicates on it.",
    schema: { type: "string", minLength: 1, maxLength: 64 },
  },
  WebhookSignature: {
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the secret `PUT /webhook` answered (as text, not decoded), over the body exactly as received. Reject a `t` more than 5 minutes from your clock; during a key rotation several `v1=` entries may appear, and one matching is enough.',
    schema: { type: "string", pattern: "^t=\\d+(,v1=[0-9a-f]{64})+$" },
  },
};

const headerRef = (name: keyof typeof headers) => ({ $ref: `#/components/headers/${name}` });

const parameters = {
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    required: true,
    description:
      "Required on every POST (1–255 visible ASCII characters, e.g. a UUID); keys are per partner. The same key with the same request answers the stored response (`Idempotent-Replayed: true`); a 5xx forgets the key, so a retry runs again.",
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
  },
  AssociationId: {
    name: "id",
    in: "path",
    required: true,
    description: "The association's ID (the `id` of its view).",
    schema: jsonSchemaOf(association.shape.id),
  },
  DeliveryId: {
    name: "id",
    in: "path",
    required: true,
    description: "The delivery's ID: its event's `eventId`, sent as `Webhook-Id`.",
    schema: { type: "string", maxLength: 64 },
  },
  InstanceId: {
    name: "instanceId",
    in: "path",
    required: true,
    description: "The workflow instance's ID (an association's or a job's ID).",
    schema: { type: "string" },
  },
  Queue: {
    name: "queue",
    in: "path",
    required: true,
    description:
      "One of the app's queues (INBOUND_EMAIL_QUEUE, PARTNER_WEBHOOKS_QUEUE, USAGE_POLL_QUEUE, PAL_VERIFY_QUEUE).",
    schema: { type: "string" },
  },
  TenantId: {
    name: "tenantId",
    in: "path",
    required: true,
    description: "The customer's Entra tenant ID (a GUID).",
    schema: { type: "string", format: "uuid" },
  },
  Accept: {
    name: "Accept",
    in: "header",
    required: false,
    description: "`text/csv` (preferred over application/json) answers CSV instead of JSON.",
    schema: { type: "string" },
  },
};

const parameterRef = (name: keyof typeof parameters) => ({ $ref: `#/components/parameters/${name}` });

const securitySchemes = {
  ApiKey: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`Authorization: ApiKey <key>`: the partner API key `POST /admin/partners` answered.",
  },
  Bearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "`Authorization: Bearer <token>`: a Microsoft Entra ID access token from a tenant allowed for the partner, where the service is configured for it.",
  },
  AdminApiKey: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description:
      "`Authorization: ApiKey <admin key>`: the service's administrative key; without one configured, administration is closed.",
  },
};

const partnerSecurity = [{ ApiKey: [] }, { Bearer: [] }];

// ---------------------------------------------------------------------------------------------
// Operations

type Access = "partner" | "admin" | "anonymous";
type Method = "get" | "post" | "put" | "delete";

interface OperationSpec {
  path: string;
  method: Method;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access?: Access;
  parameters?: JsonSchema[];
  /**
   * The request body: a named JSON schema (and, with `alsoCsv`, the same as a text/csv file described
   * in words), or (`csv`) a text/csv file alone.
   */
  body?:
    | { schema: string; required: boolean; description?: string; alsoCsv?: string }
    | { csv: string; required: boolean };
  /** Success responses, by status code. */
  responses: Record<string, JsonSchema>;
  /** What each problem status means for this operation (the pipeline's own meanings are added). */
  problems?: Record<string, string>;
  servers?: { url: string }[];
}

/** A JSON success response. */
const answer = (description: string, schema: string, extraHeaders: Record<string, JsonSchema> = {}) => ({
  description,
  ...(Object.keys(extraHeaders).length ? { headers: extraHeaders } : {}),
  content: { "application/json": { schema: schemaRef(schema) } },
});

/** A JSON success response that is `text/csv` instead when `Accept` prefers it. */
const answerOrCsv = (description: string, schema: string, csvColumns: string) => ({
  description,
  headers: { Vary: headerRef("Vary") },
  content: {
    "application/json": { schema: schemaRef(schema) },
    "text/csv": {
      schema: { type: "string", description: `RFC 4180 with a header row: ${csvColumns}.` },
    },
  },
});

/** POST answers may be replays of the first answer under the same Idempotency-Key. */
const replayable = { "Idempotent-Replayed": headerRef("IdempotentReplayed") };

const reasonPhrases: Record<string, string> = {
  "400": "Bad Request",
  "401": "Unauthorized",
  "404": "Not Found",
  "409": "Conflict",
  "413": "Content Too Large",
  "415": "Unsupported Media Type",
  "422": "Unprocessable Content",
  "429": "Too Many Requests",
  "500": "Internal Server Error",
  "503": "Service Unavailable",
};

/** What the endpoint pipeline (src/http/partnerEndpoint.ts) answers, whatever the operation. */
function pipelineProblems(spec: OperationSpec): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  const add = (status: string, meaning: string) => (problems[status] ??= []).push(meaning);
  if (spec.access === "anonymous") return problems;
  add(
    "401",
    spec.access === "admin"
      ? "no valid administrative key in `Authorization: ApiKey <key>`"
      : "no valid `Authorization: ApiKey <key>` or Entra ID `Bearer` token",
  );
  if (spec.body) {
    add("413", "the body is larger than `MAX_REQUEST_BYTES` (15 MiB unless configured)");
    add(
      "415",
      "the body is not JSON (`application/json` or a `+json` type, UTF-8); `errors` names the header",
    );
  }
  if (spec.method === "post") {
    add("400", "the Idempotency-Key header is missing or malformed");
    add("409", "a request with this Idempotency-Key is still in progress");
    add("422", "this Idempotency-Key was used with a different request");
  }
  if (spec.method !== "get") add("409", "a concurrent change won the race: retry after `Retry-After`");
  if (spec.access !== "admin")
    add(
      "429",
      "the partner is over its request rate on this instance (`PARTNER_RATE_LIMIT_PER_SECOND`, bursts of `PARTNER_RATE_LIMIT_BURST`): retry after `Retry-After`",
    );
  add("500", "an unexpected error; nothing more is said");
  add("503", "a dependency (storage) is unavailable for now: retry after `Retry-After`");
  return problems;
}

function problemResponses(spec: OperationSpec): Record<string, JsonSchema> {
  const meanings = pipelineProblems(spec);
  for (const [status, meaning] of Object.entries(spec.problems ?? {}))
    (meanings[status] ??= []).unshift(meaning);
  return Object.fromEntries(
    Object.entries(meanings)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, list]) => [
        status,
        {
          description: `${reasonPhrases[status] ?? status}: ${list.join("; or ")}.`,
          ...(status === "401" ? { headers: { "WWW-Authenticate": headerRef("WwwAuthenticate") } } : {}),
          ...(status === "409" || status === "429" || status === "503"
            ? { headers: { "Retry-After": headerRef("RetryAfter") } }
            : {}),
          content: { "application/problem+json": { schema: schemaRef("Problem") } },
        },
      ]),
  );
}

function operationOf(spec: OperationSpec): JsonSchema {
  const access = spec.access ?? "partner";
  const full = { ...spec, access };
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    ...(spec.servers ? { servers: spec.servers } : {}),
    security: access === "anonymous" ? [] : access === "admin" ? [{ AdminApiKey: [] }] : partnerSecurity,
    parameters: [
      ...(spec.parameters ?? []),
      ...(spec.method === "post" ? [parameterRef("IdempotencyKey")] : []),
    ],
    ...(spec.body
      ? {
          requestBody:
            "csv" in spec.body
              ? {
                  required: spec.body.required,
                  content: { "text/csv": { schema: { type: "string", description: spec.body.csv } } },
                }
              : {
                  required: spec.body.required,
                  ...(spec.body.description ? { description: spec.body.description } : {}),
                  content: {
                    "application/json": { schema: schemaRef(spec.body.schema) },
                    ...(spec.body.alsoCsv
                      ? { "text/csv": { schema: { type: "string", description: spec.body.alsoCsv } } }
                      : {}),
                  },
                },
        }
      : {}),
    responses: { ...spec.responses, ...problemResponses(full) },
  };
}

const id = parameterRef("AssociationId");
const notYours = "no association with this ID belongs to the caller";

/** A POST on one association answering its view. */
function associationAction(
  spec: Omit<OperationSpec, "path" | "method" | "tags" | "parameters" | "responses"> & {
    action: string;
    status: "200" | "202";
    answer: string;
  },
): OperationSpec {
  const { action, status, answer: meaning, ...rest } = spec;
  return {
    ...rest,
    path: `/associations/{id}/${action}`,
    method: "post",
    tags: ["associations"],
    parameters: [id],
    responses: { [status]: answer(meaning, "AssociationView", replayable) },
    problems: { "404": notYours, ...rest.problems },
  };
}

function operations(): OperationSpec[] {
  return [
    {
      path: "/associations",
      method: "post",
      operationId: "createAssociation",
      summary: "Claim a customer association",
      description:
        "Validates the request, claims its units for the partner (all or nothing), stores the association in its type's first status (claims: Draft; DPOR: Requested; PAL, CSP, TPOR: Active) and starts its workflow (claims: the lifecycle; DPOR: the request email, reminders and expiry). The association ID derives from the Idempotency-Key: a retry finishes the same association.",
      tags: ["associations"],
      body: { schema: "CreateAssociationInput", required: true },
      responses: {
        "201": answer("Created: the new association, in its first status.", "AssociationView", {
          Location: headerRef("Location"),
          ...replayable,
        }),
      },
      problems: {
        "400":
          "the body breaks a rule (every offending field is named in `errors`), or `partnerLocationId` is not one of the partner's",
        "409":
          "a unit is already claimed: by another partner (`unit` names it), or by the caller's own association (`existingAssociationId`)",
      },
    },
    {
      path: "/associations",
      method: "get",
      operationId: "listAssociations",
      summary: "List the partner's associations",
      description: "Filtered, one page at a time; no timelines.",
      tags: ["associations"],
      parameters: queryParameters(listAssociationsQuery),
      responses: { "200": answer("OK: one page of associations.", "AssociationPage") },
      problems: { "400": "a query parameter is unknown or invalid, or the continuation token is mangled" },
    },
    {
      path: "/associations/{id}",
      method: "get",
      operationId: "getAssociation",
      summary: "One association with its timeline",
      tags: ["associations"],
      parameters: [id],
      responses: { "200": answer("OK: the association, with `timeline`.", "AssociationView") },
      problems: { "404": notYours },
    },
    associationAction({
      action: "poe",
      operationId: "submitPoe",
      summary: "Submit the proof of execution",
      description:
        "From Draft the claim is submitted (→ Submitted); from PartnerActionRequired the corrected proof answers the reviewer (→ UnderReview). The proof is checked as Microsoft's reviewers would, every problem at once.",
      body: { schema: "PoeSubmission", required: true },
      status: "202",
      answer:
        "Accepted: the association, now Submitted or UnderReview; the workflow carries on by itself (the customer's consent email, the review).",
      problems: {
        "400": "the body's shape, types or lengths are wrong (`errors` names each field)",
        "409":
          "the association is not in Draft or PartnerActionRequired (`detail` names its status), or its kind needs no proof of execution (use `/submit`)",
        "422": "the proof would be rejected: `errors` lists every problem",
      },
    }),
    associationAction({
      action: "submit",
      operationId: "submitAssociation",
      summary: "Submit a claim that needs no proof of execution",
      description: "For kinds without proof of execution (RevRec, usage recognition): Draft → Submitted.",
      body: { schema: "SubmitInput", required: false, description: "`{}`, or no body at all." },
      status: "202",
      answer:
        "Accepted: the association, now Submitted; the workflow carries on by itself (the customer's consent email, the review).",
      problems: {
        "400": "the body is not `{}`",
        "409":
          "the association is not in Draft (`detail` names its status), or its kind is submitted with its proof of execution (use `/poe`)",
      },
    }),
    associationAction({
      action: "withdraw",
      operationId: "withdrawAssociation",
      summary: "Withdraw the association for good",
      body: { schema: "WithdrawInput", required: true },
      status: "200",
      answer: "OK: the association, now RejectedFinal; its units are released.",
      problems: {
        "400": "`reason` is missing or invalid",
        "409":
          "the association's status allows no withdrawal (`detail` names the current status; `code` is `illegal-transition`)",
      },
    }),
    associationAction({
      action: "dispute",
      operationId: "disputeAssociation",
      summary: "Dispute a rejection (once, within the window)",
      description:
        "With a justification and, optionally, an updated proof of execution. The units are claimed again in the same step.",
      body: { schema: "DisputeInput", required: true },
      status: "200",
      answer: "OK: the association, now in Dispute; reviewers examine it again.",
      problems: {
        "400": "the body breaks a rule (`errors` names each field)",
        "409":
          "the association is not Rejected, was already disputed, or its dispute window has closed; or a unit is now held by another partner (`unit` names it)",
        "422": "the updated proof would be rejected: `errors` lists every problem, under `poe.`",
      },
    }),
    associationAction({
      action: "confirm",
      operationId: "confirmDpor",
      summary: "Confirm that the customer set the partner as DPOR",
      description:
        "Only the customer's account owner can set a DPOR (Azure portal → the subscription → Partner information); the partner confirms what it saw, with the evidence's kind and optionally its document (at most 10 MiB). Requested, Expired or Superseded → Active. Another association Active on the same subscription (any partner) becomes Superseded and is told by webhook, without naming who replaced it. The partner's TPORs are re-evaluated.",
      body: { schema: "DporConfirmationInput", required: true },
      status: "200",
      answer: "OK: the DPOR, now Active, with `evidence` and `confirmedAt`.",
      problems: {
        "400": "the evidence breaks a rule (`errors` names each field)",
        "409": "the association is not a DPOR, or its status allows no confirmation (`detail` names it)",
      },
    }),
    associationAction({
      action: "review",
      operationId: "reviewAssociation",
      summary: "Record Partner Center's review outcome",
      description:
        "Microsoft publishes no claims API: the partner records the outcome Partner Center shows. `partner-action-required` needs at least one of its reasons, `rejected` takes only rejection reasons, `approved` none. A rejection after a dispute is final.",
      body: { schema: "ReviewOutcomeInput", required: true },
      status: "200",
      answer: "OK: the association, now Approved, PartnerActionRequired, Rejected or RejectedFinal.",
      problems: {
        "400": "the body breaks a rule, or a reason does not fit the outcome (`errors` names it)",
        "409": `the association is not in ${reviewableStatuses.join(", ")} (\`detail\` names its status)`,
      },
    }),
    {
      path: "/associations/{id}/poe-template",
      method: "get",
      operationId: "getPoeTemplate",
      summary: "The claim's proof-of-execution document to have signed (PDF)",
      description:
        "Microsoft's CPOR proof-of-execution structure, filled from the claim: the customer (initial domain, tenant ID, contact), the partner (name, location ID, contact), the engagement and its workloads (or subscription), the services delivered, and the customer's acknowledgment (signer name, title, date and signature lines) with the validity note (POE_MAX_AGE_MONTHS). Send it for signature and upload the signed copy with `POST /poe`.",
      tags: ["associations"],
      parameters: [id],
      responses: {
        "200": {
          description: "OK: the PDF, offered as `proof-of-execution-<customer domain>.pdf`.",
          content: { "application/pdf": { schema: { type: "string", format: "binary" } } },
        },
      },
      problems: { "404": notYours, "409": "the association is not a CPOR claim" },
    },
    {
      path: "/associations/{id}/usage",
      method: "get",
      operationId: "getAssociationUsage",
      summary: "Usage toward each incentive milestone",
      description:
        "The baseline at approval, every reading of each claimed workload since, per paid threshold how far the latest reading is and whether it is recorded or flagged, and per claimed workload the forecast: the trend of its active share (least squares over the latest FORECAST_READINGS readings since approval) and the day it is projected to reach its next unpaid threshold. `notMeasurable` lists claimed workloads whose usage cannot be read in the customer tenant, with the reason. `Accept: text/csv` answers the series alone.",
      tags: ["incentives"],
      parameters: [id, parameterRef("Accept")],
      responses: {
        "200": answerOrCsv(
          "OK: the association's usage (CSV: the series, offered as `usage-<id>.csv`).",
          "AssociationUsage",
          "reportRefreshDate, workload, paidSeats, activeUsers, activeShare",
        ),
      },
      problems: { "404": notYours },
    },
    {
      path: "/incentives",
      method: "get",
      operationId: "listIncentives",
      summary: "The partner's incentive ledger",
      description:
        "Every matching entry, each naming its claim and customer, with totals by workload and by payable month, each per currency. `Accept: text/csv` answers the entries alone.",
      tags: ["incentives"],
      parameters: [...queryParameters(incentivesQuery), parameterRef("Accept")],
      responses: {
        "200": answerOrCsv(
          "OK: the matching ledger entries and their totals (CSV: the entries, offered as `incentives.csv`, `incentives-<payableIn>.csv` or `incentives-earned-<earnedIn>[-payable-<payableIn>].csv`).",
          "Incentives",
          "associationId, claimName, customerTenantId, customerDomain, workload, milestoneKey, programId, programVersion, units, amount, currency, reportRefreshDate, earnedAt, payableOn",
        ),
      },
      problems: {
        "400": "a query parameter is unknown or invalid, or `period` names another month than `payableIn`",
      },
    },
    {
      path: "/forecast",
      method: "get",
      operationId: "getForecast",
      summary: "Milestone payments expected in the next 90 days",
      description:
        "Over the partner's Approved associations: each claimed workload's next unpaid threshold, projected from the trend of its active share since approval (as `forecast` in `GET /associations/{id}/usage`), when the crossing falls within 90 days and would pay under the association's program (the milestone's amount for the tenant's seat band, or for the high-water-mark program the seats the latest reading holds above the prior mark); in cumulative 30/60/90-day windows and by payable month, each per currency. `Accept: text/csv` answers the items alone. Takes no query parameters.",
      tags: ["incentives"],
      parameters: [parameterRef("Accept")],
      responses: {
        "200": answerOrCsv(
          "OK: the forecast (CSV: the items, offered as `forecast-<asOf>.csv`).",
          "Forecast",
          "associationId, customerTenantId, workload, milestoneKey, projectedOn, amount, currency, payableOn",
        ),
      },
      problems: { "400": "a query parameter was given (it takes none)" },
    },
    {
      path: "/opportunities",
      method: "get",
      operationId: "listOpportunities",
      summary: "Missed rebates: unclaimed workloads of the partner's customers, and claims about to lapse",
      description:
        "Every customer tenant × Modern Work & Security workload the partner demonstrably works with (CSP Active, PAL Active or Drifted, DPOR Active, TPOR Active, or usage readings it sees of a tenant it has any association with) with known paid seats (the latest reading, else its CSP subscriptions through the SKU table) and no live claim of the partner; those another partner holds (never named); its Draft and PartnerActionRequired claims due within 7 days; and, once each with `workload: null`, customers whose seats are unknown. `value` is what a claim filed now would earn under the program in force (INCENTIVE_PROGRAM) at today's paid seats: 0, with the reason, when the active share already meets a threshold (usage at claim time earns nothing) or the tenant fits no seat band. `Accept: text/csv` answers the same items as CSV.",
      tags: ["incentives"],
      parameters: [parameterRef("Accept")],
      responses: {
        "200": answerOrCsv(
          "OK: the partner's opportunities, highest value first (CSV: the same items, offered as `opportunities.csv`).",
          "Opportunities",
          "customerTenantId, workload, reason, value, currency, action, kind, associationId",
        ),
      },
      problems: { "400": "a query parameter was given: this list takes none" },
    },
    {
      path: "/pcs",
      method: "get",
      operationId: "getPcs",
      summary: "The Partner Capability Score per solution area",
      description:
        "Scored today from the program year's rules (src/config/pcs/*.json): per area each metric's points, maximum and cheapest next step, the total, whether the partner qualifies (at least 70 points and every metric above 0, today or on a day of this month or the five before) and the last qualifying day. Inputs: the partner's associations (CPOR from approval, DPOR from confirmation, PAL while linked, CSP while active), its customers' usage readings, and what it reports through `PUT /skilling` and `PUT /azure-revenue`. Metrics this service has no input for (Business Applications' revenue-based usage growth and deployments) score 0 with a `note`.",
      tags: ["pcs"],
      responses: { "200": answer("OK: the score.", "Pcs") },
      problems: { "400": "a query parameter was given (it takes none)" },
    },
    {
      path: "/pcs/customers",
      method: "get",
      operationId: "getPcsCustomers",
      summary: "Customer eligibility: which metrics each customer counts toward, and why not",
      description:
        "Every customer the partner has an association with or reported Azure revenue for. `reasons` says, per metric it does not count toward: no association of a counting type; below the seat band; below the usage line; association older than the window; lost.",
      tags: ["pcs"],
      parameters: [...queryParameters(z.object({ area: pcsSolutionArea }).strict())],
      responses: { "200": answer("OK: the customers of the area.", "PcsCustomers") },
      problems: { "400": "`area` is missing or not a solution area, or another query parameter was given" },
    },
    {
      path: "/pcs/history",
      method: "get",
      operationId: "getPcsHistory",
      summary: "The daily score snapshots",
      description:
        "Kept by a daily timer (PCS_SNAPSHOT_SCHEDULE): per area and day, the total, the metrics' points and whether it qualified that day. `from` defaults to three months before `to`, `to` to today. `Accept: text/csv` answers the items alone.",
      tags: ["pcs"],
      parameters: [
        ...queryParameters(
          z
            .object({ area: pcsSolutionArea.optional(), from: isoDate.optional(), to: isoDate.optional() })
            .strict(),
        ),
        parameterRef("Accept"),
      ],
      responses: {
        "200": answerOrCsv(
          "OK: the snapshots by area, then day (CSV: offered as `pcs-history.csv`).",
          "PcsHistory",
          "day, area, total, qualified, net-customer-adds, intermediate-certifications, advanced-certifications, usage-growth, deployments",
        ),
      },
      problems: { "400": "a query parameter is unknown or invalid" },
    },
    {
      path: "/skilling",
      method: "put",
      operationId: "putSkilling",
      summary: "Replace the certification counts per solution area",
      description:
        'Microsoft counts certified individuals; this service cannot see them, so the partner reports them: `{"modern-work": {"intermediate": 3, "advanced": 1}}`. An area left out counts 0.',
      tags: ["pcs"],
      body: { schema: "Skilling", required: true },
      responses: { "200": answer("OK: the counts stored.", "Skilling") },
      problems: { "400": "an area or a count is invalid (`errors` names each)" },
    },
    {
      path: "/skilling",
      method: "get",
      operationId: "getSkilling",
      summary: "The certification counts per solution area",
      tags: ["pcs"],
      responses: { "200": answer("OK: the counts (empty before the first PUT).", "Skilling") },
    },
    {
      path: "/azure-revenue",
      method: "put",
      operationId: "putAzureRevenue",
      summary: "Report Azure consumed revenue per customer and month",
      description:
        'Rows are stored or replaced by customer, month and service (at most 5,000 a request); nothing is stored unless every row is valid. `service` is optional: the deployments metric counts distinct services (Virtual Machines excluded). JSON: `{"rows": [...]}` (`errors` name `rows.<n>.<field>`); CSV: a header row, then one row each (`errors` name `line <n>.<field>`, the header is line 1).',
      tags: ["pcs"],
      body: {
        schema: "AzureRevenueInput",
        required: true,
        alsoCsv: `RFC 4180, UTF-8, header ${revenueColumns.join(",")} (service optional).`,
      },
      responses: { "200": answer("OK: how many rows were stored.", "AzureRevenueStored") },
      problems: { "400": "a row or the CSV header is invalid (`errors` names each)" },
    },
    {
      path: "/azure-revenue",
      method: "get",
      operationId: "getAzureRevenue",
      summary: "The Azure consumed revenue reported so far",
      tags: ["pcs"],
      responses: { "200": answer("OK: every row reported.", "AzureRevenue") },
    },
    {
      path: "/pal-links",
      method: "post",
      operationId: "createPalLink",
      summary: "Link the partner's ID with an identity in a customer tenant (PAL)",
      description:
        "Gets a token for the service principal in the customer tenant, PUTs the partner's location ID at Azure Resource Manager (PATCH when the identity carries another partner's ID: `replacedPartnerId` says which), checks ARM shows it Active, and stores the link as a `pal` association, Active. The client secret is kept only encrypted, to verify the link later; no answer ever shows it.",
      tags: ["pal"],
      body: { schema: "CreatePalLinkInput", required: true },
      responses: {
        "201": answer("Created: the link.", "AssociationView", {
          Location: headerRef("Location"),
          ...replayable,
        }),
      },
      problems: {
        "400": "the body breaks a rule (`errors` names each field)",
        "409":
          "this identity is already linked in this tenant by one of your links (`existingAssociationId`)",
        "422":
          "Entra ID refused the identity's credential, or Azure Resource Manager refused the link (`errors` names the field; `code` is `dependency-refused`)",
        "503": "SECRETS_KEY is not set, or Azure did not answer (with Retry-After)",
      },
    },
    {
      path: "/pal-links",
      method: "get",
      operationId: "listPalLinks",
      summary: "The PAL inventory: which tenants and identities carry the partner's ID",
      description:
        "Links made here and PALs recorded by hand, with when each was linked and last verified, and its drift.",
      tags: ["pal"],
      parameters: queryParameters(palLinksQuery),
      responses: { "200": answer("OK: one page of links.", "AssociationPage") },
      problems: { "400": "a query parameter is unknown or invalid, or the continuation token is mangled" },
    },
    {
      path: "/pal-links/bulk",
      method: "post",
      operationId: "bulkPalLinks",
      summary: "Link one identity in up to 500 customer tenants",
      description:
        "Starts a job that links each tenant as `POST /pal-links` does; follow it with `GET /jobs/{id}` (one result per tenant: `linked`, `unchanged` when already linked, or `failed` with the reason).",
      tags: ["pal"],
      body: { schema: "BulkPalLinkInput", required: true },
      responses: {
        "202": answer("Accepted: the job, Running; follow it at `GET /jobs/{id}`.", "Job", {
          Location: headerRef("Location"),
          ...replayable,
        }),
      },
      problems: {
        "400": "the body breaks a rule: more than 500 tenants, a repeated tenant (`errors` names each)",
        "503": "SECRETS_KEY is not set",
      },
    },
    {
      path: "/pal-links/{id}",
      method: "get",
      operationId: "getPalLink",
      summary: "One PAL link with its timeline",
      tags: ["pal"],
      parameters: [id],
      responses: { "200": answer("OK: the link, with `timeline`.", "AssociationView") },
      problems: { "404": notYours },
    },
    {
      path: "/pal-links/{id}",
      method: "delete",
      operationId: "removePalLink",
      summary: "Remove the link at Azure Resource Manager",
      description:
        "Unlinks the partner ID at ARM (a link already gone there is fine), marks the link Removed and forgets the secret. Removing a removed link answers it as it is.",
      tags: ["pal"],
      parameters: [id],
      responses: { "200": answer("OK: the link, Removed.", "AssociationView") },
      problems: {
        "404": notYours,
        "422":
          "Azure Resource Manager or Entra ID refused the identity (a link whose last check found the credential failing is marked Removed anyway, saying so)",
        "503": "Azure did not answer (with Retry-After)",
      },
    },
    {
      path: "/pal-links/{id}/verify",
      method: "post",
      operationId: "verifyPalLink",
      summary: "Check the link at Azure now",
      description:
        "Reads what the identity carries at ARM and records `drift`: null when clean, `deleted`, `other-partner` or `credential-failing`. Active → Drifted (webhook) when it drifted; Drifted → Active when clean again. The weekly check (PAL_VERIFY_SCHEDULE) does the same for every link.",
      tags: ["pal"],
      parameters: [id],
      body: { schema: "SubmitInput", required: false, description: "`{}`, or no body at all." },
      responses: { "200": answer("OK: the link as checked.", "AssociationView", replayable) },
      problems: {
        "404": notYours,
        "409": "the link was removed, or was recorded by hand (no identity to check with)",
        "503": "Azure did not answer (with Retry-After)",
      },
    },
    {
      path: "/csp/imports",
      method: "post",
      operationId: "startCspImport",
      summary: "Import the partner's CSP customers from Partner Center",
      description:
        "Reads the partner's Partner Center customer list (app-only: PARTNER_CENTER_* settings) in the background: each customer becomes or keeps an Active `csp` association with its domain, model and subscriptions; imported ones whose customer left the list are Ended, and Active again when it returns. Manual CSP associations are never ended; one the list names is taken over. A timer (CSP_IMPORT_SCHEDULE) re-imports daily.",
      tags: ["csp"],
      body: { schema: "SubmitInput", required: false, description: "`{}`, or no body at all." },
      responses: {
        "202": answer("Accepted: the import job, Running; follow it at `GET /jobs/{id}`.", "Job", {
          Location: headerRef("Location"),
          ...replayable,
        }),
      },
      problems: {
        "400": "the body is not `{}` (`errors` names the unknown field)",
        "503": "this deployment has no Partner Center access for the partner (`detail` names the setting)",
      },
    },
    {
      path: "/imports",
      method: "post",
      operationId: "startImport",
      summary: "Create DPOR requests, TPOR records and PAL links in bulk from a CSV file",
      description: `One header row naming the columns (any order, any subset of: ${importColumns.join(", ")}), then one row per item, at most ${maxImportRows}. Each row's \`type\` (${importRowTypes.join(", ")}) says which columns apply: ${importRowTypes.map((t) => `${t}: ${columnsOfType[t].join(", ")}`).join("; ")}. A nested field's column is its dotted path; an empty cell is an absent field (\`partnerLocationId\` defaults to the partner's first); \`subscriptionIds\` separates GUIDs with \`;\`. Each row is checked as the single request would be: an invalid row is reported with its \`line\` (the header is line 1) and \`errors\` naming the columns, and creates nothing; the others are created (DPOR, TPOR) or linked at Azure (PAL) by the job.`,
      tags: ["jobs"],
      body: { csv: "RFC 4180, UTF-8, with a header row (see the description).", required: true },
      responses: {
        "202": answer("Accepted: the import job, with the invalid rows' results already in.", "Job", {
          Location: headerRef("Location"),
          ...replayable,
        }),
      },
      problems: {
        "400":
          "the file cannot be taken at all: an unknown or repeated column, no `type` column, no rows, more than 500 rows, not CSV (`errors` names `header.<n>` or `file`)",
        "415": "the body is not text/csv",
        "503": "a PAL row needs SECRETS_KEY, which is not set",
      },
    },
    {
      path: "/jobs/{id}",
      method: "get",
      operationId: "getJob",
      summary: "A bulk operation's progress and results",
      description:
        "PAL bulk links, CSP imports and CSV imports answer 202 with a job: its status, `total`, `done` (successes) and `failed` so far, and one result per item, while it runs and after (`done + failed = total` once it is Completed).",
      tags: ["jobs"],
      parameters: [id],
      responses: { "200": answer("OK: the job.", "Job") },
      problems: { "404": notYours },
    },
    {
      path: "/outbox",
      method: "get",
      operationId: "listOutbox",
      summary: "Emails sent for the partner's associations",
      tags: ["outbox"],
      parameters: queryParameters(outboxQuery),
      responses: { "200": answer("OK: one page of emails, newest state of each.", "OutboxPage") },
      problems: { "400": "a query parameter is unknown or invalid, or the continuation token is mangled" },
    },
    {
      path: "/webhook",
      method: "put",
      operationId: "putWebhook",
      summary: "Register (or replace) the webhook",
      description:
        "One URL receives every event of the partner's associations (see `webhooks`). The URL must be a public https receiver. A new signing secret is made on every PUT.",
      tags: ["webhooks"],
      body: { schema: "PutWebhookInput", required: true },
      responses: {
        "200": {
          ...answer("OK: the URL and its signing secret, shown this once.", "WebhookRegistration"),
          headers: { "Cache-Control": { description: "`no-store`.", schema: { type: "string" } } },
        },
      },
      problems: {
        "400":
          "`url` is not an absolute https URL, carries credentials, or names (or resolves to) an address that is not public",
      },
    },
    {
      path: "/webhook",
      method: "get",
      operationId: "getWebhook",
      summary: "The registered webhook URL (never the secret)",
      tags: ["webhooks"],
      responses: { "200": answer("OK: the registered URL.", "Webhook") },
      problems: { "404": "no webhook is registered" },
    },
    {
      path: "/webhook",
      method: "delete",
      operationId: "deleteWebhook",
      summary: "Remove the webhook and its secret",
      tags: ["webhooks"],
      responses: { "204": { description: "No Content: removed, or there was none." } },
    },
    {
      path: "/webhook/deliveries",
      method: "get",
      operationId: "listWebhookDeliveries",
      summary: "Every webhook delivery, with its attempts, newest first",
      description:
        "One delivery per event sent to the webhook (`id` is the event's `Webhook-Id`). A failed attempt is retried with doubling waits (WEBHOOK_RETRY_FIRST_DELAY up to WEBHOOK_RETRY_MAX_DELAY) for WEBHOOK_RETRY_WINDOW (default 24 hours); then the delivery is `failed` (dead-lettered) until it is redelivered. `state`: `pending` (`nextAttemptAt` says when), `delivered`, `failed`. Kept for HISTORY_RETENTION.",
      tags: ["webhooks"],
      parameters: queryParameters(listWebhookDeliveriesQuery),
      responses: { "200": answer("OK: one page of deliveries.", "WebhookDeliveryPage") },
      problems: { "400": "a query parameter is unknown or invalid, or the continuation token is mangled" },
    },
    {
      path: "/webhook/deliveries/{id}/redeliver",
      method: "post",
      operationId: "redeliverWebhook",
      summary: "Send one delivery again now",
      description:
        "Whatever its state: a failed delivery is tried again in a new retry window; a delivered one is sent once more, with the same `Webhook-Id`.",
      tags: ["webhooks"],
      parameters: [parameterRef("DeliveryId")],
      responses: { "202": answer("Accepted: the delivery, due now.", "WebhookDelivery", replayable) },
      problems: {
        "404": "no delivery with this ID belongs to the caller",
        "409": "no webhook is registered",
      },
    },
    {
      path: "/webhook/deliveries/redeliver",
      method: "post",
      operationId: "bulkRedeliverWebhooks",
      summary: "Send again every delivery since a time",
      description:
        "Every delivery created at or after `since` that is not delivered (pending ones are brought forward, failed ones tried again); with `includeDelivered`, the delivered ones too. For a receiver that was down or lost events.",
      tags: ["webhooks"],
      body: { schema: "BulkRedeliverInput", required: true },
      responses: { "202": answer("Accepted: what is due now.", "BulkRedelivery", replayable) },
      problems: { "400": "`since` is missing or not a date-time", "409": "no webhook is registered" },
    },
    {
      path: "/customers/{tenantId}/erase",
      method: "post",
      operationId: "eraseCustomer",
      summary: "Erase a customer's personal data",
      description:
        "Replaces the names and email addresses of the customer's people wherever the service keeps them for the calling partner: each association's `customerContact`, the emails sent (recipient, subject, bodies), the timeline's text (PoE signers included) and the webhook payloads kept for redelivery. IDs, statuses, dates and the incentive ledger stay. No email is sent to an erased address afterwards. Running it again erases nothing more. Stored PoE documents are not changed.",
      tags: ["customers"],
      parameters: [parameterRef("TenantId")],
      responses: { "200": answer("OK: what was erased.", "Erasure", replayable) },
      problems: {
        "400": "`tenantId` is not a GUID",
        "404": "no association with this customer tenant belongs to the caller",
      },
    },
    {
      path: "/admin/orchestrations",
      method: "get",
      operationId: "listOrchestrations",
      summary: "Failed and stuck workflows, with their last error",
      description:
        "Administrative. `failed`: ended by an error (`lastError`). `stuck`: running but late past its own timer, or not moved for longer than ORCHESTRATION_STUCK_AFTER while not waiting for people or usage.",
      tags: ["admin"],
      access: "admin",
      parameters: queryParameters(z.object({ problem: z.enum(["failed", "stuck"]).optional() }).strict()),
      responses: {
        "200": answer("OK: the workflows in trouble, most recently updated first.", "OrchestrationProblems"),
      },
      problems: { "400": "`problem` is not failed or stuck" },
    },
    {
      path: "/admin/orchestrations/{instanceId}/restart",
      method: "post",
      operationId: "restartOrchestration",
      summary: "Restart a failed, terminated or stuck workflow from its last good state",
      description:
        "Administrative. An association's workflow starts again from the association as stored (its status and baseline); a job's from its input (its items are idempotent). A stuck one is terminated first.",
      tags: ["admin"],
      access: "admin",
      parameters: [parameterRef("InstanceId")],
      responses: { "202": answer("Accepted: restarted.", "OrchestrationRestart", replayable) },
      problems: { "404": "no such workflow", "409": "the workflow is healthy or completed" },
    },
    {
      path: "/admin/poison",
      method: "get",
      operationId: "listPoisonMessages",
      summary: "The poison queues and their first messages",
      description: "Administrative. Each app queue's `<queue>-poison`: how many messages, and the first 32.",
      tags: ["admin"],
      access: "admin",
      responses: { "200": answer("OK: the poison queues.", "PoisonQueues") },
    },
    {
      path: "/admin/poison/{queue}/replay",
      method: "post",
      operationId: "replayPoisonMessages",
      summary: "Send poison messages back to their queue",
      description:
        "Administrative. All of the queue's poison messages, or those named; each is sent back as it was stored, then deleted from the poison queue.",
      tags: ["admin"],
      access: "admin",
      parameters: [parameterRef("Queue")],
      body: { schema: "PoisonReplayInput", required: false },
      responses: { "200": answer("OK: what was sent back.", "PoisonReplay", replayable) },
      problems: { "404": "not one of the app's queues" },
    },
    {
      path: "/admin/history/purge",
      method: "post",
      operationId: "purgeHistory",
      summary: "Purge old history now",
      description:
        "Administrative. What the daily purge (HISTORY_PURGE_SCHEDULE) does: finished workflow history and settled webhook deliveries created before now − HISTORY_RETENTION, and expired idempotency keys.",
      tags: ["admin"],
      access: "admin",
      responses: { "200": answer("OK: how much was purged.", "HistoryPurge", replayable) },
    },
    {
      path: "/admin/consent-signing-key/rotate",
      method: "post",
      operationId: "rotateConsentSigningKey",
      summary: "Rotate the consent-link signing key",
      description:
        "Administrative. New consent links are signed with a new key (stored sealed with SECRETS_KEY); links signed with the key it replaces stay valid until they expire. Two keys verify: the current and the previous one, so a link signed two rotations ago no longer does. Each instance picks the new key up within 30 seconds.",
      tags: ["admin"],
      access: "admin",
      responses: { "200": answer("OK: rotated.", "KeyRotation", replayable) },
      problems: { "409": "no signing key is configured to rotate from", "503": "SECRETS_KEY is not set" },
    },
    {
      path: "/admin/partners",
      method: "post",
      operationId: "createPartner",
      summary: "Onboard a partner",
      description: "Administrative. Answers the partner's API key, the only time it is shown.",
      tags: ["admin"],
      access: "admin",
      body: { schema: "CreatePartnerInput", required: true },
      responses: {
        "201": answer("Created: the partner's ID and API key.", "PartnerCreated", replayable),
      },
      problems: { "400": "the body breaks a rule (`errors` names each field)" },
    },
    {
      path: "/openapi.json",
      method: "get",
      operationId: "openApi",
      summary: "This document",
      tags: ["service"],
      access: "anonymous",
      responses: {
        "200": {
          description: "OK: the OpenAPI 3.1 document of this API.",
          content: { "application/json": { schema: { type: "object" } } },
        },
      },
    },
    {
      path: "/sign-in",
      method: "get",
      operationId: "signInOptions",
      summary: "How the dashboard may sign a partner in",
      description:
        "Anonymous: an API key always; Entra ID (MSAL, authorization code with PKCE) with the client ID, authority and scopes when configured. Nothing here is secret.",
      tags: ["service"],
      access: "anonymous",
      responses: { "200": answer("OK: the sign-in options.", "SignInOptions") },
    },
    {
      path: "/health",
      method: "get",
      operationId: "health",
      summary: "Whether the service can reach its storage",
      description: "Outside `/api/v1`: served at `/api/health`.",
      tags: ["service"],
      access: "anonymous",
      responses: {
        "200": answer("OK: the service and its storage are up.", "Health"),
        "503": answer(
          "Service Unavailable: storage is unreachable (or the service is misconfigured).",
          "Health",
          {
            "Retry-After": headerRef("RetryAfter"),
          },
        ),
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Webhooks: what the service POSTs to the partner's registered URL

function webhookOperation(operationId: string, summary: string, schema: string) {
  return {
    post: {
      operationId,
      summary,
      description:
        "Signed with the partner's webhook secret (`Webhook-Signature`). Delivered at least once: a redelivery carries the same `Webhook-Id` and `eventId`; events of one association may arrive out of order (`at` orders them).",
      tags: ["webhooks"],
      security: [],
      parameters: [
        { name: "Webhook-Id", in: "header", required: true, ...headers.WebhookId },
        { name: "Webhook-Signature", in: "header", required: true, ...headers.WebhookSignature },
      ],
      requestBody: { required: true, content: { "application/json": { schema: schemaRef(schema) } } },
      responses: {
        "2XX": { description: "Received: the event is delivered." },
        "410": { description: "Gone: the webhook is removed (URL and secret); no more events are sent." },
        default: {
          description:
            "Anything else, a redirect, or no answer within 10 seconds: the event is sent again later, a bounded number of times.",
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** The document served at `GET /api/v1/openapi.json`; `serverUrl` is the app's public base URL. */
export function openApiDocument(serverUrl: string, inputs: OpenApiInputs) {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of operations()) {
    const base = spec.path === "/health" ? `${serverUrl}/api` : undefined;
    (paths[spec.path] ??= {})[spec.method] = operationOf(base ? { ...spec, servers: [{ url: base }] } : spec);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "partner-of-record API",
      version: "1.0.0",
      description:
        "Microsoft partner associations from claim to incentive. Every POST needs an `Idempotency-Key`. Errors are RFC 9457 problems (`application/problem+json`) naming the offending field. Lists page with continuation tokens. A route that does not exist answers a 404 problem. The customers' consent pages (`/api/consent/…`) are not part of this API.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: partnerSecurity,
    tags: [
      { name: "associations", description: "Claims and their lifecycle." },
      { name: "incentives", description: "Usage and the incentives it earns." },
      {
        name: "pcs",
        description:
          "The Partner Capability Score, its customers and history, and the inputs only the partner knows.",
      },
      { name: "webhooks", description: "Events posted to the partner." },
      { name: "outbox", description: "Emails sent on the partner's behalf." },
      { name: "customers", description: "A customer's personal data." },
      {
        name: "pal",
        description: "Partner Admin Links made, verified and removed at Azure Resource Manager.",
      },
      { name: "csp", description: "Reseller relationships imported from Partner Center." },
      { name: "jobs", description: "Bulk operations' progress." },
      { name: "admin", description: "Administration (administrative key)." },
      { name: "service", description: "The API document and the health probe." },
    ],
    paths,
    webhooks: {
      [statusChangedType]: webhookOperation(
        "associationStatusChanged",
        "An association's status changed",
        "StatusChangedEvent",
      ),
      [milestoneReachedType]: webhookOperation(
        "associationMilestoneReached",
        "An incentive milestone was recorded in the ledger",
        "MilestoneReachedEvent",
      ),
    },
    components: {
      schemas: componentSchemas(inputs),
      parameters,
      headers,
      securitySchemes,
    },
  };
}
