import { randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { beforeAll, describe, expect, it } from "vitest";
import { createInboundEmailHandler } from "../../../functions/queues/inboundEmail";
import type { RaiseLifecycleEvent } from "../../../functions/raiseLifecycleEvent";
import { createConsentToken } from "../../../src/auth/consentToken";
import { NonRetriableError } from "../../../src/domain/errors";
import { lifecycleSignal, type LifecycleSignal } from "../../../src/domain/lifecycle";
import type { AssociationStatus } from "../../../src/domain/status";
import type { Store } from "../../../src/store/store";
import { draftAssociation } from "../../support/builders";
import { testStore } from "../../support/storage";

const key = "consent-signing-key-for-tests-0123456789";
const partnerId = "fabrikam";
const now = new Date("2026-11-02T09:00:00Z");

let store: Store;
beforeAll(() => {
  store = testStore();
});

async function setup(status: AssociationStatus, options: { failRaise?: number } = {}) {
  const association = draftAssociation(partnerId, { status });
  await store.associations.create(association);
  const raised: { associationId: string; eventName: string; payload: LifecycleSignal }[] = [];
  let failures = options.failRaise ?? 0;
  const raise: RaiseLifecycleEvent = (associationId, eventName, payload) => {
    if (failures-- > 0) return Promise.reject(new Error("durable client: 503 from the task hub"));
    raised.push({ associationId, eventName, payload: lifecycleSignal.parse(payload) });
    return Promise.resolve();
  };
  const handler = createInboundEmailHandler(() => ({ store, signingKey: key, raise, now: () => now }));
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
  return { association, raised, handler, message };
}

const context = () => new InvocationContext({ functionName: "inboundEmail" });

describe("inboundEmail queue handler", () => {
  it("raises CustomerRefused for a REFUSE reply, once per message ID", async () => {
    const { association, raised, handler, message } = await setup("UnderReview");
    const reply = message();
    await handler(reply, context());
    await handler(JSON.stringify(reply), context());
    expect(raised).toEqual([
      {
        associationId: association.id,
        eventName: "CustomerRefused",
        payload: { reason: "we never hired them", via: "email-reply" },
      },
    ]);
  });

  it("reads REFUSE after approval as a cancellation", async () => {
    const { raised, handler, message } = await setup("Approved");
    await handler(message(), context());
    expect(raised.map((r) => r.eventName)).toEqual(["CustomerCancelled"]);
  });

  it("ignores, and completes, replies it must not act on", async () => {
    const { raised, handler, message } = await setup("UnderReview");
    await handler(message({ from: "mallory@evil.test" }), context());
    await handler(message({ text: "Thanks!" }), context());
    await handler(message({ to: "no-reply@partner-of-record.test" }), context());
    await handler(message({ to: "consent+abc.def@partner-of-record.test" }), context());
    expect(raised).toEqual([]);

    const closed = await setup("RejectedFinal");
    await closed.handler(closed.message(), context());
    expect(closed.raised).toEqual([]);
  });

  it("throws NonRetriableError for a message that is not JSON or not the schema", async () => {
    const { raised, handler, message } = await setup("UnderReview");
    await expect(handler("{not json", context())).rejects.toBeInstanceOf(NonRetriableError);
    await expect(handler({ ...message(), messageId: undefined }, context())).rejects.toBeInstanceOf(
      NonRetriableError,
    );
    expect(raised).toEqual([]);
  });

  it("lets the host retry when the event cannot be raised", async () => {
    const { raised, handler, message } = await setup("UnderReview", { failRaise: 1 });
    const reply = message();
    await expect(handler(reply, context())).rejects.toThrow(/task hub/);
    await handler(reply, context());
    expect(raised.map((r) => r.eventName)).toEqual(["CustomerRefused"]);
  });
});
