import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/** The partner API on the local host, through HTTP only. */
describe("partner API", () => {
  let app: AppUnderTest;
  let fabrikam: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let contoso: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    app = await startApp();
    fabrikam = await app.partner("Fabrikam Consulting");
    contoso = await app.partner("Contoso Partners");
  });

  afterAll(() => app?.host.stop());

  const claim = (partner: typeof fabrikam, overrides: Record<string, unknown> = {}) =>
    cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID(), ...overrides });

  it("creates a Draft association with a Location and its first timeline entry", async () => {
    const response = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; status: string };
    expect(body.status).toBe("Draft");
    expect(response.headers.get("location")).toContain(`/api/v1/associations/${body.id}`);
    const read = await app.call(fabrikam.apiKey, "GET", `/api/v1/associations/${body.id}`);
    const detail = (await read.json()) as { timeline: { kind: string; to?: string }[] };
    expect(detail.timeline[0]).toMatchObject({ kind: "created", to: "Draft" });
  });

  it("answers 401 without an API key and with a wrong one", async () => {
    expect((await fetch(`${app.url}/api/v1/associations`)).status).toBe(401);
    expect((await app.call("por_wrong", "GET", "/api/v1/associations")).status).toBe(401);
  });

  it("rejects an invalid body with 400 naming every field, and writes nothing", async () => {
    const tenant = randomUUID();
    const response = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", {
      ...claim(fabrikam, { customerTenantId: tenant }),
      customerDomain: "contoso.com",
      workloads: ["teams", "skype"],
      partnerContact: { name: "", email: "nope" },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual([
      "customerDomain",
      "partnerContact.email",
      "partnerContact.name",
      "workloads.1",
    ]);
    const list = (await (
      await app.call(fabrikam.apiKey, "GET", `/api/v1/associations?customerTenantId=${tenant}`)
    ).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it("filters by workload across pages, every claim listed once, with a bad workload a 400", async () => {
    const partner = await app.partner("Workload Filter Ltd");
    const workloadsOf = [["teams"], ["exchange"], ["teams", "sharepoint"], ["sharepoint"], ["teams"]];
    const made: { id: string; workloads: string[] }[] = [];
    for (const workloads of workloadsOf) {
      const response = await app.call(
        partner.apiKey,
        "POST",
        "/api/v1/associations",
        claim(partner, { workloads }),
      );
      expect(response.status).toBe(201);
      made.push({ id: ((await response.json()) as { id: string }).id, workloads });
    }
    const listed: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `workload=teams&pageSize=2${token ? `&continuationToken=${token}` : ""}`;
      const page = (await (
        await app.call(partner.apiKey, "GET", `/api/v1/associations?${query}`)
      ).json()) as {
        items: { id: string; workloads: string[] }[];
        continuationToken?: string;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) expect(item.workloads).toContain("teams");
      listed.push(...page.items.map((i) => i.id));
      token = page.continuationToken;
      pages++;
    } while (token && pages < 10);
    const expected = made.filter((m) => m.workloads.includes("teams")).map((m) => m.id);
    expect(listed.sort()).toEqual(expected.sort());

    const bad = await app.call(partner.apiKey, "GET", "/api/v1/associations?workload=skype");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "workload",
    ]);
  });

  it("refuses a partner location ID that is not the caller's", async () => {
    const response = await app.call(
      fabrikam.apiKey,
      "POST",
      "/api/v1/associations",
      claim(fabrikam, { partnerLocationId: contoso.locationId }),
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("partnerLocationId");
  });

  it("lets exactly one of 20 partners racing for one workload win, naming the workload but never the winner", async () => {
    const partners = await Promise.all(Array.from({ length: 20 }, (_, i) => app.partner(`Racer ${i}`)));
    const tenant = randomUUID();
    const responses = await Promise.all(
      partners.map((p) =>
        app.call(
          p.apiKey,
          "POST",
          "/api/v1/associations",
          claim(p, { customerTenantId: tenant, workloads: ["teams"] }),
        ),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(19);
    for (const conflict of conflicts) {
      const text = await conflict.text();
      expect(text).toContain("workload:teams");
      for (const p of partners) expect(text).not.toContain(p.partnerId);
    }
  });

  it("points a partner at its own association that already holds the workload", async () => {
    const tenant = randomUUID();
    const first = (await (
      await app.call(
        fabrikam.apiKey,
        "POST",
        "/api/v1/associations",
        claim(fabrikam, { customerTenantId: tenant }),
      )
    ).json()) as { id: string };
    const second = await app.call(
      fabrikam.apiKey,
      "POST",
      "/api/v1/associations",
      claim(fabrikam, { customerTenantId: tenant }),
    );
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ existingAssociationId: first.id });
  });

  it("keeps partners apart: another partner's association is a 404 to read, to change and to withdraw", async () => {
    const created = (await (
      await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam))
    ).json()) as { id: string };
    expect((await app.call(contoso.apiKey, "GET", `/api/v1/associations/${created.id}`)).status).toBe(404);
    expect(
      (
        await app.call(contoso.apiKey, "POST", `/api/v1/associations/${created.id}/withdraw`, {
          reason: "mine now",
        })
      ).status,
    ).toBe(404);
    expect(
      (await app.call(contoso.apiKey, "POST", `/api/v1/associations/${created.id}/poe`, {})).status,
    ).toBe(404);
    const list = (await (await app.call(contoso.apiKey, "GET", "/api/v1/associations")).json()) as {
      items: { id: string }[];
    };
    expect(list.items.map((a) => a.id)).not.toContain(created.id);
  });

  describe("Idempotency-Key", () => {
    it("is required on every POST", async () => {
      const response = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam), {
        "idempotency-key": "",
      });
      expect(response.status).toBe(400);
    });

    it("replays the stored response for the same key and body, without a second association", async () => {
      const body = claim(fabrikam);
      const key = randomUUID();
      const first = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", body, {
        "idempotency-key": key,
      });
      const again = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", body, {
        "idempotency-key": key,
      });
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.json()).toEqual(await first.json());
    });

    it("answers 422 for the same key with another body", async () => {
      const key = randomUUID();
      await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam), {
        "idempotency-key": key,
      });
      const other = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam), {
        "idempotency-key": key,
      });
      expect(other.status).toBe(422);
    });

    it("answers 409 while the first request with the key is still running", async () => {
      const key = randomUUID();
      const body = claim(fabrikam);
      const [a, b] = await Promise.all([
        app.call(fabrikam.apiKey, "POST", "/api/v1/associations", body, { "idempotency-key": key }),
        app.call(fabrikam.apiKey, "POST", "/api/v1/associations", body, { "idempotency-key": key }),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 409]);
    });

    it("scopes keys per partner", async () => {
      const key = randomUUID();
      const mine = await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam), {
        "idempotency-key": key,
      });
      const theirs = await app.call(contoso.apiKey, "POST", "/api/v1/associations", claim(contoso), {
        "idempotency-key": key,
      });
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect((await theirs.json()) as { id: string }).not.toEqual(await mine.json());
    });
  });

  it("answers 422 listing every problem of an incomplete proof of execution, and keeps the status", async () => {
    const created = (await (
      await app.call(fabrikam.apiKey, "POST", "/api/v1/associations", claim(fabrikam))
    ).json()) as { id: string };
    const response = await app.call(fabrikam.apiKey, "POST", `/api/v1/associations/${created.id}/poe`, {
      documentName: "sow.pdf",
      documentBase64: "JVBERi0xLjQK",
      customerSignerName: "",
      signedDate: "2019-01-01",
      servicesDescription: "",
      workloads: ["teams"],
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(["customerSignerName", "signedDate", "servicesDescription", "workloads"]),
    );
    await sleep(200);
    const read = (await (
      await app.call(fabrikam.apiKey, "GET", `/api/v1/associations/${created.id}`)
    ).json()) as { status: string };
    expect(read.status).toBe("Draft");
  });

  it("serves an OpenAPI 3.1 document generated from the schemas", async () => {
    const doc = (await (await fetch(`${app.url}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/associations", "/associations/{id}/poe"]),
    );
  });
});
