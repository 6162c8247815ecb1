import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * What a new user found the partner API accepting (or answering oddly), through HTTP only: bodies that
 * are not JSON, text no real claim carries, documents that are no signed document, file names that are
 * members of every JavaScript object, and paths no function serves.
 */
describe("partner API input hygiene", () => {
  let app: AppUnderTest;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp();
    partner = await app.partner("Fabrikam Consulting");
  });

  afterAll(() => app?.host.stop());

  const claim = (overrides: Record<string, unknown> = {}) =>
    cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID(), ...overrides });

  async function problemOf(response: Response) {
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    return (await response.json()) as {
      type: string;
      title: string;
      status: number;
      detail?: string;
      errors?: { path: string; message: string }[];
    };
  }

  describe("a body that is not JSON", () => {
    it.each(["text/plain", "application/xml"])(
      "answers 415 problem+json for %s, and the same key then works as JSON",
      async (contentType) => {
        const key = randomUUID();
        const body = JSON.stringify(claim());
        const refused = await app.call(partner.apiKey, "POST", "/api/v1/associations", body, {
          "content-type": contentType,
          "idempotency-key": key,
        });
        expect(refused.status).toBe(415);
        expect(await problemOf(refused)).toMatchObject({
          type: "about:blank",
          title: "Unsupported Media Type",
          status: 415,
          detail: expect.stringContaining("application/json") as string,
        });
        const retried = await app.call(partner.apiKey, "POST", "/api/v1/associations", body, {
          "content-type": "application/json; charset=utf-8",
          "idempotency-key": key,
        });
        expect(retried.status).toBe(201);
        expect(retried.headers.get("idempotent-replayed")).toBeNull();
      },
    );

    it("answers 415 to a PUT of the webhook sent as text/plain", async () => {
      const response = await app.call(
        partner.apiKey,
        "PUT",
        "/api/v1/webhook",
        JSON.stringify({ url: "https://hooks.fabrikam.example/por" }),
        { "content-type": "text/plain" },
      );
      expect(response.status).toBe(415);
      expect((await problemOf(response)).status).toBe(415);
      expect((await app.call(partner.apiKey, "GET", "/api/v1/webhook")).status).toBe(404);
    });
  });

  describe("text no real claim carries", () => {
    // Bodies are built per test: the partner's location ID is known only once the app runs.
    it.each<[string, () => string, string, string]>([
      [
        "the nil tenant GUID",
        () => JSON.stringify(claim({ customerTenantId: "00000000-0000-0000-0000-000000000000" })),
        "customerTenantId",
        "must not be the nil GUID",
      ],
      [
        "a NUL in the customer's name",
        () =>
          JSON.stringify(
            claim({
              customerContact: { name: "Megan\u0000Bowen", title: "CIO", email: "megan@contoso.com" },
            }),
          ),
        "customerContact.name",
        "must not contain control characters",
      ],
      [
        "a line break in the customer's title",
        () =>
          JSON.stringify(
            claim({ customerContact: { name: "Megan", title: "CIO\r\nBcc: x", email: "megan@contoso.com" } }),
          ),
        "customerContact.title",
        "must be a single line (no line breaks)",
      ],
      [
        "a lone surrogate in the claim name",
        // JSON.stringify writes a lone surrogate as the escape "\ud800", as a client's JSON would.
        () => JSON.stringify(claim({ claimName: "Contoso \ud800" })),
        "claimName",
        "must be valid Unicode text",
      ],
    ])("answers 400 for %s, naming the field and the rule", async (_case, body, path, message) => {
      const response = await app.call(partner.apiKey, "POST", "/api/v1/associations", body());
      expect(response.status).toBe(400);
      expect((await problemOf(response)).errors).toEqual([{ path, message }]);
    });
  });

  describe("the proof of execution's document", () => {
    const poe = (documentName: string, content: Buffer) => ({
      documentName,
      documentBase64: content.toString("base64"),
      customerSignerName: "Megan Bowen",
      customerSignerEmail: "megan@contoso.com",
      signedDate: new Date().toISOString().slice(0, 10),
      servicesDescription: "Teams rollout and Exchange migration, with adoption workshops.",
      workloads: ["teams", "exchange"],
    });
    const pdf = Buffer.from("%PDF-1.4 signed statement of work");

    async function draft(): Promise<string> {
      const created = await app.call(partner.apiKey, "POST", "/api/v1/associations", claim());
      expect(created.status).toBe(201);
      return ((await created.json()) as { id: string }).id;
    }

    it.each<[string, string, string, Buffer]>([
      [
        "a Windows program named .pdf",
        "documentBase64",
        "sow.pdf",
        Buffer.from("MZ\x90\x00\x03\x00program", "latin1"),
      ],
      ["random bytes named .png", "documentBase64", "scan.png", Buffer.from("3q2+78r+ur7v3q2+", "base64")],
      ["a .exe", "documentName", "setup.exe", pdf],
      ["the name constructor", "documentName", "constructor", pdf],
      ["the name x.__proto__", "documentName", "x.__proto__", pdf],
    ])(
      "answers 422 for %s, naming %s, and keeps the association in Draft",
      async (_case, field, name, content) => {
        const id = await draft();
        const response = await app.call(
          partner.apiKey,
          "POST",
          `/api/v1/associations/${id}/poe`,
          poe(name, content),
        );
        expect(response.status).toBe(422);
        const problem = await problemOf(response);
        expect(problem.errors).toEqual([
          { path: field, message: expect.stringContaining("unsupported document") as string },
        ]);
        const read = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`);
        expect(((await read.json()) as { status: string }).status).toBe("Draft");
      },
    );

    it("accepts a PDF named .pdf", async () => {
      const id = await draft();
      const response = await app.call(
        partner.apiKey,
        "POST",
        `/api/v1/associations/${id}/poe`,
        poe("sow.pdf", pdf),
      );
      expect(response.status).toBe(202);
    });
  });

  describe("a path no function serves", () => {
    it.each([
      ["GET", "/api/v1/nope"],
      ["POST", "/api/v2/x"],
      ["DELETE", "/api/v1/associations"],
      ["PATCH", `/api/v1/associations/${randomUUID()}`],
      ["GET", `/api/v1/associations/${randomUUID()}/poe`],
      ["PUT", "/api/health"],
      ["GET", "/api"],
    ])("answers %s %s with a 404 problem naming the method and path", async (method, path) => {
      const response = await fetch(`${app.url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(await problemOf(response)).toEqual({
        type: "about:blank",
        title: "Not found",
        status: 404,
        detail: `no route ${method} ${path}`,
      });
    });

    it("loses to every route that serves the path", async () => {
      expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
      expect((await fetch(`${app.url}/api/v1/openapi.json`)).status).toBe(200);
      const list = await app.call(partner.apiKey, "GET", "/api/v1/associations");
      expect(list.status).toBe(200);
      expect(list.headers.get("content-type")).toContain("application/json");
      expect((await fetch(`${app.url}/api/v1/associations`)).status).toBe(401);
      const created = await app.call(partner.apiKey, "POST", "/api/v1/associations", claim());
      expect(created.status).toBe(201);
      const consent = await fetch(`${app.url}/api/consent/not-a-token`);
      expect(consent.status).toBe(401);
      expect(consent.headers.get("content-type")).toContain("text/html");
    });
  });
});
