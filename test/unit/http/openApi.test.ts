import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPartnerInput } from "../../../functions/http/api/admin";
import { createAssociationInput } from "../../../src/domain/schemas/createAssociation";
import { poeSubmission } from "../../../src/domain/schemas/poeSubmission";
import { openApiDocument } from "../../../src/http/openApi";
import { milestoneReachedType, statusChangedType } from "../../../src/integrations/webhooks/webhookQueue";

/**
 * Every route the app's HTTP functions register under `/api/v1` (functions/http/**), as
 * [method, path relative to /api/v1, function name]. A new route belongs here and in the document.
 * Not listed: the customers' consent pages and the catch-all 404 (functions/http/consent.ts,
 * functions/http/notFound.ts); `GET /api/health` is checked on its own.
 */
const v1Routes: readonly (readonly [string, string, string])[] = [
  ["post", "/associations", "createAssociation"],
  ["get", "/associations", "listAssociations"],
  ["get", "/associations/{id}", "getAssociation"],
  ["post", "/associations/{id}/poe", "submitPoe"],
  ["post", "/associations/{id}/submit", "submitAssociation"],
  ["post", "/associations/{id}/withdraw", "withdrawAssociation"],
  ["post", "/associations/{id}/dispute", "disputeAssociation"],
  ["post", "/associations/{id}/review", "reviewAssociation"],
  ["post", "/associations/{id}/confirm", "confirmDpor"],
  ["get", "/jobs/{id}", "getJob"],
  ["post", "/csp/imports", "startCspImport"],
  ["post", "/imports", "startImport"],
  ["post", "/pal-links", "createPalLink"],
  ["get", "/pal-links", "listPalLinks"],
  ["post", "/pal-links/bulk", "bulkPalLinks"],
  ["get", "/pal-links/{id}", "getPalLink"],
  ["delete", "/pal-links/{id}", "removePalLink"],
  ["post", "/pal-links/{id}/verify", "verifyPalLink"],
  ["get", "/associations/{id}/usage", "getAssociationUsage"],
  ["get", "/associations/{id}/poe-template", "getPoeTemplate"],
  ["get", "/incentives", "listIncentives"],
  ["get", "/forecast", "getForecast"],
  ["get", "/opportunities", "listOpportunities"],
  ["get", "/pcs", "getPcs"],
  ["get", "/pcs/customers", "getPcsCustomers"],
  ["get", "/pcs/history", "getPcsHistory"],
  ["put", "/skilling", "putSkilling"],
  ["get", "/skilling", "getSkilling"],
  ["put", "/azure-revenue", "putAzureRevenue"],
  ["get", "/azure-revenue", "getAzureRevenue"],
  ["get", "/outbox", "listOutbox"],
  ["put", "/webhook", "putWebhook"],
  ["get", "/webhook", "getWebhook"],
  ["delete", "/webhook", "deleteWebhook"],
  ["get", "/webhook/deliveries", "listWebhookDeliveries"],
  ["post", "/webhook/deliveries/{id}/redeliver", "redeliverWebhook"],
  ["post", "/webhook/deliveries/redeliver", "bulkRedeliverWebhooks"],
  ["post", "/customers/{tenantId}/erase", "eraseCustomer"],
  ["get", "/admin/orchestrations", "listOrchestrations"],
  ["post", "/admin/orchestrations/{instanceId}/restart", "restartOrchestration"],
  ["get", "/admin/poison", "listPoisonMessages"],
  ["post", "/admin/poison/{queue}/replay", "replayPoisonMessages"],
  ["post", "/admin/history/purge", "purgeHistory"],
  ["post", "/admin/consent-signing-key/rotate", "rotateConsentSigningKey"],
  ["post", "/admin/partners", "createPartner"],
  ["get", "/openapi.json", "openApi"],
  ["get", "/sign-in", "signInOptions"],
];

const successStatus: Record<string, string> = {
  createAssociation: "201",
  submitPoe: "202",
  submitAssociation: "202",
  withdrawAssociation: "200",
  disputeAssociation: "200",
  reviewAssociation: "200",
  confirmDpor: "200",
  createPalLink: "201",
  bulkPalLinks: "202",
  startCspImport: "202",
  startImport: "202",
  redeliverWebhook: "202",
  restartOrchestration: "202",
  bulkRedeliverWebhooks: "202",
  createPartner: "201",
  deleteWebhook: "204",
};

const reasonPhrases: Record<string, string> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted",
  "204": "No Content",
};

