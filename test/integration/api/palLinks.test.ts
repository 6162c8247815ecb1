import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { enqueuePalVerifications } from "../../../src/app/palLinks";
import type { PalVerifyMessage } from "../../../src/integrations/palVerifyQueue";
import { createStore } from "../../../src/store/store";
import { startFakeArm, type FakeArm, type FakeIdentity } from "../../fixtures/fakeArm";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { registerWebhook, startApp, type AppUnderTest } from "../../support/app";
import { appTablePrefixes, storedEntities } from "../../support/storedText";

/**
 * Partner Admin Links end to end on the local host through the public API, against a fake Azure
 * Resource Manager and token endpoint over TLS: link (PUT, or PATCH over another partner's ID),
 * one link per tenant and identity, refusals, bulk with failing tenants, the inventory, every drift
 * kind by "verify now" and by the timer's queue, removal, cross-partner 404s, and the identity's
 * secret never in an answer, a log line or a stored entity.
 */
describe("PAL links through Azure Resource Manager", () => {
  let app: AppUnderTest;
  let arm: FakeArm;
  let hooks: FakeWebhookReceiver;
  let fabrikam: Partner;
  let northwind: Partner;
  const run = randomBytes(3).toString("hex");
  const secrets: string[] = [];

  type Partner = Awaited<ReturnType<AppUnderTest["partner"]>>;
  interface Link {
    id: string;
    type: string;
    status: string;
    customerTenantId: string;
    identity?: { clientId: string };
    objectId?: string;
    linkedPartnerId?: string;
    linkedAt?: string;
    lastVerifiedAt?: string | null;
    drift?: string | null;
    driftDetail?: string;
    replacedPartnerId?: string;
    timeline?: { kind: string; from?: string; to?: string; actor: string; reason: string }[];
  }
  interface Job {
    id: string;
    status: string;
    total: number;
    done: number;
    failed: number;
    results: { customerTenantId?: string; outcome: string; error?: string; associationId?: string }[];
  }

  beforeAll(async () => {
    arm = await startFakeArm(inject("fakeTls"));
    hooks = await startFakeWebhookReceiver();
    app = await startApp({
      SECRETS_KEY: randomBytes(32).toString("base64"),
      ARM_BASE_URL: arm.url,
      AZURE_AUTHORITY_HOST: arm.url,
      PAL_VERIFY_QUEUE: `pal-verify-${run}`,
      WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    });
    fabrikam = await app.partner("Fabrikam Consulting");
    northwind = await app.partner("Northwind Traders");
    await registerWebhook(app, fabrikam.apiKey, hooks.url);
  });

  afterAll(async () => {
    await app?.host.stop();
    await arm?.stop();
    await hooks?.close();
  });

  /** A new identity in a new customer tenant; its secret is remembered for the leak checks. */
  function identity(): FakeIdentity {
    const made = arm.identity();
    secrets.push(made.clientSecret);
    return made;
  }

  const credentials = (i: FakeIdentity) => ({ clientId: i.clientId, clientSecret: i.clientSecret });
  const call = (partner: Partner, method: string, path: string, body?: unknown) =>
    app.call(partner.apiKey, method, path, body);

  async function link(partner: Partner, i: FakeIdentity): Promise<Link> {
    const response = await call(partner, "POST", "/api/v1/pal-links", {
      customerTenantId: i.tenantId,
      identity: credentials(i),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const made = (await response.json()) as Link;
    // The Location header names the link itself: following it answers the same link.
    const location = response.headers.get("location") ?? "";
    expect(location).toBe(`${app.url}/api/v1/pal-links/${made.id}`);
    return made;
  }

  const read = async (partner: Partner, id: string) =>
    (await (await call(partner, "GET", `/api/v1/pal-links/${id}`)).json()) as Link;

  async function verify(partner: Partner, id: string): Promise<Link> {
    const response = await call(partner, "POST", `/api/v1/pal-links/${id}/verify`, {});
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Link;
  }

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  it("links the partner's ID with the identity, verifies Active at ARM, and keeps the secret to itself", async () => {
    const i = identity();
    const made = await link(fabrikam, i);
    expect(made).toMatchObject({
      type: "pal",
      status: "Active",
      customerTenantId: i.tenantId,
      identity: { clientId: i.clientId },
      objectId: i.objectId,
      linkedPartnerId: fabrikam.locationId,
      drift: null,
    });
    expect(made.replacedPartnerId).toBeUndefined();
    expect(JSON.stringify(made)).not.toContain(i.clientSecret);
    expect(arm.linkOf(i)).toMatchObject({ partnerId: fabrikam.locationId, state: "Active" });

    const again = await call(fabrikam, "POST", "/api/v1/pal-links", {
      customerTenantId: i.tenantId,
      identity: credentials(i),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ existingAssociationId: made.id });
  });

  it("replaces another partner's ID with PATCH and says so", async () => {
    const i = identity();
    arm.setLink(i, "5550001");
    const made = await link(fabrikam, i);
    expect(made).toMatchObject({ status: "Active", replacedPartnerId: "5550001" });
    expect(arm.linkOf(i)?.partnerId).toBe(fabrikam.locationId);
    expect(arm.requests.filter((r) => r.tenantId === i.tenantId).map((r) => r.method)).toEqual([
      "PUT",
      "GET",
      "PATCH",
    ]);
  });

  it("answers 422 naming the identity when its credential is refused, and stores nothing", async () => {
    const i = identity();
    const response = await call(fabrikam, "POST", "/api/v1/pal-links", {
      customerTenantId: i.tenantId,
      identity: { clientId: i.clientId, clientSecret: "wrong-secret-value" },
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toContain("identity");
    expect(JSON.stringify(body)).not.toContain("wrong-secret-value");
    const listed = (await (
      await call(fabrikam, "GET", `/api/v1/pal-links?customerTenantId=${i.tenantId}`)
    ).json()) as { items: Link[] };
    expect(listed.items).toEqual([]);
  });

  it("names each offending field of a bad body", async () => {
    const response = await call(fabrikam, "POST", "/api/v1/pal-links", {
      customerTenantId: "not-a-guid",
      identity: { clientId: randomUUID() },
    });
    expect(response.status).toBe(400);
    const paths = ((await response.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["customerTenantId", "identity.clientSecret"]));
  });

  it("links in bulk with a job whose results say which tenants failed and why", async () => {
    const first = identity();
    const consented = [first, arm.consent(first, randomUUID()), arm.consent(first, randomUUID())];
    const notConsented = randomUUID();
    const failing = arm.consent(first, randomUUID());
    arm.fail(failing.tenantId, 500, 10);
    const tenants = [...consented.map((c) => c.tenantId), notConsented, failing.tenantId];
    const response = await call(fabrikam, "POST", "/api/v1/pal-links/bulk", {
      identity: credentials(first),
      customerTenantIds: tenants,
    });
    expect(response.status).toBe(202);
    const started = (await response.json()) as Job;
    expect(started.total).toBe(5);

    const job = await waitFor("the bulk job", async () => {
      const view = (await (await call(fabrikam, "GET", `/api/v1/jobs/${started.id}`)).json()) as Job;
      return view.status === "Running" ? undefined : view;
    });
    expect(job).toMatchObject({ status: "Completed", total: 5, done: 3, failed: 2 });
    const byTenant = new Map(job.results.map((r) => [r.customerTenantId, r]));
    for (const c of consented) expect(byTenant.get(c.tenantId)?.outcome).toBe("linked");
    expect(byTenant.get(notConsented)).toMatchObject({
      outcome: "failed",
      error: expect.stringMatching(/refused/) as unknown,
    });
    expect(byTenant.get(failing.tenantId)?.outcome).toBe("failed");
    for (const c of consented) expect(arm.linkOf(c)?.partnerId).toBe(fabrikam.locationId);
    expect(JSON.stringify(job)).not.toContain(first.clientSecret);
    expect((await call(northwind, "GET", `/api/v1/jobs/${started.id}`)).status).toBe(404);
  });

  it("refuses more than 500 tenants or a repeated tenant, naming the field", async () => {
    const i = identity();
    const tooMany = await call(fabrikam, "POST", "/api/v1/pal-links/bulk", {
      identity: credentials(i),
      customerTenantIds: Array.from({ length: 501 }, () => randomUUID()),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ errors: [{ path: "customerTenantIds" }] });
    const tenant = randomUUID();
    const repeated = await call(fabrikam, "POST", "/api/v1/pal-links/bulk", {
      identity: credentials(i),
      customerTenantIds: [tenant, tenant],
    });
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toMatchObject({ errors: [{ path: "customerTenantIds.1" }] });
  });

  it("finds every kind of drift when asked, tells the partner, and goes back to Active when clean", async () => {
    const i = identity();
    const made = await link(fabrikam, i);
    expect(await verify(fabrikam, made.id)).toMatchObject({ status: "Active", drift: null });

    arm.setLink(i, "5550002");
    const other = await verify(fabrikam, made.id);
    expect(other).toMatchObject({ status: "Drifted", drift: "other-partner" });
    expect(other.driftDetail).toContain("5550002");

    arm.setLink(i, fabrikam.locationId, "Deleted");
    expect(await verify(fabrikam, made.id)).toMatchObject({ status: "Drifted", drift: "deleted" });
    arm.setLink(i, undefined);
    expect(await verify(fabrikam, made.id)).toMatchObject({ status: "Drifted", drift: "deleted" });

    arm.setLink(i, fabrikam.locationId);
    const clean = await verify(fabrikam, made.id);
    expect(clean).toMatchObject({ status: "Active", drift: null });
    expect(clean.driftDetail).toBeUndefined();

    arm.deleteIdentity(i);
    expect(await verify(fabrikam, made.id)).toMatchObject({ status: "Drifted", drift: "credential-failing" });

    const { timeline = [] } = await read(fabrikam, made.id);
    expect(timeline.filter((e) => e.kind === "status-changed").map((e) => e.to)).toEqual([
      "Drifted",
      "Active",
      "Drifted",
    ]);
    const told = await waitFor("the Drifted webhooks", () => {
      const events = hooks.requests
        .map((r) => JSON.parse(r.body) as { associationId: string; to: string; reason: string })
        .filter((e) => e.associationId === made.id);
      return Promise.resolve(events.length >= 3 ? events : undefined);
    });
    expect(told.find((e) => e.to === "Drifted")?.reason).toMatch(/other-partner/);

    const drifted = (await (
      await call(fabrikam, "GET", "/api/v1/pal-links?drift=credential-failing")
    ).json()) as {
      items: Link[];
    };
    expect(drifted.items.map((l) => l.id)).toContain(made.id);
    const clean2 = (await (await call(fabrikam, "GET", "/api/v1/pal-links?drift=none")).json()) as {
      items: Link[];
    };
    expect(clean2.items.map((l) => l.id)).not.toContain(made.id);
  });

  it("verifies every link on the timer's schedule through the verification queue", async () => {
    const i = identity();
    const made = await link(fabrikam, i);
    arm.setLink(i, "5550003");
    const store = createStore(inject("storageConnectionString"), {
      prefix: process.env["TABLE_PREFIX"] ?? "",
    });
    const queue = new QueueClient(inject("storageConnectionString"), `pal-verify-${run}`);
    await queue.createIfNotExists();
    const enqueued: PalVerifyMessage[] = [];
    await enqueuePalVerifications({
      store,
      queue: {
        enqueue: async (message) => {
          enqueued.push(message);
          await queue.sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"));
        },
      },
    });
    expect(enqueued).toContainEqual({ partnerId: fabrikam.partnerId, associationId: made.id });
    const drifted = await waitFor("the queued verification", async () => {
      const view = await read(fabrikam, made.id);
      return view.status === "Drifted" ? view : undefined;
    });
    expect(drifted).toMatchObject({ drift: "other-partner", lastVerifiedAt: expect.any(String) as unknown });
  });

  it("removes a link at ARM and marks it Removed; removing again changes nothing", async () => {
    const i = identity();
    const made = await link(fabrikam, i);
    const removed = await call(fabrikam, "DELETE", `/api/v1/pal-links/${made.id}`);
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ status: "Removed" });
    expect(arm.linkOf(i)).toBeUndefined();
    const again = await call(fabrikam, "DELETE", `/api/v1/pal-links/${made.id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "Removed" });
    expect((await call(fabrikam, "POST", `/api/v1/pal-links/${made.id}/verify`, {})).status).toBe(409);
    // The tenant and identity may be linked again.
    await link(fabrikam, i);
  });

  it("lists the partner's own links only, and answers 404 for another partner's on every route", async () => {
    const i = identity();
    const made = await link(fabrikam, i);
    const own = (await (await call(fabrikam, "GET", "/api/v1/pal-links")).json()) as { items: Link[] };
    expect(own.items.map((l) => l.id)).toContain(made.id);
    const theirs = (await (await call(northwind, "GET", "/api/v1/pal-links")).json()) as { items: Link[] };
    expect(theirs.items.map((l) => l.id)).not.toContain(made.id);
    for (const [method, path] of [
      ["GET", `/api/v1/pal-links/${made.id}`],
      ["POST", `/api/v1/pal-links/${made.id}/verify`],
      ["DELETE", `/api/v1/pal-links/${made.id}`],
    ] as const) {
      const response = await call(northwind, method, path, method === "POST" ? {} : undefined);
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect(arm.linkOf(i)?.partnerId).toBe(fabrikam.locationId);
  });

  it("never keeps or logs a secret in clear", async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const entities = await storedEntities(inject("storageConnectionString"), appTablePrefixes());
    expect(entities.length).toBeGreaterThan(0);
    for (const { table, text } of entities)
      for (const secret of secrets) expect(text, table).not.toContain(secret);
    const logged = app.logs.join("\n");
    expect(logged.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});
