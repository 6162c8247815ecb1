import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeArm, type FakeArm } from "../../fixtures/fakeArm";
import { startApp, type AppUnderTest } from "../../support/app";
import { appTablePrefixes, storedEntities } from "../../support/storedText";

/**
 * `POST /api/v1/imports` end to end on the local host: a CSV of DPOR, TPOR and PAL rows becomes a
 * job with a result per row; invalid rows name their line and fields and create nothing; the valid
 * rows create what a single request would (a DPOR Requested with its email, a TPOR Active, a PAL
 * link at the fake ARM).
 */
describe("CSV imports", () => {
  let app: AppUnderTest;
  let arm: FakeArm;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let other: Awaited<ReturnType<AppUnderTest["partner"]>>;

  interface Job {
    id: string;
    kind: string;
    status: string;
    total: number;
    done: number;
    failed: number;
    results: {
      key: string;
      line?: number;
      outcome: string;
      associationId?: string;
      error?: string;
      errors?: { path: string; message: string }[];
    }[];
  }

  beforeAll(async () => {
    arm = await startFakeArm(inject("fakeTls"));
    app = await startApp({
      SECRETS_KEY: randomBytes(32).toString("base64"),
      ARM_BASE_URL: arm.url,
      AZURE_AUTHORITY_HOST: arm.url,
    });
    partner = await app.partner("Fabrikam Consulting");
    other = await app.partner("Northwind Traders");
  });

  afterAll(async () => {
    await app?.host.stop();
    await arm?.stop();
  });

  const upload = (csv: string, apiKey = partner.apiKey, contentType = "text/csv; charset=utf-8") =>
    app.call(apiKey, "POST", "/api/v1/imports", csv, { "content-type": contentType });

  async function finished(id: string, apiKey = partner.apiKey): Promise<Job> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = (await (await app.call(apiKey, "GET", `/api/v1/jobs/${id}`)).json()) as Job;
      if (job.status !== "Running") return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still Running`);
      await sleep(150);
    }
  }

  const header =
    "type,customerTenantId,customerDomain,subscriptionId,customerContact.name,customerContact.title,customerContact.email,partnerContact.name,partnerContact.email,role,enrollmentNumber,subscriptionIds,identity.clientId,identity.clientSecret";

  it("creates DPOR requests, TPOR records and PAL links, and reports invalid rows by line and field", async () => {
    const identity = arm.identity();
    const dporTenant = randomUUID();
    const subscription = randomUUID();
    const rows = [
      `dpor,${dporTenant},contoso.onmicrosoft.com,${subscription},Megan Bowen,CIO,megan@contoso.com,Alex Wilber,alex@fabrikam.com,,,,,`,
      `tpor,${randomUUID()},,,,,,,,licensing-solution-provider,${String(Date.now()).slice(-8)},${subscription},,`,
      `pal,${identity.tenantId},,,,,,,,,,,${identity.clientId},${identity.clientSecret}`,
      `dpor,not-a-tenant,contoso.onmicrosoft.com,${randomUUID()},Megan Bowen,CIO,not-an-email,Alex Wilber,alex@fabrikam.com,,,,,`,
      `tpor,${randomUUID()},contoso.onmicrosoft.com,,,,,,,licensing-solution-provider,12345678,,,`,
    ];
    const response = await upload([header, ...rows].join("\r\n"));
    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toMatch(/\/api\/v1\/jobs\//);
    const started = (await response.json()) as Job;
    expect(started).toMatchObject({ kind: "import", total: 5 });

    const job = await finished(started.id);
    expect(job).toMatchObject({ status: "Completed", total: 5, done: 3, failed: 2 });
    const byLine = new Map(job.results.map((r) => [r.line, r]));
    expect(byLine.get(2)).toMatchObject({ key: "line 2", outcome: "created" });
    expect(byLine.get(3)).toMatchObject({ outcome: "created" });
    expect(byLine.get(4)).toMatchObject({ outcome: "linked" });
    expect(byLine.get(5)?.outcome).toBe("invalid");
    expect(byLine.get(5)?.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["customerTenantId", "customerContact.email"]),
    );
    expect(byLine.get(6)).toMatchObject({ outcome: "invalid", errors: [{ path: "customerDomain" }] });
    expect(byLine.get(5)?.associationId).toBeUndefined();

    const dpor = (await (
      await app.call(partner.apiKey, "GET", `/api/v1/associations/${byLine.get(2)?.associationId ?? ""}`)
    ).json()) as { type: string; status: string };
    expect(dpor).toMatchObject({ type: "dpor", status: "Requested" });
    const tpor = (await (
      await app.call(partner.apiKey, "GET", `/api/v1/associations/${byLine.get(3)?.associationId ?? ""}`)
    ).json()) as { type: string; status: string; incentiveEligible: boolean };
    expect(tpor).toMatchObject({ type: "tpor", status: "Active", incentiveEligible: true });
    expect(arm.linkOf(identity)?.partnerId).toBe(partner.locationId);
    expect(JSON.stringify(job)).not.toContain(identity.clientSecret);
    for (const { table, text } of await storedEntities(inject("storageConnectionString"), appTablePrefixes()))
      expect(text, table).not.toContain(identity.clientSecret);
    expect(app.logs.join("\n")).not.toContain(identity.clientSecret);

    const listed = (await (
      await app.call(partner.apiKey, "GET", `/api/v1/associations?customerTenantId=${dporTenant}`)
    ).json()) as { items: unknown[] };
    expect(listed.items).toHaveLength(1);
    expect((await app.call(other.apiKey, "GET", `/api/v1/jobs/${started.id}`)).status).toBe(404);
  });

  it("reports a row that conflicts with the partner's own association, naming it", async () => {
    const subscription = randomUUID();
    const row = `dpor,${randomUUID()},contoso.onmicrosoft.com,${subscription},Megan Bowen,CIO,megan@contoso.com,Alex Wilber,alex@fabrikam.com,,,,,`;
    const job = await finished(((await (await upload([header, row, row].join("\n"))).json()) as Job).id);
    expect(job).toMatchObject({ status: "Completed", done: 1, failed: 1 });
    const conflict = job.results.find((r) => r.outcome === "failed");
    expect(conflict?.error).toMatch(/already claimed by your association/);
  });

  it("takes a file of hundreds of rows (the rows are the job's items, not its workflow's input)", async () => {
    const rows = Array.from(
      { length: 150 },
      (_, i) =>
        `tpor,${randomUUID()},licensing-solution-provider,${String(20_000_000 + i)},Contoso enrollment ${i}`,
    );
    const response = await upload(
      ["type,customerTenantId,role,enrollmentNumber,claimName", ...rows].join("\n"),
    );
    expect(response.status, await response.clone().text()).toBe(202);
    const job = await finished(((await response.json()) as Job).id);
    expect(job).toMatchObject({ status: "Completed", total: 150, done: 150, failed: 0 });
  });

  it("refuses a file it cannot take whole, naming the header or the file, and starts nothing", async () => {
    const unknown = await upload("type,colour\ndpor,red");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ errors: [{ path: "header.2" }] });
    const empty = await upload(header);
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ errors: [{ path: "file" }] });
  });

  it("takes text/csv only", async () => {
    const json = await upload(JSON.stringify({ rows: [] }), partner.apiKey, "application/json");
    expect(json.status).toBe(415);
    const xml = await upload("<rows/>", partner.apiKey, "application/xml");
    expect(xml.status).toBe(415);
  });
});