interface Ref {
  $ref: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  operationId: string;
  summary: string;
  security?: Record<string, unknown>[];
  servers?: { url: string }[];
  parameters?: (Parameter | Ref)[];
  requestBody?: { content: Record<string, { schema: Ref }> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

const base = "https://por.example.com";
/** The document as it travels: JSON, nothing that does not survive serialisation. */
const doc = JSON.parse(JSON.stringify(openApiDocument(base, { createPartnerInput }))) as Document;

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

/** Follows a local `$ref` (`#/components/...`) to what it names. */
function resolve<T>(value: T | Ref): T {
  if (typeof value !== "object" || value === null || !("$ref" in value)) return value;
  const target = value.$ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
  if (target === undefined) throw new Error(`unresolved ${value.$ref}`);
  return target as T;
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string" ? [value] : refsIn(value),
  );
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("resolves every $ref inside itself", () => {
    const refs = [...new Set(refsIn(doc))];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(() => resolve({ $ref: ref }), ref).not.toThrow();
  });

  it("documents exactly the routes the app registers under /api/v1, with their methods", () => {
    const documented = operations()
      .filter(({ path }) => path !== "/health")
      .map(({ method, path }) => `${method} ${path}`);
    expect(documented.sort()).toEqual(v1Routes.map(([method, path]) => `${method} ${path}`).sort());
    expect(doc.servers).toEqual([{ url: `${base}/api/v1` }]);
  });

  it("documents GET /api/health under its own server", () => {
    expect(Object.keys(doc.paths["/health"] ?? {})).toEqual(["get"]);
    expect(doc.paths["/health"]?.["get"]?.servers).toEqual([{ url: `${base}/api` }]);
    const others = operations().filter(({ path }) => path !== "/health");
    for (const { op } of others) expect(op.servers).toBeUndefined();
  });

  it("names each operation after its function, uniquely across paths and webhooks", () => {
    for (const [method, path, name] of v1Routes) expect(doc.paths[path]?.[method]?.operationId).toBe(name);
    const ids = [...operations(), ...Object.values(doc.webhooks).flatMap((item) => Object.values(item))].map(
      (entry) => ("op" in entry ? entry.op : entry).operationId,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives every operation a summary and a described response with a schema or a problem", () => {
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toMatch(/\w/);
      const responses = Object.values(op.responses);
      for (const response of responses) expect(response.description, where).toMatch(/\w/);
      const schemas = responses.flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema));
      expect(schemas.filter(Boolean).length, where).toBeGreaterThan(0);
    }
  });

  it("answers each success with its own status and says what it means", () => {
    for (const { path, method, op } of operations()) {
      const successes = Object.keys(op.responses).filter((s) => s.startsWith("2"));
      expect(successes, `${method} ${path}`).toEqual([successStatus[op.operationId] ?? "200"]);
      for (const status of successes)
        expect(op.responses[status]?.description).toMatch(new RegExp(`^${reasonPhrases[status]}: `));
    }
    expect(doc.paths["/associations"]?.["post"]?.responses["201"]?.headers).toHaveProperty("Location");
  });

  it("requires Idempotency-Key on every POST, and only there", () => {
    for (const { path, method, op } of operations()) {
      const key = (op.parameters ?? []).map((p) => resolve(p)).find((p) => p.name === "Idempotency-Key");
      if (method !== "post") {
        expect(key, `${method} ${path}`).toBeUndefined();
        continue;
      }
      expect(key, path).toMatchObject({ in: "header", required: true });
      for (const status of ["400", "409", "422"])
        expect(op.responses[status]?.description, `${path} ${status}`).toMatch(/Idempotency-Key/);
    }
  });

  it("answers every error as the one Problem, with the headers each status promises", () => {
    for (const { path, method, op } of operations())
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || path === "/health") continue;
        expect(response.content, `${method} ${path} ${status}`).toEqual({
          "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
        });
        if (status === "401") expect(response.headers).toHaveProperty("WWW-Authenticate");
        if (status === "503") expect(response.headers).toHaveProperty("Retry-After");
      }
    const withBodies = operations().filter(({ op }) => op.requestBody);
    for (const { op } of withBodies)
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["413", "415"]));
  });

  it("secures partner operations with ApiKey or Bearer, administration with the admin key", () => {
    expect(Object.keys(doc.components["securitySchemes"] ?? {}).sort()).toEqual([
      "AdminApiKey",
      "ApiKey",
      "Bearer",
    ]);
    const securityOf = (path: string, method: string) => doc.paths[path]?.[method]?.security;
    expect(securityOf("/associations", "post")).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(securityOf("/admin/partners", "post")).toEqual([{ AdminApiKey: [] }]);
    expect(securityOf("/openapi.json", "get")).toEqual([]);
    expect(securityOf("/health", "get")).toEqual([]);
  });

  it("generates request schemas from the zod schemas that validate the requests", () => {
    const generated = (schema: z.ZodType) => {
      const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
      return rest;
    };
    const schemas = doc.components["schemas"] ?? {};
    expect(schemas["CreateAssociationInput"]).toEqual(generated(createAssociationInput));
    expect(schemas["PoeSubmission"]).toEqual(generated(poeSubmission));
    expect(schemas["CreatePartnerInput"]).toEqual(generated(createPartnerInput));
    const bodyOf = (path: string) =>
      doc.paths[path]?.["post"]?.requestBody?.content["application/json"]?.schema;
    expect(bodyOf("/associations/{id}/poe")).toEqual({ $ref: "#/components/schemas/PoeSubmission" });
    expect(bodyOf("/associations/{id}/review")).toEqual({ $ref: "#/components/schemas/ReviewOutcomeInput" });
  });

  it("offers CSV beside JSON for usage, incentives and opportunities", () => {
    for (const path of ["/associations/{id}/usage", "/incentives", "/opportunities"])
      expect(Object.keys(doc.paths[path]?.["get"]?.responses["200"]?.content ?? {})).toEqual([
        "application/json",
        "text/csv",
      ]);
  });

  it("describes both webhook events, signed, with their event schemas", () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([milestoneReachedType, statusChangedType].sort());
    for (const [type, item] of Object.entries(doc.webhooks)) {
      const post = item["post"];
      const headers = (post?.parameters ?? []).map((p) => resolve(p));
      expect(headers.filter((p) => p.in === "header" && p.required).map((p) => p.name)).toEqual([
        "Webhook-Id",
        "Webhook-Signature",
      ]);
      const body = resolve<{ properties: { type: { const: string } } }>(
        post?.requestBody?.content["application/json"]?.schema ?? { $ref: "#/missing" },
      );
      expect(body.properties.type.const).toBe(type);
    }
  });
});
