import { eraseCustomer } from "../../src/app/customerErasure";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createSendConsentEmail,
  type SendConsentEmailInput,
} from "../../functions/activities/sendConsentEmail";
import type { ConsentLinks } from "../../src/auth/consentToken";
import { createSetStatus, type SetStatusInput } from "../../functions/activities/setStatus";
import type { Association } from "../../src/domain/association";
import { NonRetriableError } from "../../src/domain/errors";
import type { OutboxMessage } from "../../src/domain/outboxMessage";
import type { EmailMessage, EmailSender } from "../../src/integrations/email/emailSender";
import type { Store } from "../../src/store/store";
import { cporRequest, draftAssociation } from "../support/builders";
import { testStore } from "../support/storage";

const partnerId = "partner-a";

/** A Draft (or other) association with its units claimed, as the create handler leaves it. */
async function seed(store: Store, overrides: Partial<Association> = {}): Promise<Association> {
  await store.partners.put({
    id: partnerId,
    name: "Fabrikam Consulting",
    partnerLocationIds: ["4871234"],
    contactEmail: "ops@fabrikam.example.com",
    createdAt: "2026-10-01T08:00:00.000Z",
  });
  const customerTenantId = randomUUID();
  const association = draftAssociation(partnerId, {
    customerTenantId,
    request: cporRequest({ customerTenantId }),
    ...overrides,
  });
  await store.associations.create(association);
  await store.claims.claim(customerTenantId, association.units, {
    partnerId,
    associationId: association.id,
    claimedAt: association.createdAt,
  });
  return association;
}

const change = (association: Association, overrides: Partial<SetStatusInput> = {}): SetStatusInput => ({
  associationId: association.id,
  partnerId,
  to: "Submitted",
  actor: "partner",
  reason: "proof of execution submitted",
  changeId: randomUUID(),
  at: "2026-11-02T09:00:00.000Z",
  ...overrides,
});

const holders = (store: Store, association: Association) =>
  Promise.all(association.units.map((unit) => store.claims.holder(association.customerTenantId, unit)));

const statusEvents = async (store: Store, association: Association) =>
  (await store.auditEvents.timeline(partnerId, association.id)).filter((e) => e.kind === "status-changed");

