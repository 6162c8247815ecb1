import { describe, expect, it } from "vitest";
import { recordBaselineName, type RecordBaselineInput } from "../../functions/activities/recordBaseline";
import {
  recordMilestonesName,
  type RecordMilestonesInput,
  type RecordMilestonesResult,
} from "../../functions/activities/recordMilestones";
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
import { EventType } from "../../src/devhost/durable/events";
import {
  lifecycleEvents,
  type LifecycleInput,
  type LifecycleSignal,
  type UsageReading,
} from "../../src/domain/lifecycle";
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

/** The input of the continueAsNew the last turn asked for, if it asked for one. */
const continuedWith = (replay: OrchestrationReplay): unknown =>
  replay.state.actions.flat().find((a) => a.actionType === ActionType.ContinueAsNew)?.input;

/** An execution of the usage loop (phase "approved"), as continueAsNew starts it. */
const startApproved = () => start({ ...input, phase: "approved" });

const reading: UsageReading = {
  reportRefreshDate: "2026-11-28",
  workloads: { teams: { paidSeats: 400, activeUsers: 70 }, exchange: { paidSeats: 400, activeUsers: 20 } },
};

/** Raises one reading at `when` and answers the recordMilestones call it causes with `result`. */
async function report(replay: OrchestrationReplay, result: RecordMilestonesResult, when = at(100)) {
  await replay.raise(lifecycleEvents.usageReported, reading, when);
  const call = only(calls(replay.pending(), recordMilestonesName));
  await replay.complete(idOf(call), result);
  return call.action.input as RecordMilestonesInput;
}

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

  it("approves when the refusal window passes, records the baseline, then continues as new", async () => {
    const replay = await start();
    await toApproved(replay);
    expect(changesOf(replay).at(-1)).toEqual({
      to: "Approved",
      actor: "system",
      reason: "refusal window passed",
    });
    const baseline = only(calls(replay.pending(), recordBaselineName));
    expect(baseline.action.actionType).toBe(ActionType.CallActivityWithRetry);
    expect(baseline.action.input).toEqual({
      associationId: input.associationId,
      partnerId: input.partnerId,
      at: at(25).toISOString(),
    } satisfies RecordBaselineInput);
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Approved" } });

    await replay.complete(idOf(baseline), { workloads: 2, flagged: 0 });
    expect(continuedWith(replay)).toEqual({ ...input, phase: "approved" });
    expect(replay.pending()).toEqual([]); // no timer: only events end the next phase
  });

  it("rejects when the customer cancels while the baseline is recorded, without continuing", async () => {
    const replay = await start();
    await toApproved(replay);
    const baseline = only(calls(replay.pending(), recordBaselineName));
    await replay.raise(lifecycleEvents.customerCancelled, customerSays("Project ended."), at(30));
    await replay.complete(idOf(baseline), { workloads: 2, flagged: 0 }, at(30.1));
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      actor: "customer",
      reason: "customer declined: Project ended.",
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "Rejected" });
    expect(continuedWith(replay)).toBeUndefined();
    expect(changesOf(replay).map((c) => c.to)).toEqual(["Submitted", "UnderReview", "Approved", "Rejected"]);
  });
});

