import { randomUUID } from "node:crypto";
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import { createConsentHandlers } from "../../../functions/http/consent";
import { createConsentToken } from "../../../src/auth/consentToken";
import type { Association } from "../../../src/domain/association";
import type { AssociationStatus } from "../../../src/domain/status";
import type { Store } from "../../../src/store/store";
import { draftAssociation } from "../../support/builders";
import { RecordingWorkflows } from "../../support/recordingWorkflows";
import { testStore } from "../../support/storage";

const key = "consent-signing-key-for-tests-0123456789";
const partnerId = "fabrikam";
const now = new Date("2026-11-02T09:00:00Z");
const linkExpiry = new Date("2026-12-31T00:00:00Z");

const durations = {
  poeDeadlineMs: 60_000,
  refusalWindowMs: 60_000,
  partnerActionWindowMs: 60_000,
  disputeWindowMs: 60_000,
};

let store: Store;

beforeAll(async () => {
  store = testStore();
  await store.partners.put({
    id: partnerId,
    name: "Fabrikam Consulting",
    partnerLocationIds: ["4871234"],
    contactEmail: "ops@fabrikam-partner.com",
    createdAt: "2026-10-01T00:00:00.000Z",
  });
});

/**
 * A stored association in `status`, its token, and handlers over real storage whose workflow
 * engine records what it was told (`raised`: the StatusChanged events; `workflows.started`).
 */
async function setup(
  status: AssociationStatus,
  options: {
    failWorkflows?: number;
    signingKey?: string;
    previousSigningKey?: string;
    workflow?: "running" | "finished";
  } = {},
) {
  const association = draftAssociation(partnerId, { status });
  await store.associations.create(association);
  const workflows = new RecordingWorkflows(options.workflow ?? "running", options.failWorkflows ?? 0);
  const handlers = createConsentHandlers(() => ({
    store,
    signingKey: "signingKey" in options ? options.signingKey : key,
    previousSigningKey: options.previousSigningKey,
    lifecycle: { store, durations, dporDurations: { remindersMs: [], requestWindowMs: 60_000 } },
    workflows: () => workflows,
    now: () => now,
  }));
  const token = createConsentToken(key, { associationId: association.id, partnerId }, linkExpiry);
  return { association, raised: workflows.raised, workflows, handlers, token };
}

const url = (token: string) => `http://localhost:7071/api/consent/${token}`;
const context = () => new InvocationContext({ functionName: "consent" });

const get = (token: string) => new HttpRequest({ method: "GET", url: url(token), params: { token } });

const postForm = (token: string, fields: Record<string, string>) =>
  new HttpRequest({
    method: "POST",
    url: url(token),
    params: { token },
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: { string: new URLSearchParams(fields).toString() },
  });

const postJson = (token: string, body: unknown) =>
  new HttpRequest({
    method: "POST",
    url: url(token),
    params: { token },
    headers: { "content-type": "application/json; charset=utf-8" },
    body: { string: JSON.stringify(body) },
  });

function bodyOf(response: HttpResponseInit): string {
  if (typeof response.body !== "string") throw new Error("expected an HTML string body");
  return response.body;
}
const header = (response: HttpResponseInit, name: string) =>
  (response.headers as Record<string, string> | undefined)?.[name];

async function statusOf(association: Association) {
  return (await store.associations.get(partnerId, association.id)).value.status;
}

