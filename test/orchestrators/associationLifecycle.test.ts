import { describe, expect, it } from "vitest";
import {
  sendConsentEmailName,
  type SendConsentEmailInput,
} from "../../functions/activities/sendConsentEmail";
import { setStatusName, type SetStatusInput } from "../../functions/activities/setStatus";
import {
  associationLifecycle,
  associationLifecycleName,
} from "../../functions/orchestrators/associationLifecycle";
import { ActionType } from "../../src/devhost/durable/actions";
import { lifecycleEvents, type LifecycleInput, type LifecycleSignal } from "../../src/domain/lifecycle";
import { OrchestrationReplay, type Scheduled } from "../support/orchestrationReplay";

const hour = 3_600_000;
const t0 = new Date("2026-11-01T10:00:00.000Z");
const at = (hours: number) => new Date(t0.getTime() + hours * hour);

const input: LifecycleInput = {
  associationId: "5f0c8a52-3b7e-4d1a-9c2e-0a1b2c3d4e5f",
  partnerId: "partner-a",
  phase: "draft",
  durations: { poeDeadlineMs: 48 * hour, refusalWindowMs: 24 * hour },
};

const partnerSays = (reason: string): LifecycleSignal => ({ reason, via: "api" });
const customerSays = (reason: string): LifecycleSignal => ({ reason, via: "consent-page" });

async function start(lifecycle: LifecycleInput = input): Promise<OrchestrationReplay> {
  const replay = new OrchestrationReplay(
    associationLifecycle,
    lifecycle.associationId,
    lifecycle,
    t0,
    associationLifecycleName,
  );
  await replay.run();
  return replay;
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  const [item] = items;
  if (item === undefined) throw new Error("expected one item");
  return item;
}

const calls = (scheduled: readonly Scheduled[], name: string) =>
  scheduled.filter((s) => s.action.functionName === name);
const timers = (scheduled: readonly Scheduled[]) =>
  scheduled.filter((s) => s.action.actionType === ActionType.CreateTimer);
const waits = (scheduled: readonly Scheduled[]) =>
  scheduled
    .filter((s) => s.action.actionType === ActionType.WaitForExternalEvent)
    .map((s) => s.action.externalEventName);
const idOf = (s: Scheduled): number => {
  if (s.id === undefined) throw new Error("no task ID");
  return s.id;
};

/** The one pending setStatus call's input. */
const pendingChange = (replay: OrchestrationReplay) =>
  only(calls(replay.pending(), setStatusName)).action.input as SetStatusInput;

/** Completes the one pending setStatus call as the activity does (it answers the new status). */
async function applyStatus(replay: OrchestrationReplay): Promise<SetStatusInput> {
  const call = only(calls(replay.pending(), setStatusName));
  const change = call.action.input as SetStatusInput;
  await replay.complete(idOf(call), change.to);
  return change;
}

/** Draft → Submitted → consent email → UnderReview, with the PoE at t0 + 1 h. */
async function toReview(replay: OrchestrationReplay): Promise<void> {
  await replay.raise(lifecycleEvents.poeSubmitted, { document: "poe.pdf" }, at(1));
  await applyStatus(replay);
  await replay.complete(idOf(only(calls(replay.pending(), sendConsentEmailName))), "sent");
  await applyStatus(replay);
}

/** …then the refusal window passes → Approved. */
async function toApproved(replay: OrchestrationReplay): Promise<void> {
  await toReview(replay);
  await replay.fire(idOf(only(timers(replay.pending()))));
  await applyStatus(replay);
}

const changesOf = (replay: OrchestrationReplay) =>
  calls(replay.scheduled, setStatusName).map((s) => {
    const { to, actor, reason } = s.action.input as SetStatusInput;
    return { to, actor, reason };
  });