describe("associationLifecycle: the partner withdraws", () => {
  it.each([
    ["Draft", (_r: OrchestrationReplay) => Promise.resolve(), ["RejectedFinal"]],
    ["UnderReview", toReview, ["Submitted", "UnderReview", "RejectedFinal"]],
    [
      "Approved (baseline being recorded)",
      toApproved,
      ["Submitted", "UnderReview", "Approved", "RejectedFinal"],
    ],
  ])("in %s → RejectedFinal, with the partner's reason", async (_status, reach, path) => {
    const replay = await start();
    await reach(replay);
    await replay.raise(
      lifecycleEvents.partnerWithdrew,
      partnerSays("Signed with the wrong tenant."),
      at(200),
    );
    const baseline = calls(replay.pending(), recordBaselineName)[0];
    if (baseline) await replay.complete(idOf(baseline), { workloads: 2, flagged: 0 });
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

describe("associationLifecycle: the usage loop (phase approved)", () => {
  it("says Approved and waits for usage, a cancel, a refusal or a withdrawal, with no timer", async () => {
    const replay = await startApproved();
    expect(waits(replay.scheduled).sort()).toEqual(
      [
        lifecycleEvents.customerCancelled,
        lifecycleEvents.customerRefused,
        lifecycleEvents.partnerWithdrew,
        lifecycleEvents.usageReported,
      ].sort(),
    );
    expect(timers(replay.scheduled)).toEqual([]);
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Approved" } });
  });

  it("hands a reading to recordMilestones, then continues as new with the same input", async () => {
    const replay = await startApproved();
    const call = await report(replay, { reached: 2, remaining: 1 });
    expect(call).toEqual({
      associationId: input.associationId,
      partnerId: input.partnerId,
      reading,
      at: at(100).toISOString(),
    } satisfies RecordMilestonesInput);
    expect(continuedWith(replay)).toEqual({ ...input, phase: "approved" });
    expect(changesOf(replay)).toEqual([]);
  });

  it("completes, still Approved, once nothing is left to earn", async () => {
    const replay = await startApproved();
    await report(replay, { reached: 1, remaining: 0 });
    expect(replay.state).toMatchObject({ isDone: true, output: "Approved" });
    expect(continuedWith(replay)).toBeUndefined();
    expect(changesOf(replay)).toEqual([]);
  });

  it("rejects on the customer's cancel", async () => {
    const replay = await startApproved();
    await replay.raise(lifecycleEvents.customerCancelled, customerSays("Project ended."), at(100));
    expect(await applyStatus(replay)).toMatchObject({
      to: "Rejected",
      actor: "customer",
      reason: "customer declined: Project ended.",
      at: at(100).toISOString(),
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "Rejected" });
    expect(calls(replay.scheduled, recordMilestonesName)).toEqual([]);
  });

  it("goes to RejectedFinal when the partner withdraws", async () => {
    const replay = await startApproved();
    await replay.raise(lifecycleEvents.partnerWithdrew, partnerSays("Wrong tenant."), at(100));
    expect(await applyStatus(replay)).toMatchObject({ to: "RejectedFinal", reason: "Wrong tenant." });
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
  });

  it("handles a cancel that arrives while milestones are recorded before continuing", async () => {
    const replay = await startApproved();
    await replay.raise(lifecycleEvents.usageReported, reading, at(100));
    const call = only(calls(replay.pending(), recordMilestonesName));
    await replay.raise(lifecycleEvents.customerCancelled, customerSays("Stop."), at(100.1));
    await replay.complete(idOf(call), { reached: 0, remaining: 0 }, at(100.2));
    expect(await applyStatus(replay)).toMatchObject({ to: "Rejected", reason: "customer declined: Stop." });
    expect(replay.state).toMatchObject({ isDone: true, output: "Rejected" });
    expect(continuedWith(replay)).toBeUndefined();
  });

  it("withdraws, recording nothing, when a reading follows the withdrawal in the same turn", async () => {
    const replay = await startApproved();
    await replay.deliver(
      at(100),
      {
        EventType: EventType.EventRaised,
        Name: lifecycleEvents.partnerWithdrew,
        Input: JSON.stringify(partnerSays("Done.")),
      },
      {
        EventType: EventType.EventRaised,
        Name: lifecycleEvents.usageReported,
        Input: JSON.stringify(reading),
      },
    );
    expect(await applyStatus(replay)).toMatchObject({ to: "RejectedFinal", reason: "Done." });
    expect(calls(replay.scheduled, recordMilestonesName)).toEqual([]);
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
  });

  it("drops a reading that is not a usage reading and continues as new", async () => {
    const replay = await startApproved();
    await replay.raise(lifecycleEvents.usageReported, { reportRefreshDate: "yesterday" }, at(100));
    expect(calls(replay.scheduled, recordMilestonesName)).toEqual([]);
    expect(continuedWith(replay)).toEqual({ ...input, phase: "approved" });
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
    const replay = await startApproved();
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
