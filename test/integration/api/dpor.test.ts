import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyStatusChange } from "../../../src/app/statusChanges";
import { createStore } from "../../../src/store/store";
import type { WebhookEvent } from "../../../src/integrations/webhooks/webhookQueue";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fixtures/fakeWebhookReceiver";
import { registerWebhook, startApp, type AppUnderTest } from "../../support/app";

/**
 * DPOR end to end on the local host through the public API: the request email and its reminders to
 * the customer contact, expiry, confirmation with evidence, one Active DPOR per subscription across
 * partners (the earlier one Superseded, told by webhook without naming who replaced it), the same
 * partner's second live request refused, withdrawal, and TPOR eligibility following the DPOR.
 * Durations are seconds.
 */
describe("DPOR: the customer sets it; the partner asks and confirms", () => {
  let app: AppUnderTest;
  let fabrikam: Partner;
  let northwind: Partner;
  let hooks: FakeWebhookReceiver;

  type Partner = Awaited<ReturnType<AppUnderTest["partner"]>>;
  interface View {
    id: string;
    status: string;
    evidence?: { kind: string; note?: string; documentName?: string };
    confirmedAt?: string;
    incentiveEligible?: boolean;
    eligibilityReason?: string;
    timeline: { kind: string; from?: string; to?: string; actor: string; reason: string }[];
  }
  interface Email {
    kind: string;
    sequence?: number;
    to: string;
    replyTo?: string;
    subject: string;
    text: string;
    status: string;
  }

  beforeAll(async () => {
    app = await startApp({
      DPOR_REMINDERS: "PT2S,PT4S",
      DPOR_REQUEST_WINDOW: "PT7S",
      WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    });
    fabrikam = await app.partner("Fabrikam Consulting");
    northwind = await app.partner("Northwind Traders");
    hooks = await startFakeWebhookReceiver();
    await registerWebhook(app, fabrikam.apiKey, hooks.url);
  });

  afterAll(async () => {
    await app?.host.stop();
    await hooks?.close();
  });

  const post = (partner: Partner, path: string, body: unknown) =>
    app.call(partner.apiKey, "POST", path, body);

  const dporBody = (partner: Partner, subscriptionId: string, customerTenantId = randomUUID()) => ({
    type: "dpor",
    partnerLocationId: partner.locationId,
    customerTenantId,
    customerDomain: "contoso.onmicrosoft.com",
    subscriptionId,
    customerContact: { name: "Megan Bowen", title: "Account owner", email: "megan@contoso.com" },
    partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
  });

  async function request(partner: Partner, subscriptionId = randomUUID()): Promise<View> {
    const response = await post(partner, "/api/v1/associations", dporBody(partner, subscriptionId));
    expect(response.status).toBe(201);
    return (await response.json()) as View;
  }

  const read = async (partner: Partner, id: string) =>
    (await (await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}`)).json()) as View;

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  async function emails(partner: Partner, associationId: string): Promise<Email[]> {
    const response = await app.call(partner.apiKey, "GET", `/api/v1/outbox?associationId=${associationId}`);
    return ((await response.json()) as { items: Email[] }).items;
  }

  const confirm = (partner: Partner, id: string, evidence: unknown = { kind: "partner-center-report" }) =>
    post(partner, `/api/v1/associations/${id}/confirm`, { evidence });

  it("asks the customer contact at once with the portal steps, reminds, then expires", async () => {
    const subscriptionId = randomUUID();
    const dpor = await request(fabrikam, subscriptionId);
    expect(dpor.status).toBe("Requested");
    const first = await waitFor("the request email", async () =>
      (await emails(fabrikam, dpor.id)).find((e) => e.kind === "dpor-request" && e.status === "sent"),
    );
    expect(first).toMatchObject({ to: "megan@contoso.com", replyTo: "alex@fabrikam-partner.com" });
    expect(first.text).toContain(`select the subscription ${subscriptionId}`);
    expect(first.text).toContain(`Enter the partner ID ${fabrikam.locationId}`);
    expect(first.text).toContain("Partner information");

    const expired = await waitFor("the expiry", async () => {
      const view = await read(fabrikam, dpor.id);
      return view.status === "Expired" ? view : undefined;
    });
    expect(expired.timeline.at(-1)).toMatchObject({ from: "Requested", to: "Expired", actor: "system" });
    const sent = await emails(fabrikam, dpor.id);
    expect(
      sent
        .filter((e) => e.kind === "dpor-reminder")
        .map((e) => e.sequence)
        .sort(),
    ).toEqual([1, 2]);
    expect(sent.every((e) => e.to === "megan@contoso.com")).toBe(true);
    expect(sent.find((e) => e.sequence === 1)?.subject).toMatch(/^Reminder: /);
  });

  it("confirms with evidence: Active, and no more reminders", async () => {
    const dpor = await request(fabrikam);
    const document = Buffer.from("Partner Center DPOR report").toString("base64");
    const response = await confirm(fabrikam, dpor.id, {
      kind: "screenshot",
      note: "Seen in the portal with the customer.",
      documentBase64: document,
      documentName: "partner-information.png",
    });
    expect(response.status).toBe(200);
    const confirmed = (await response.json()) as View;
    expect(confirmed.status).toBe("Active");
    expect(confirmed).toMatchObject({
      evidence: {
        kind: "screenshot",
        note: "Seen in the portal with the customer.",
        documentName: "partner-information.png",
      },
      confirmedAt: expect.any(String) as unknown,
    });
    await sleep(5_000); // past both reminders and the window
    expect((await read(fabrikam, dpor.id)).status).toBe("Active");
    expect((await emails(fabrikam, dpor.id)).map((e) => e.kind)).toEqual(["dpor-request"]);
  });

  it("names each offending evidence field, and confirms only a DPOR", async () => {
    const dpor = await request(fabrikam);
    const bad = await confirm(fabrikam, dpor.id, { kind: "rumour", documentBase64: "not base64!" });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["evidence.kind", "evidence.documentBase64"]));
    expect((await read(fabrikam, dpor.id)).status).toBe("Requested");

    const tpor = await post(fabrikam, "/api/v1/associations", {
      type: "tpor",
      role: "licensing-solution-provider",
      partnerLocationId: fabrikam.locationId,
      customerTenantId: randomUUID(),
      enrollmentNumber: "87654321",
    });
    const { id } = (await tpor.json()) as View;
    expect((await confirm(fabrikam, id)).status).toBe(409);
  });

  it("lets several partners ask for one subscription, but not the same partner twice while live", async () => {
    const subscriptionId = randomUUID();
    const first = await request(fabrikam, subscriptionId);
    await request(northwind, subscriptionId); // another partner's request coexists
    const again = await post(fabrikam, "/api/v1/associations", dporBody(fabrikam, subscriptionId));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ existingAssociationId: first.id });
    expect(
      (await post(fabrikam, `/api/v1/associations/${first.id}/withdraw`, { reason: "asked twice" })).status,
    ).toBe(200);
    expect((await read(fabrikam, first.id)).status).toBe("Withdrawn");
    const renewed = await post(fabrikam, "/api/v1/associations", dporBody(fabrikam, subscriptionId));
    expect(renewed.status).toBe(201);
  });

  it("supersedes the Active DPOR another partner confirms on the same subscription, without naming it", async () => {
    const subscriptionId = randomUUID();
    const ours = await request(fabrikam, subscriptionId);
    const theirs = await request(northwind, subscriptionId);
    expect((await confirm(fabrikam, ours.id)).status).toBe(200);
    const replaced = await confirm(northwind, theirs.id, { kind: "customer-email" });
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as View).status).toBe("Active");

    const superseded = await read(fabrikam, ours.id);
    expect(superseded.status).toBe("Superseded");
    const change = superseded.timeline.at(-1);
    expect(change).toMatchObject({ from: "Active", to: "Superseded", actor: "customer" });
    expect(change?.reason).not.toContain("Northwind");
    expect(change?.reason).not.toContain(northwind.locationId);
    expect(change?.reason).not.toContain(theirs.id);

    const told = await waitFor("the Superseded webhook", () =>
      Promise.resolve(
        hooks.requests
          .map((r) => JSON.parse(r.body) as WebhookEvent)
          .find((e) => e.associationId === ours.id && e.to === "Superseded"),
      ),
    );
    expect(JSON.stringify(told)).not.toMatch(new RegExp(`${theirs.id}|Northwind|${northwind.locationId}`));

    // The customer may choose the first partner again: then the second one is Superseded.
    expect((await confirm(fabrikam, ours.id)).status).toBe(200);
    expect((await read(northwind, theirs.id)).status).toBe("Superseded");
  });

  it("settles a confirmation whose request died after the status was written, at the latest when the window ends", async () => {
    const subscriptionId = randomUUID();
    const theirs = await request(northwind, subscriptionId);
    expect((await confirm(northwind, theirs.id)).status).toBe(200);
    const ours = await request(fabrikam, subscriptionId);
    // What a confirm that died right after its status write leaves: Active, nobody told, nothing settled.
    const store = createStore(inject("storageConnectionString"), {
      prefix: process.env["TABLE_PREFIX"] ?? "",
    });
    await applyStatusChange(
      { store },
      {
        partnerId: fabrikam.partnerId,
        associationId: ours.id,
        to: "Active",
        actor: "partner",
        reason: "the partner confirmed (the request died before it finished)",
        changeId: randomUUID(),
        at: new Date().toISOString(),
      },
    );
    expect((await read(northwind, theirs.id)).status).toBe("Active");
    const superseded = await waitFor("the workflow to settle it", async () => {
      const view = await read(northwind, theirs.id);
      return view.status === "Superseded" ? view : undefined;
    });
    expect(superseded.timeline.at(-1)).toMatchObject({ from: "Active", to: "Superseded", actor: "customer" });
    expect((await read(fabrikam, ours.id)).status).toBe("Active");
  });

  it("answers 404 for another partner's DPOR, exactly like a missing one", async () => {
    const dpor = await request(fabrikam);
    const theirs = await confirm(northwind, dpor.id);
    const missing = await confirm(northwind, randomUUID());
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    const anonymous = (body: unknown) => JSON.stringify(body).replace(/[0-9a-f-]{36}/g, "<id>");
    expect(anonymous(await theirs.json())).toBe(anonymous(await missing.json()));
    expect((await read(fabrikam, dpor.id)).status).toBe("Requested");
  });

  it("makes a TPOR earn nothing while the partner is the DPOR of its subscription, and earn again after", async () => {
    const subscriptionId = randomUUID();
    const tporResponse = await post(fabrikam, "/api/v1/associations", {
      type: "tpor",
      role: "licensing-solution-provider",
      partnerLocationId: fabrikam.locationId,
      customerTenantId: randomUUID(),
      enrollmentNumber: "12345678",
      subscriptionIds: [subscriptionId],
    });
    expect(tporResponse.status).toBe(201);
    const tpor = (await tporResponse.json()) as View;
    expect(tpor.incentiveEligible).toBe(true);

    const dpor = await request(fabrikam, subscriptionId);
    expect((await read(fabrikam, tpor.id)).incentiveEligible).toBe(true); // only asked, not set
    await confirm(fabrikam, dpor.id);
    const blocked = await read(fabrikam, tpor.id);
    expect(blocked.incentiveEligible).toBe(false);
    expect(blocked.eligibilityReason).toContain(subscriptionId);

    await post(fabrikam, `/api/v1/associations/${dpor.id}/withdraw`, {
      reason: "customer chose us by mistake",
    });
    expect((await read(fabrikam, tpor.id)).incentiveEligible).toBe(true);
  });
});