describe("associationLifecycle: Draft", () => {
  it("waits for the PoE, a withdrawal or the PoE deadline, and says Draft", async () => {
    const replay = await start();
    expect(waits(replay.scheduled).sort()).toEqual([
      lifecycleEvents.partnerWithdrew,
      lifecycleEvents.poeSubmitted,
    ]);
    const deadline = only(timers(replay.scheduled));
    expect(deadline.action.fireAt).toBe(at(48).toISOString());
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Draft" } });
  });

  it("expires when the PoE deadline passes, without emailing anyone", async () => {
    const replay = await start();
    await replay.fire(idOf(only(timers(replay.pending()))));
    const change = pendingChange(replay);
    expect(change).toMatchObject({
      associationId: input.associationId,
      partnerId: input.partnerId,
      to: "Expired",
      actor: "system",
      reason: "no proof of execution before the deadline",
      at: at(48).toISOString(),
    });
    expect(change.changeId).toMatch(/^[0-9a-f-]{36}$/);
    await applyStatus(replay);
    expect(replay.state).toMatchObject({
      isDone: true,
      output: "Expired",
      customStatus: { status: "Expired" },
    });
    expect(calls(replay.scheduled, sendConsentEmailName)).toEqual([]);
  });

  it("calls every activity with the bounded retry policy", async () => {
    const replay = await start();
    await replay.raise(lifecycleEvents.poeSubmitted, {}, at(1));
    const call = only(calls(replay.pending(), setStatusName));
    expect(call.action.actionType).toBe(ActionType.CallActivityWithRetry);
    expect(call.action.retryOptions).toMatchObject({
      firstRetryIntervalInMilliseconds: 5_000,
      maxNumberOfAttempts: 5,
      backoffCoefficient: 2,
    });
  });

  it("asks for the product's 30-day deadline as one (long) timer", async () => {
    const replay = await start({
      ...input,
      durations: { poeDeadlineMs: 30 * 24 * hour, refusalWindowMs: 1 },
    });
    expect(only(timers(replay.scheduled)).action.fireAt).toBe(at(30 * 24).toISOString());
  });

  it("fails, naming the field, when its input is not a lifecycle input", async () => {
    const replay = new OrchestrationReplay(associationLifecycle, "x", { associationId: "x" }, t0);
    await replay.run();
    expect(replay.error).toMatch(/partnerId/);
    expect(replay.state.actions.flat()).toEqual([]);
  });
});

describe("associationLifecycle: PoE, consent email, review", () => {
  it("moves to Submitted, emails the customer once, then UnderReview and starts the refusal window", async () => {
    const replay = await start();
    await replay.raise(lifecycleEvents.poeSubmitted, { document: "poe.pdf" }, at(1));
    expect(only(timers(replay.scheduled)).action.isCanceled).toBe(true);
    expect(await applyStatus(replay)).toMatchObject({
      to: "Submitted",
      actor: "partner",
      reason: "proof of execution submitted",
      at: at(1).toISOString(),
    });
    expect(replay.state.customStatus).toEqual({ status: "Submitted" });

    const email = only(calls(replay.pending(), sendConsentEmailName));
    expect(email.action.input).toEqual({
      associationId: input.associationId,
      partnerId: input.partnerId,
      at: at(1).toISOString(),
      refusalWindowEndsAt: at(25).toISOString(),
    } satisfies SendConsentEmailInput);
    await replay.complete(idOf(email), "sent", at(1.5));

    expect(await applyStatus(replay)).toMatchObject({
      to: "UnderReview",
      actor: "system",
      reason: "consent email sent to the customer",
    });
    expect(replay.state.customStatus).toEqual({ status: "UnderReview" });
    // The window starts once the review does: never shorter than the date the email named.
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(25.5).toISOString());
    expect(calls(replay.scheduled, sendConsentEmailName)).toHaveLength(1);
  });

  it("rejects on the customer's refusal, with the customer's reason", async () => {
    const replay = await start();
    await toReview(replay);
    const window = only(timers(replay.pending()));
    await replay.raise(lifecycleEvents.customerRefused, customerSays("We never worked with them."), at(3));
    expect(replay.scheduled.find((s) => s.id === window.id)?.action.isCanceled).toBe(true);
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      actor: "customer",
      reason: "customer refused: We never worked with them.",
      at: at(3).toISOString(),
    });
    expect(replay.state).toMatchObject({
      isDone: true,
      output: "Rejected",
      customStatus: { status: "Rejected" },
    });
  });

  it("approves when the refusal window passes, then keeps listening", async () => {
    const replay = await start();
    await toApproved(replay);
    expect(changesOf(replay).at(-1)).toEqual({
      to: "Approved",
      actor: "system",
      reason: "refusal window passed",
    });
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Approved" } });
    expect(replay.pending()).toEqual([]); // no timer: only the customer or the partner ends it now
  });

  it("rejects when the customer cancels after approval", async () => {
    const replay = await start();
    await toApproved(replay);
    await replay.raise(lifecycleEvents.customerCancelled, customerSays("Project ended."), at(100));
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      actor: "customer",
      reason: "customer declined: Project ended.",
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "Rejected" });
    expect(changesOf(replay).map((c) => c.to)).toEqual(["Submitted", "UnderReview", "Approved", "Rejected"]);
  });
});

