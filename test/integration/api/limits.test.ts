import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cporRequest } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

/**
 * The partner API's limits through HTTP on the local host, with the limits set low by their
 * settings: a body over MAX_REQUEST_BYTES is a 413 that writes nothing; a partner past its burst
 * gets 429 with Retry-After, and another partner does not.
 */
describe("partner API limits", () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp({
      MAX_REQUEST_BYTES: "4096",
      PARTNER_RATE_LIMIT_PER_SECOND: "1",
      PARTNER_RATE_LIMIT_BURST: "8",
    });
  });

  afterAll(() => app?.host.stop());

  it("answers 413 problem+json for a body over MAX_REQUEST_BYTES, writes nothing, and takes the same key within it", async () => {
    const partner = await app.partner("Fabrikam Consulting");
    const key = randomUUID();
    const request = cporRequest({ partnerLocationId: partner.locationId, customerTenantId: randomUUID() });
    const oversized = { ...request, padding: "x".repeat(5000) }; // refused for its size, before its fields
    const refused = await app.call(partner.apiKey, "POST", "/api/v1/associations", oversized, {
      "idempotency-key": key,
    });
    expect(refused.status).toBe(413);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(await refused.json()).toMatchObject({
      status: 413,
      detail: expect.stringContaining("4096 bytes") as string,
    });
    const listed = await app.call(partner.apiKey, "GET", "/api/v1/associations");
    expect(((await listed.json()) as { items: unknown[] }).items).toEqual([]);

    const created = await app.call(partner.apiKey, "POST", "/api/v1/associations", request, {
      "idempotency-key": key,
    });
    expect(created.status).toBe(201);
  });

  it("answers 429 with Retry-After once a partner's burst is spent, and serves another partner", async () => {
    const busy = await app.partner("Contoso Services");
    const calm = await app.partner("Northwind Advisors");
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await app.call(busy.apiKey, "GET", "/api/v1/associations")).status);
    // A request a second refills the budget: at most one more passes in the time the loop takes.
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(200));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);

    const refused = await app.call(busy.apiKey, "GET", "/api/v1/associations");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(await refused.json()).toMatchObject({ status: 429, title: "Too many requests" });

    expect((await app.call(calm.apiKey, "GET", "/api/v1/associations")).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1_100 * Number(refused.headers.get("retry-after"))));
    expect((await app.call(busy.apiKey, "GET", "/api/v1/associations")).status).toBe(200);
  });
});
