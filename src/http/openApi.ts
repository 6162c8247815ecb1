import { z } from "zod";
import { createAssociationInput } from "../domain/schemas/createAssociation";
import { poeSubmission } from "../domain/schemas/poeSubmission";
import { disputeInput, withdrawInput } from "../domain/schemas/reasons";
import { putWebhookInput } from "../domain/schemas/webhook";

/**
 * The OpenAPI 3.1 document of `/api/v1`, generated from the same zod schemas that validate the
 * requests (z.toJSONSchema, input side), so the document cannot drift from the code.
 */
const schema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: "input", target: "draft-2020-12", unrepresentable: "any" });

const problem = {
  description: "RFC 9457 problem details",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: true,
  schema: { type: "string", minLength: 1, maxLength: 255 },
  description: "Required on every POST; the same key and body answer the stored response for 24 hours.",
};

function post(summary: string, body: z.ZodType, ok: string) {
  return {
    summary,
    parameters: [idempotencyKey],
    requestBody: { required: true, content: { "application/json": { schema: schema(body) } } },
    responses: {
      [ok]: { description: "Accepted" },
      "400": problem,
      "401": problem,
      "404": problem,
      "409": problem,
      "422": problem,
    },
  };
}

export function openApiDocument(serverUrl: string) {
  const id = { name: "id", in: "path", required: true, schema: { type: "string" } };
  return {
    openapi: "3.1.0",
    info: { title: "partner-of-record API", version: "1.0.0" },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    paths: {
      "/associations": {
        post: post("Claim a customer association", createAssociationInput, "201"),
        get: {
          summary: "List the partner's associations",
          parameters: ["status", "type", "customerTenantId", "continuationToken", "pageSize"].map((name) => ({
            name,
            in: "query",
            schema: { type: "string" },
          })),
          responses: { "200": { description: "One page" }, "400": problem, "401": problem },
        },
      },
      "/associations/{id}": {
        get: {
          summary: "One association with its timeline",
          parameters: [id],
          responses: { "200": { description: "The association" }, "404": problem },
        },
      },
      "/associations/{id}/poe": {
        post: {
          ...post("Submit the proof of execution", poeSubmission, "202"),
          parameters: [id, idempotencyKey],
        },
      },
      "/associations/{id}/withdraw": {
        post: { ...post("Withdraw for good", withdrawInput, "202"), parameters: [id, idempotencyKey] },
      },
      "/associations/{id}/dispute": {
        post: {
          ...post("Dispute a rejection (once, within the window)", disputeInput, "200"),
          parameters: [id, idempotencyKey],
        },
      },
      "/webhook": {
        put: {
          summary: "Register the webhook; answers the signing secret, shown once",
          requestBody: {
            required: true,
            content: { "application/json": { schema: schema(putWebhookInput) } },
          },
          responses: { "200": { description: "{url, secret}" }, "400": problem, "401": problem },
        },
        get: {
          summary: "The registered webhook URL",
          responses: { "200": { description: "{url}" }, "404": problem },
        },
        delete: { summary: "Remove the webhook", responses: { "204": { description: "Removed" } } },
      },
      "/outbox": {
        get: {
          summary: "Emails sent for the partner's associations",
          responses: { "200": { description: "One page" } },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "Authorization", description: "ApiKey <key>" },
      },
      schemas: {
        Problem: {
          type: "object",
          required: ["type", "title", "status"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
            errors: {
              type: "array",
              items: {
                type: "object",
                properties: { path: { type: "string" }, message: { type: "string" } },
              },
            },
          },
        },
      },
    },
  };
}