describe("setStatus activity", () => {
  it("applies a change once per changeId, however often it runs", async () => {
    const store = testStore();
    const association = await seed(store);
    const setStatus = createSetStatus({ store });
    const submitted = change(association);

    expect(await setStatus(submitted)).toBe("Submitted");
    const first = await store.associations.get(partnerId, association.id);
    expect(await setStatus(submitted)).toBe("Submitted");
    const second = await store.associations.get(partnerId, association.id);

    expect(second.etag).toBe(first.etag); // the second run wrote nothing
    expect(second.value).toMatchObject({
      status: "Submitted",
      lastChangeId: submitted.changeId,
      statusChangedAt: submitted.at,
      updatedAt: submitted.at,
    });
    expect(await statusEvents(store, association)).toEqual([
      {
        associationId: association.id,
        partnerId,
        eventId: submitted.changeId,
        at: submitted.at,
        kind: "status-changed",
        actor: "partner",
        reason: "proof of execution submitted",
        from: "Draft",
        to: "Submitted",
      },
    ]);
    expect((await holders(store, association)).map((h) => h?.associationId)).toEqual([
      association.id,
      association.id,
    ]);
  });

  it("records the event of a change whose first run stopped between the update and the append", async () => {
    const store = testStore();
    const association = await seed(store);
    const submitted = change(association);
    // What the first run's one write leaves: the new status with the change kept beside it.
    await store.associations.update(partnerId, association.id, (current) => ({
      ...current,
      status: "Submitted",
      lastChangeId: submitted.changeId,
      lastChange: {
        id: submitted.changeId,
        from: "Draft",
        to: "Submitted",
        actor: submitted.actor,
        reason: submitted.reason,
        at: submitted.at,
      },
    }));

    expect(await createSetStatus({ store })(submitted)).toBe("Submitted");
    expect(await statusEvents(store, association)).toMatchObject([
      { eventId: submitted.changeId, from: "Draft", to: "Submitted" },
    ]);
  });

  it("ignores a late duplicate of a change the association has moved past", async () => {
    const store = testStore();
    const association = await seed(store);
    const setStatus = createSetStatus({ store });
    const submitted = change(association);
    await setStatus(submitted);
    await setStatus(
      change(association, {
        to: "UnderReview",
        actor: "system",
        reason: "consent email sent to the customer",
        at: "2026-11-02T09:01:00.000Z",
      }),
    );

    // It answers where the association stands now, and writes nothing.
    expect(await setStatus(submitted)).toBe("UnderReview");
    expect((await store.associations.get(partnerId, association.id)).value.status).toBe("UnderReview");
    expect((await statusEvents(store, association)).map((e) => e.to)).toEqual(["Submitted", "UnderReview"]);
  });

  it.each([
    ["Expired", "Draft", "system", "no proof of execution before the deadline"],
    ["RejectedFinal", "Draft", "partner", "Signed with the wrong tenant."],
    ["Rejected", "UnderReview", "customer", "customer refused: We never worked with them."],
  ] as const)("releases the units on %s (from %s)", async (to, from, actor, reason) => {
    const store = testStore();
    const association = await seed(store, { status: from });
    const setStatus = createSetStatus({ store });
    const move = change(association, { to, actor, reason });

    expect(await setStatus(move)).toBe(to);
    expect(await holders(store, association)).toEqual([undefined, undefined]);
    expect(await setStatus(move)).toBe(to); // a retry: still released, nothing else
    expect(await statusEvents(store, association)).toMatchObject([{ from, to, actor, reason }]);
  });

  it("rejects an illegal move as non-retriable and changes nothing", async () => {
    const store = testStore();
    const association = await seed(store);
    const approve = change(association, { to: "Approved", actor: "system", reason: "refusal window passed" });

    const failure = createSetStatus({ store })(approve);
    await expect(failure).rejects.toThrow(NonRetriableError);
    await expect(failure).rejects.toThrow(/from Draft to Approved/);
    const stored = await store.associations.get(partnerId, association.id);
    expect(stored.value).toEqual(association);
    expect(await statusEvents(store, association)).toEqual([]);
    expect((await holders(store, association)).every((h) => h?.associationId === association.id)).toBe(true);
  });

  it("rejects a bad input and a missing association as non-retriable", async () => {
    const store = testStore();
    const association = await seed(store);
    const setStatus = createSetStatus({ store });
    await expect(setStatus({ ...change(association), to: "Unknown" })).rejects.toThrow(/to:/);
    await expect(setStatus(change(association, { associationId: "missing" }))).rejects.toThrow(
      NonRetriableError,
    );
  });
});

/** A fake of the EmailSender port: records what it delivered, fails on request. */
class RecordingSender implements EmailSender {
  readonly delivered: EmailMessage[] = [];
  attempts = 0;
  failures = 0;

  send(message: EmailMessage): Promise<{ providerMessageId?: string }> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error("451 4.3.0 mail server busy, try later"));
    }
    this.delivered.push(message);
    return Promise.resolve({ providerMessageId: `msg-${this.delivered.length}` });
  }
}

function consentSetup(store: Store) {
  const sender = new RecordingSender();
  const linkRequests: [string, string][] = [];
  const links: ConsentLinks = {
    consentUrl(associationId, partner) {
      linkRequests.push([associationId, partner]);
      return `https://por.example.com/api/consent/${associationId}?sig=a&v=1`;
    },
  };
  const send = createSendConsentEmail({
    store,
    sender,
    links,
    from: "no-reply@por.example.com",
    clock: () => new Date("2026-11-02T09:00:05.000Z"),
  });
  return { sender, linkRequests, send };
}

const emailInput = (association: Association): SendConsentEmailInput => ({
  associationId: association.id,
  partnerId,
  at: "2026-11-02T09:00:00.000Z",
  refusalWindowEndsAt: "2026-11-16T09:00:00.000Z",
});