describe("associationLifecycle: the partner withdraws", () => {
  it.each([
    ["Draft", (_r: OrchestrationReplay) => Promise.resolve(), ["RejectedFinal"]],
    ["UnderReview", toReview, ["Submitted", "UnderReview", "RejectedFinal"]],
    ["Approved", toApproved, ["Submitted", "UnderReview", "Approved", "RejectedFinal"]],
  ])("in %s → RejectedFinal, with the partner's reason", async (_status, reach, path) => {
    const replay = await start();
    await reach(replay);
    await replay.raise(
      lifecycleEvents.partnerWithdrew,
      partnerSays("Signed with the wrong tenant."),
      at(200),
    );
    expect(await applyStatus(replay)).toMatchObject({
      to: "RejectedFinal",
      actor: "partner",
      reason: "Signed with the wrong tenant.",
    });
    expect(replay.state).toMatchObject({
      isDone: true,
      output: "RejectedFinal",
      customStatus: { status: "RejectedFinal" },
    });
    expect(changesOf(replay).map((c) => c.to)).toEqual(path);
    expect(replay.pending()).toEqual([]); // every timer cancelled
  });

  it("withdrawn while Submitted is being applied: no consent email", async () => {
    const replay = await start();
    await replay.raise(lifecycleEvents.poeSubmitted, {}, at(1));
    const submitted = only(calls(replay.pending(), setStatusName));
    expect(await replay.raise(lifecycleEvents.partnerWithdrew, partnerSays("Oops."), at(1.1))).toEqual([]);
    await replay.complete(idOf(submitted), "Submitted", at(1.2));
    expect(pendingChange(replay)).toMatchObject({ to: "RejectedFinal", reason: "Oops." });
    await applyStatus(replay);
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
    expect(calls(replay.scheduled, sendConsentEmailName)).toEqual([]);
  });

  it("uses a default reason when the event carries none", async () => {
    const replay = await start();
    await replay.raise(lifecycleEvents.partnerWithdrew, null, at(1));
    expect(pendingChange(replay)).toMatchObject({ to: "RejectedFinal", reason: "the partner withdrew" });
  });
});

describe("associationLifecycle: events out of place", () => {
  it("counts a cancel before approval as a refusal", async () => {
    const replay = await start();
    await toReview(replay);
    await replay.raise(lifecycleEvents.customerCancelled, customerSays("No thanks."), at(3));
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      reason: "customer refused: No thanks.",
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "Rejected" });
  });

  it("counts a refusal after approval as a cancel", async () => {
    const replay = await start();
    await toApproved(replay);
    await replay.raise(lifecycleEvents.customerRefused, customerSays("Changed our mind."), at(100));
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      reason: "customer declined: Changed our mind.",
    });
  });

  it("keeps a refusal that arrives while Approved is being applied, and declines at once", async () => {
    const replay = await start();
    await toReview(replay);
    await replay.fire(idOf(only(timers(replay.pending()))));
    const approved = only(calls(replay.pending(), setStatusName));
    await replay.raise(lifecycleEvents.customerRefused, customerSays("Too late?"), at(30));
    await replay.complete(idOf(approved), "Approved", at(30.1));
    expect(pendingChange(replay)).toMatchObject({ to: "Rejected", reason: "customer declined: Too late?" });
  });

  it("holds a customer refusal sent in Draft until the review starts", async () => {
    const replay = await start();
    expect(await replay.raise(lifecycleEvents.customerRefused, customerSays("Early."), at(0.5))).toEqual([]);
    expect(replay.state.customStatus).toEqual({ status: "Draft" });
    await toReview(replay);
    expect(pendingChange(replay)).toMatchObject({ to: "Rejected", reason: "customer refused: Early." });
  });

  it("ignores a second PoE and stray events of a finished stage", async () => {
    const replay = await start();
    await toReview(replay);
    expect(await replay.raise(lifecycleEvents.poeSubmitted, {}, at(4))).toEqual([]);
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "UnderReview" } });
  });
});

describe("associationLifecycle: replay", () => {
  it("makes the same decisions, change IDs included, in every replay", async () => {
    // The replay helper also checks, at every turn, that the history replays to the same actions.
    const [one, two] = [await start(), await start()];
    await toApproved(one);
    await toApproved(two);
    expect(two.scheduled).toEqual(one.scheduled);
    const ids = calls(one.scheduled, setStatusName).map((s) => (s.action.input as SetStatusInput).changeId);
    expect(new Set(ids).size).toBe(3);
  });
});
