import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  associationPage,
  associationUsageResponse,
  associationViewResponse,
  incentivesResponse,
  outboxPage,
  partnerCreatedResponse,
  problemResponse,
  webhookRegistrationResponse,
  webhookResponse,
} from "../../../src/http/responseSchemas";
import { startApp, type AppUnderTest } from "../../support/app";
import { cporRequest } from "../../support/builders";

interface QueryParameter {
  name: string;
  in: string;
  schema: { examples?: (string | number)[] };
}
interface Operation {
  parameters?: (QueryParameter | { $ref: string })[];
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/**
 * `GET /api/v1/openapi.json` on the app as it runs, and the running app held to what it says:
 * every answer below has a status the document lists for its operation and a body that parses
 * with the response schema the document was generated from, and every query parameter the
 * document names is accepted (the handlers refuse unknown ones).
 */
describe("GET /api/v1/openapi.json", () => {
  let app: AppUnderTest;
  let doc: Document;

  beforeAll(async () => {
    app = await startApp({
      LIFECYCLE_POE_DEADLINE: "PT5M",
      WEBHOOK_ALLOWED_HOSTS: "hooks.fabrikam.example",
    });
    const response = await fetch(`${app.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    doc = (await response.json()) as Document;
  });

  afterAll(async () => {
    await app?.host.stop();
  });

  /** Asserts `response` is documented for the operation and parses with `schema`; answers the body. */
  async function documented<T extends z.ZodType>(
    response: Response,
    [method, path]: [string, string],
    schema: T,
  ): Promise<z.output<T>> {
    const statuses = Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    const body: unknown = await response.json();
    expect(statuses, `${method} ${path} answered ${response.status}: ${JSON.stringify(body)}`).toContain(
      String(response.status),
    );
    return schema.parse(body);
  }

  /** Every query parameter the operation documents, each with its example value. */
  function exampleQuery(method: string, path: string, overrides: Record<string, string> = {}): string {
    const query = new URLSearchParams();
    for (const p of doc.paths[path]?.[method]?.parameters ?? [])
      if ("in" in p && p.in === "query") query.set(p.name, String(p.schema.examples?.[0] ?? ""));
    for (const [name, value] of Object.entries(overrides)) query.set(name, value);
    return query.toString();
  }

  it("answers the document, valid OpenAPI 3.1, for the app's public URL, anonymously", async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(doc.servers).toEqual([{ url: `${app.url}/api/v1` }]);
    expect(doc.paths["/associations/{id}/usage"]?.["get"]).toBeDefined();
  });

  it("holds the running app to the document", async () => {
    const location = "4871234";
    const created = await app.call(app.adminKey, "POST", "/api/v1/admin/partners", {
      name: "Contoso Partner",
      partnerLocationId: location,
    });
    const { apiKey } = await documented(created, ["post", "/admin/partners"], partnerCreatedResponse);

    const claim = await app.call(
      apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: location }),
    );
    const view = await documented(claim, ["post", "/associations"], associationViewResponse);
    expect(claim.headers.get("location")).toBe(`${app.url}/api/v1/associations/${view.id}`);

    const one = await app.call(apiKey, "GET", `/api/v1/associations/${view.id}`);
    expect(
      (await documented(one, ["get", "/associations/{id}"], associationViewResponse)).timeline,
    ).toBeDefined();

    const list = await app.call(
      apiKey,
      "GET",
      `/api/v1/associations?${exampleQuery("get", "/associations")}`,
    );
    await documented(list, ["get", "/associations"], associationPage);

    const usage = await app.call(apiKey, "GET", `/api/v1/associations/${view.id}/usage`);
    expect(
      (await documented(usage, ["get", "/associations/{id}/usage"], associationUsageResponse)).baseline,
    ).toBeNull();
    const csv = await app.call(apiKey, "GET", `/api/v1/associations/${view.id}/usage`, undefined, {
      accept: "text/csv",
    });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);

    const incentives = await app.call(
      apiKey,
      "GET",
      `/api/v1/incentives?${exampleQuery("get", "/incentives")}`,
    );
    await documented(incentives, ["get", "/incentives"], incentivesResponse);

    const outbox = await app.call(apiKey, "GET", `/api/v1/outbox?${exampleQuery("get", "/outbox")}`);
    await documented(outbox, ["get", "/outbox"], outboxPage);

    const withdrawn = await app.call(apiKey, "POST", `/api/v1/associations/${view.id}/withdraw`, {
      reason: "duplicate",
    });
    const after = await documented(
      withdrawn,
      ["post", "/associations/{id}/withdraw"],
      associationViewResponse,
    );
    expect([withdrawn.status, after.status]).toEqual([200, "RejectedFinal"]);
    const again = await app.call(apiKey, "POST", `/api/v1/associations/${view.id}/withdraw`, {
      reason: "again",
    });
    expect(again.status).toBe(409);
    expect(
      (await documented(again, ["post", "/associations/{id}/withdraw"], problemResponse)).detail,
    ).toMatch(/RejectedFinal/);
  });

  it("answers the webhook operations as documented", async () => {
    const { apiKey } = await app.partner();
    const url = "https://hooks.fabrikam.example/por";
    const put = await app.call(
      apiKey,
      "PUT",
      "/api/v1/webhook",
      { url },
      { "content-type": "application/json" },
    );
    await documented(put, ["put", "/webhook"], webhookRegistrationResponse);
    await documented(await app.call(apiKey, "GET", "/api/v1/webhook"), ["get", "/webhook"], webhookResponse);
    const removed = await app.call(apiKey, "DELETE", "/api/v1/webhook");
    expect(Object.keys(doc.paths["/webhook"]?.["delete"]?.responses ?? {})).toContain(String(removed.status));
    await documented(await app.call(apiKey, "GET", "/api/v1/webhook"), ["get", "/webhook"], problemResponse);
  });

  it("answers the pipeline's problems as documented", async () => {
    const { apiKey } = await app.partner();
    const path = "/api/v1/associations";
    const op: [string, string] = ["post", "/associations"];
    const noKey = await app.call(apiKey, "POST", path, cporRequest(), { "idempotency-key": "" });
    expect((await documented(noKey, op, problemResponse)).status).toBe(400);
    const notJson = await app.call(apiKey, "POST", path, "type=cpor", { "content-type": "text/plain" });
    expect((await documented(notJson, op, problemResponse)).status).toBe(415);
    const anonymous = await app.call("wrong-key", "GET", path);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/ApiKey/);
    expect((await documented(anonymous, ["get", "/associations"], problemResponse)).status).toBe(401);
    const unknown = await app.call(
      apiKey,
      "GET",
      `${path}?${exampleQuery("get", "/associations", { colour: "red" })}`,
    );
    expect((await documented(unknown, ["get", "/associations"], problemResponse)).status).toBe(400);
  });
});
