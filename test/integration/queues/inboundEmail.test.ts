import { randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import { createInboundEmailHandler } from "../../../functions/queues/inboundEmail";
import { createConsentToken } from "../../../src/auth/consentToken";
import type { Association } from "../../../src/domain/association";
import { NonRetriableError } from "../../../src/domain/errors";
import type { AssociationStatus } from "../../../src/domain/status";
import type { Store } from "../../../src/store/store";
import { draftAssociation } from "../../support/builders";
import { RecordingWorkflows } from "../../support/recordingWorkflows";
import { testStore } from "../../support/storage";

const key = "consent-signing-key-for-tests-0123456789";
const partnerId = "fabrikam";
const now = new Date("2026-11-02T09:00:00Z");

let store: Store;
beforeAll(() => {
  store = testStore();
});

const durations = {
  poeDeadlineMs: 60_000,
  refusalWindowMs: 60_000,
  partnerActionWindowMs: 60_000,
  disputeWindowMs: 60_000,
};

async function setup(
  status: AssociationStatus,
  options: { failWorkflows?: number; workflow?: "running" | "finished"; rotatedTo?: string } = {},
) {
  const association = draftAssociation(partnerId, { status });
  await store.associations.create(association);
  const workflows = new RecordingWorkflows(options.workflow ?? "running", options.failWorkflows ?? 0);
  const raised = workflows.raised;
  const handler = createInboundEmailHandler(() => ({
    store,
    // After a rotation the link's key is the previous one.
    signingKey: options.rotatedTo ?? key,
    previousSigningKey: options.rotatedTo ? key : undefined,
    lifecycle: { store, durations, dporDurations: { remindersMs: [], requestWindowMs: 60_000 } },
    workflows: () => workflows,
    now: () => now,
  }));
  const token = createConsentToken(
    key,
    { associationId: association.id, partnerId },
    new Date("2026-12-31T00:00:00Z"),
  );
  const message = (overrides: Record<string, unknown> = {}) => ({
    messageId: `<${randomUUID()}@mail.contoso.com>`,
    from: "Megan Bowen <megan@contoso.com>",
    to: `consent+${token}@partner-of-record.test`,
    subject: "RE: your partner of record",
    text: "REFUSE we never hired them",
    receivedAt: "2026-11-02T08:59:00Z",
    ...overrides,
  });
  return { association, raised, workflows, handler, message };
}

/** The customer's changes as the timeline has them. */
async function customerChanges(association: Association) {
  return (await store.auditEvents.timeline(partnerId, association.id))
    .filter((e) => e.kind === "status-changed" && e.actor === "customer")
    .map((e) => ({ from: e.from, to: e.to, reason: e.reason }));
}

const statusOf = async (association: Association) =>
  (await store.associations.get(partnerId, association.id)).value.status;

const context = () => new InvocationContext({ functionName: "inboundEmail" });

describe("inboundEmail queue handler", () => {
  it("applies a REFUSE reply once per message ID and tells the workflow", async () => {
    const { association, raised, handler, message } = await setup("UnderReview");
    const reply = message();
    await handler(reply, context());
    await handler(JSON.stringify(reply), context());
    expect(await statusOf(association)).toBe("Rejected");
    expect(await customerChanges(association)).toEqual([
      {
        from: "UnderReview",
        to: "Rejected",
        reason: expect.stringContaining("we never hired them") as unknown,
      },
    ]);
    expect(raised.map((r) => r.eventName)).toContain("StatusChanged");
  });

  it("applies a reply to a link the previous signing key signed, after a rotation", async () => {
    const { association, handler, message } = await setup("UnderReview", {
      rotatedTo: "consent-signing-key-after-rotation-0123456789",
    });
    await handler(message(), context());
    expect(await statusOf(association)).toBe("Rejected");
  });

  it("reads REFUSE after approval as a cancellation, even when the workflow has completed", async () => {
    const { association, workflows, handler, message } = await setup("Approved", { workflow: "finished" });
    await handler(message(), context());
    expect(await customerChanges(association)).toEqual([
      { from: "Approved", to: "Rejected", reason: expect.stringContaining("cancelled") as unknown },
    ]);
    expect(workflows.started).toEqual([expect.objectContaining({ status: "Rejected" })]);
  });

  it("ignores, and completes, replies it must not act on", async () => {
    const { association, raised, handler, message } = await setup("UnderReview");
    await handler(message({ from: "mallory@evil.test" }), context());
    await handler(message({ text: "Thanks!" }), context());
    await handler(message({ to: "no-reply@partner-of-record.test" }), context());
    await handler(message({ to: "consent+abc.def@partner-of-record.test" }), context());
    expect(raised).toEqual([]);
    expect(await statusOf(association)).toBe("UnderReview");

    const closed = await setup("RejectedFinal");
    await closed.handler(closed.message(), context());
    expect(closed.raised).toEqual([]);
    expect(await statusOf(closed.association)).toBe("RejectedFinal");
  });

  it("throws NonRetriableError for a message that is not JSON or not the schema", async () => {
    const { raised, handler, message } = await setup("UnderReview");
    await expect(handler("{not json", context())).rejects.toBeInstanceOf(NonRetriableError);
    await expect(handler({ ...message(), messageId: undefined }, context())).rejects.toBeInstanceOf(
      NonRetriableError,
    );
    expect(raised).toEqual([]);
  });

  it("lets the host retry when the workflow engine fails, and the retry finishes the decision", async () => {
    const { association, raised, handler, message } = await setup("UnderReview", { failWorkflows: 1 });
    const reply = message();
    await expect(handler(reply, context())).rejects.toThrow(/task hub/);
    await handler(reply, context());
    expect(await statusOf(association)).toBe("Rejected");
    expect(raised.map((r) => r.eventName)).toEqual(["StatusChanged"]);
    expect(await customerChanges(association)).toHaveLength(1);
  });
});