describe("sendConsentEmail activity", () => {
  it("sends exactly once when called twice", async () => {
    const store = testStore();
    const association = await seed(store);
    const { sender, linkRequests, send } = consentSetup(store);

    expect(await send(emailInput(association))).toBe("sent");
    expect(await send(emailInput(association))).toBe("already-sent");

    expect(sender.delivered).toHaveLength(1);
    const [message] = sender.delivered;
    expect(message).toMatchObject({ to: "megan@contoso.com", from: "no-reply@por.example.com" });
    expect(message?.subject).toContain("Fabrikam Consulting");
    expect(message?.text).toContain(`https://por.example.com/api/consent/${association.id}?sig=a&v=1`);
    expect(message?.html).toContain(
      `href="https://por.example.com/api/consent/${association.id}?sig=a&amp;v=1"`,
    );
    expect(message?.text).toContain("Microsoft Teams, Exchange Online");
    expect(linkRequests).toEqual([[association.id, partnerId]]);

    const row = await store.outbox.get(partnerId, association.id, "consent");
    expect(row.value).toMatchObject({
      kind: "consent",
      status: "sent",
      createdAt: "2026-11-02T09:00:00.000Z",
      sentAt: "2026-11-02T09:00:05.000Z",
      providerMessageId: "msg-1",
      subject: message?.subject,
      text: message?.text,
      html: message?.html,
    });
  });

  it("re-sends the stored message when the first send failed", async () => {
    const store = testStore();
    const association = await seed(store);
    const { sender, linkRequests, send } = consentSetup(store);
    sender.failures = 1;

    await expect(send(emailInput(association))).rejects.toThrow("mail server busy");
    expect((await store.outbox.get(partnerId, association.id, "consent")).value).toMatchObject({
      status: "failed",
      lastError: "451 4.3.0 mail server busy, try later",
    });

    expect(await send(emailInput(association))).toBe("sent");
    expect(sender.attempts).toBe(2);
    expect(sender.delivered).toHaveLength(1);
    expect(linkRequests).toHaveLength(1); // rendered once: the retry sends what the row holds
    expect((await store.outbox.get(partnerId, association.id, "consent")).value.status).toBe("sent");
  });

  it("sends a row a crashed run left pending", async () => {
    const store = testStore();
    const association = await seed(store);
    const { sender, send } = consentSetup(store);
    const pending: OutboxMessage = {
      partnerId,
      associationId: association.id,
      kind: "consent",
      to: "megan@contoso.com",
      from: "no-reply@por.example.com",
      subject: "rendered by the crashed run",
      text: "text",
      html: "<p>html</p>",
      createdAt: "2026-11-02T09:00:00.000Z",
      status: "pending",
    };
    await store.outbox.insertOnce(pending);

    expect(await send(emailInput(association))).toBe("sent");
    expect(sender.delivered.map((m) => m.subject)).toEqual(["rendered by the crashed run"]);
  });

  it("sends nothing to a customer whose personal data was erased, and records why", async () => {
    const store = testStore();
    const association = await seed(store);
    await eraseCustomer({ store, clock: () => new Date() }, partnerId, association.customerTenantId);
    const { sender, send } = consentSetup(store);

    expect(await send(emailInput(association))).toBe("erased");
    expect(await send(emailInput(association))).toBe("erased");
    expect(sender.attempts).toBe(0);
    const row = await store.outbox.get(partnerId, association.id, "consent");
    expect(row.value).toMatchObject({ to: "erased@erased.invalid", status: "failed" });
    expect(row.value.lastError).toContain("erased");
    expect(row.value.text).not.toMatch(/Megan|megan@/);
  });

  it("refuses, as non-retriable, an association that does not exist", async () => {
    const store = testStore();
    const association = await seed(store);
    const { sender, send } = consentSetup(store);
    await expect(send({ ...emailInput(association), associationId: "missing" })).rejects.toThrow(
      NonRetriableError,
    );
    expect(sender.attempts).toBe(0);
  });
});