describe("GET /api/consent/{token}", () => {
  it("shows the claim with the Refuse form and changes nothing", async () => {
    const { association, raised, handlers, token } = await setup("UnderReview");
    const before = await store.associations.get(partnerId, association.id);

    const response = await handlers.show(get(token), context());

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toContain("Partner association with Fabrikam Consulting");
    expect(bodyOf(response)).toContain('value="refuse"');
    expect(header(response, "content-security-policy")).toMatch(/default-src 'none'/);
    expect(header(response, "cache-control")).toBe("no-store");
    expect(header(response, "referrer-policy")).toBe("no-referrer");
    const after = await store.associations.get(partnerId, association.id);
    expect(after.etag).toBe(before.etag);
    expect(raised).toEqual([]);
  });

  it("shows the Cancel form once approved", async () => {
    const { handlers, token } = await setup("Approved");
    const response = await handlers.show(get(token), context());
    expect(bodyOf(response)).toContain('value="cancel"');
    expect(bodyOf(response)).not.toContain('value="refuse"');
  });

  it("answers 401 to a tampered token, 410 to an expired one, 404 to an unknown association", async () => {
    const { handlers, token, association } = await setup("UnderReview");
    const [payload = "", signature = ""] = token.split(".");
    const tampered = `${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    expect((await handlers.show(get(tampered), context())).status).toBe(401);
    expect((await handlers.show(get("not-a-token"), context())).status).toBe(401);

    const expired = createConsentToken(key, { associationId: association.id, partnerId }, now);
    const gone = await handlers.show(get(expired), context());
    expect(gone.status).toBe(410);
    expect(bodyOf(gone)).toContain("This link has expired");

    const unknown = createConsentToken(key, { associationId: randomUUID(), partnerId }, linkExpiry);
    expect((await handlers.show(get(unknown), context())).status).toBe(404);
    const otherPartner = createConsentToken(
      key,
      { associationId: association.id, partnerId: "contoso-partner" },
      linkExpiry,
    );
    expect((await handlers.show(get(otherPartner), context())).status).toBe(404);
  });

  it("after a key rotation, opens the links the previous key signed, and refuses them without it", async () => {
    const rotatedKey = "consent-signing-key-after-rotation-0123456789";
    // `token` is signed with `key`, now the previous one.
    const rotated = await setup("UnderReview", { signingKey: rotatedKey, previousSigningKey: key });
    expect((await rotated.handlers.show(get(rotated.token), context())).status).toBe(200);
    const current = createConsentToken(
      rotatedKey,
      { associationId: rotated.association.id, partnerId },
      linkExpiry,
    );
    expect((await rotated.handlers.show(get(current), context())).status).toBe(200);

    const forgotten = await setup("UnderReview", { signingKey: rotatedKey });
    expect((await forgotten.handlers.show(get(forgotten.token), context())).status).toBe(401);
  });

  it("answers 503 when consent links are not configured", async () => {
    const { handlers, token } = await setup("UnderReview", { signingKey: undefined });
    const response = await handlers.show(get(token), context());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toContain("Consent links are not configured");
  });
});

/** The customer's change as the timeline has it. */
async function customerChanges(association: Association) {
  return (await store.auditEvents.timeline(partnerId, association.id))
    .filter((e) => e.kind === "status-changed" && e.actor === "customer")
    .map((e) => ({ from: e.from, to: e.to, reason: e.reason }));
}

describe("POST /api/consent/{token}", () => {
  it("applies a refusal once and tells the workflow; a second identical POST changes nothing more", async () => {
    const { association, raised, handlers, token } = await setup("UnderReview");

    const first = await handlers.act(
      postForm(token, { action: "refuse", reason: "Never worked with them" }),
      context(),
    );
    expect(first.status).toBe(200);
    expect(bodyOf(first)).toContain("Your refusal is recorded");
    expect(await statusOf(association)).toBe("Rejected");
    expect(await customerChanges(association)).toEqual([
      {
        from: "UnderReview",
        to: "Rejected",
        reason: expect.stringContaining("Never worked with them") as unknown,
      },
    ]);
    expect(raised).toEqual([
      {
        associationId: association.id,
        eventName: "StatusChanged",
        payload: expect.objectContaining({ to: "Rejected" }) as unknown,
      },
    ]);

    const second = await handlers.act(
      postForm(token, { action: "refuse", reason: "Never worked with them" }),
      context(),
    );
    expect(second.status).toBe(200);
    expect(bodyOf(second)).toContain("Already recorded");
    expect(await customerChanges(association)).toHaveLength(1);
  });

  it("records a reason with control characters and broken text as the customer typed it, cleaned", async () => {
    const { association, handlers, token } = await setup("UnderReview");
    const response = await handlers.act(
      postForm(token, { action: "refuse", reason: "Never\u0000 hired\u0007 them \uD800" }),
      context(),
    );
    expect(bodyOf(response)).toContain("Your refusal is recorded");
    const [change] = await customerChanges(association);
    expect(change?.reason).toContain("Never  hired  them \uFFFD");
  });

  it("reads a cancel before approval as a refusal, and says so", async () => {
    const { association, handlers, token } = await setup("Submitted");
    const response = await handlers.act(postForm(token, { action: "cancel" }), context());
    expect(bodyOf(response)).toContain("You asked to cancel, but the association has not been approved yet");
    expect(await customerChanges(association)).toEqual([
      {
        from: "Submitted",
        to: "Rejected",
        reason: "the customer refused the association: no reason given (consent-page)",
      },
    ]);
  });

  it("takes JSON too, and reads a refusal after approval as a cancellation", async () => {
    const { association, handlers, token } = await setup("Approved");
    const response = await handlers.act(
      postJson(token, { action: "refuse", reason: "Contract ended" }),
      context(),
    );
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toContain("Your cancellation is recorded");
    expect(await customerChanges(association)).toEqual([
      { from: "Approved", to: "Rejected", reason: expect.stringContaining("Contract ended") as unknown },
    ]);
  });

  it("applies a cancellation whose workflow has completed, and starts it again for the dispute window", async () => {
    const { association, raised, workflows, handlers, token } = await setup("Approved", {
      workflow: "finished",
    });
    const response = await handlers.act(postForm(token, { action: "cancel" }), context());
    expect(bodyOf(response)).toContain("Your cancellation is recorded");
    expect(await statusOf(association)).toBe("Rejected");
    expect(raised).toEqual([]);
    expect(workflows.started).toEqual([
      expect.objectContaining({ associationId: association.id, status: "Rejected" }),
    ]);
  });

  it.each<AssociationStatus>(["Rejected", "RejectedFinal", "Expired"])(
    "changes nothing when the association is already %s",
    async (status) => {
      const { association, raised, handlers, token } = await setup(status);
      const response = await handlers.act(postForm(token, { action: "refuse" }), context());
      expect(response.status).toBe(200);
      expect(bodyOf(response)).toContain("Already recorded");
      expect(raised).toEqual([]);
      expect(await statusOf(association)).toBe(status);
    },
  );

  it("answers 401, 410 and 404 without changing anything", async () => {
    const { association, raised, handlers, token } = await setup("UnderReview");
    const [payload = "", signature = ""] = token.split(".");
    const tampered = `${payload.slice(0, -2)}${payload.endsWith("A") ? "B" : "A"}${payload.slice(-1)}.${signature}`;
    expect((await handlers.act(postForm(tampered, { action: "refuse" }), context())).status).toBe(401);
    const expired = createConsentToken(key, { associationId: association.id, partnerId }, now);
    expect((await handlers.act(postForm(expired, { action: "refuse" }), context())).status).toBe(410);
    const unknown = createConsentToken(key, { associationId: randomUUID(), partnerId }, linkExpiry);
    expect((await handlers.act(postForm(unknown, { action: "refuse" }), context())).status).toBe(404);
    expect(raised).toEqual([]);
    expect(await statusOf(association)).toBe("UnderReview");
  });

  it("answers 400 to a bad form and 415 to another content type", async () => {
    const { association, raised, handlers, token } = await setup("UnderReview");
    expect((await handlers.act(postForm(token, { action: "approve" }), context())).status).toBe(400);
    expect((await handlers.act(postForm(token, {}), context())).status).toBe(400);
    expect(
      (await handlers.act(postForm(token, { action: "refuse", reason: "x".repeat(4001) }), context())).status,
    ).toBe(400);
    const badJson = new HttpRequest({
      method: "POST",
      url: url(token),
      params: { token },
      headers: { "content-type": "application/json" },
      body: { string: "{not json" },
    });
    expect((await handlers.act(badJson, context())).status).toBe(400);
    const text = new HttpRequest({
      method: "POST",
      url: url(token),
      params: { token },
      headers: { "content-type": "text/plain" },
      body: { string: "action=refuse" },
    });
    expect((await handlers.act(text, context())).status).toBe(415);
    expect(raised).toEqual([]);
    expect(await statusOf(association)).toBe("UnderReview");
  });

  it("answers 503 when the workflow engine cannot tell, and a retry finishes the decision", async () => {
    const { association, raised, handlers, token } = await setup("UnderReview", { failWorkflows: 1 });
    const failed = await handlers.act(postForm(token, { action: "refuse" }), context());
    expect(failed.status).toBe(503);
    expect(header(failed, "retry-after")).toBeDefined();
    expect(raised).toEqual([]);

    const retried = await handlers.act(postForm(token, { action: "refuse" }), context());
    expect(bodyOf(retried)).toMatch(/Already recorded|Your refusal is recorded/);
    expect(await statusOf(association)).toBe("Rejected");
    expect(raised.map((r) => [r.associationId, r.eventName])).toEqual([[association.id, "StatusChanged"]]);
    expect(await customerChanges(association)).toHaveLength(1);
  });
});
