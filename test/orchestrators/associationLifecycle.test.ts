import { describe, expect, it } from "vitest";
import { readStatusName } from "../../functions/activities/readStatus";
import { recordBaselineName } from "../../functions/activities/recordBaseline";
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
import { ActionType } from "devhost";
import {
  lifecycleEvents,
  type LifecycleInput,
  type StatusChangedSignal,
  type UsageReading,
} from "../../src/domain/lifecycle";
import type { AssociationStatus } from "../../src/domain/status";
import { calls, fireTheTimer, idOf, only, OrchestrationReplay, timers } from "../support/orchestrationReplay";

const hour = 3_600_000;
const t0 = new Date("2026-11-01T10:00:00.000Z");
const at = (hours: number) => new Date(t0.getTime() + hours * hour);

const input: LifecycleInput = {
  associationId: "5f0c8a52-3b7e-4d1a-9c2e-0a1b2c3d4e5f",
  partnerId: "partner-a",
  status: "Draft",
  durations: {
    poeDeadlineMs: 48 * hour,
    refusalWindowMs: 24 * hour,
    partnerActionWindowMs: 120 * hour,
    disputeWindowMs: 720 * hour,
  },
};

async function start(lifecycle: Partial<LifecycleInput> = {}): Promise<OrchestrationReplay> {
  const replay = new OrchestrationReplay(
    associationLifecycle,
    input.associationId,
    { ...input, ...lifecycle },
    t0,
    associationLifecycleName,
  );
  await replay.run();
  return replay;
}

/** Completes the one pending setStatus call with the status the activity found (default: the move's). */
async function applyStatus(replay: OrchestrationReplay, answer?: AssociationStatus): Promise<SetStatusInput> {
  const call = only(calls(replay.pending(), setStatusName));
  const change = call.action.input as SetStatusInput;
  await replay.complete(idOf(call), answer ?? change.to);
  return change;
}

/** A decision applied outside the workflow: StatusChanged, then the readStatus it causes answers `status`. */
async function decided(replay: OrchestrationReplay, status: AssociationStatus, when = replay.now) {
  const signal: StatusChangedSignal = { changeId: `change-${status}`, to: status };
  await replay.raise(lifecycleEvents.statusChanged, signal, when);
  await replay.complete(idOf(only(calls(replay.pending(), readStatusName))), status);
}

/** Draft → (submitted) → consent email → UnderReview, the submission at t0 + 1 h. */
async function toReview(replay: OrchestrationReplay): Promise<void> {
  await decided(replay, "Submitted", at(1));
  await replay.complete(idOf(only(calls(replay.pending(), sendConsentEmailName))), "sent");
  await applyStatus(replay);
}

const changesOf = (replay: OrchestrationReplay) =>
  calls(replay.scheduled, setStatusName).map((s) => {
    const { to, actor, reason, onlyFrom } = s.action.input as SetStatusInput;
    return { to, actor, reason, onlyFrom };
  });

/** The input of the continueAsNew the last turn asked for, if it asked for one. */
const continuedWith = (replay: OrchestrationReplay): unknown =>
  replay.state.actions.flat().find((a) => a.actionType === ActionType.ContinueAsNew)?.input;

const reading: UsageReading = {
  reportRefreshDate: "2026-11-28",
  workloads: { teams: { paidSeats: 400, activeUsers: 70 } },
};

/** Raises one reading and answers the recordMilestones call it causes with `result`. */
async function report(replay: OrchestrationReplay, result: RecordMilestonesResult, when = at(100)) {
  await replay.raise(lifecycleEvents.usageReported, reading, when);
  const call = only(calls(replay.pending(), recordMilestonesName));
  await replay.complete(idOf(call), result);
  return call.action.input as RecordMilestonesInput;
}

describe("associationLifecycle: Draft", () => {
  it("waits for a decision or the PoE deadline, and says Draft", async () => {
    const replay = await start();
    expect(only(timers(replay.scheduled)).action.fireAt).toBe(at(48).toISOString());
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Draft" } });
  });

  it("expires when the deadline passes, only from Draft, without emailing anyone", async () => {
    const replay = await start();
    await fireTheTimer(replay);
    const change = await applyStatus(replay);
    expect(change).toMatchObject({ to: "Expired", actor: "system", onlyFrom: ["Draft"] });
    expect(calls(replay.scheduled, sendConsentEmailName)).toHaveLength(0);
    expect(replay.state).toMatchObject({ isDone: true, output: "Expired" });
  });

  it("follows a submission: one consent email, then UnderReview with the refusal window", async () => {
    const replay = await start();
    await toReview(replay);
    const email = only(calls(replay.scheduled, sendConsentEmailName)).action.input as SendConsentEmailInput;
    expect(email.refusalWindowEndsAt).toBe(at(25).toISOString());
    expect(changesOf(replay)).toEqual([
      expect.objectContaining({ to: "UnderReview", onlyFrom: ["Submitted"] }),
    ]);
    const deadline = timers(replay.scheduled);
    expect(deadline[0]?.action.isCanceled).toBe(true); // the PoE deadline no longer counts
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(25).toISOString());
    // What operators see: waiting, and until when (a timer late past that is stuck).
    expect(replay.state.customStatus).toEqual({ status: "UnderReview", waitingUntil: at(25).toISOString() });
  });

  it("ends with a withdrawal applied while it waited", async () => {
    const replay = await start();
    await decided(replay, "RejectedFinal", at(2));
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
    expect(calls(replay.scheduled, setStatusName)).toHaveLength(0);
  });
});

describe("associationLifecycle: review", () => {
  it("approves when the refusal window passes, records the baseline and starts the usage loop", async () => {
    const replay = await start();
    await toReview(replay);
    await fireTheTimer(replay);
    expect(await applyStatus(replay)).toMatchObject({ to: "Approved", onlyFrom: ["UnderReview"] });
    await replay.complete(idOf(only(calls(replay.pending(), recordBaselineName))), {
      workloads: 1,
      flagged: 0,
    });
    expect(continuedWith(replay)).toMatchObject({ status: "Approved", baselineRecorded: true });
  });

  it("completes at approval when the claim has no workload to follow", async () => {
    const replay = await start();
    await toReview(replay);
    await decided(replay, "Approved", at(3));
    await replay.complete(idOf(only(calls(replay.pending(), recordBaselineName))), {
      workloads: 0,
      flagged: 0,
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "Approved" });
  });

  it("follows a refusal that won the race against the window: no approval, the dispute window instead", async () => {
    const replay = await start();
    await toReview(replay);
    await fireTheTimer(replay);
    await applyStatus(replay, "Rejected"); // the customer's refusal was applied first
    expect(calls(replay.scheduled, recordBaselineName)).toHaveLength(0);
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(25 + 720).toISOString());
    expect(replay.state.customStatus).toMatchObject({ status: "Rejected" });
  });

  it("waits for the partner's answer after a request for action, then rejects for no partner response", async () => {
    const replay = await start();
    await toReview(replay);
    await decided(replay, "PartnerActionRequired", at(5));
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(125).toISOString());
    await fireTheTimer(replay);
    const change = await applyStatus(replay);
    expect(change).toMatchObject({ to: "Rejected", onlyFrom: ["PartnerActionRequired"] });
    expect(change.reason).toMatch(/no-partner-response/);
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(125 + 720).toISOString());
  });

  it("goes back to review when the partner answers with a corrected PoE", async () => {
    const replay = await start();
    await toReview(replay);
    await decided(replay, "PartnerActionRequired", at(5));
    await decided(replay, "UnderReview", at(6));
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(30).toISOString());
    expect(replay.state.customStatus).toMatchObject({ status: "UnderReview" });
    expect(calls(replay.scheduled, sendConsentEmailName)).toHaveLength(1); // the customer is told once
  });

  it("asked for action again, waits a fresh window", async () => {
    const replay = await start();
    await toReview(replay);
    await decided(replay, "PartnerActionRequired", at(5));
    await decided(replay, "PartnerActionRequired", at(50));
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(170).toISOString());
  });

  it("approves on a recorded outcome without waiting for the window", async () => {
    const replay = await start();
    await toReview(replay);
    await decided(replay, "Approved", at(3));
    expect(calls(replay.pending(), recordBaselineName)).toHaveLength(1);
    expect(changesOf(replay).map((c) => c.to)).toEqual(["UnderReview"]);
  });
});

describe("associationLifecycle: every recorded review outcome, from every status it may come from", () => {
  /** The wait each status leaves behind: its deadline (hours after the outcome at 10 h), or none. */
  const waitAfter: Readonly<Record<string, number | "none" | "done">> = {
    Approved: "none", // the baseline comes next
    PartnerActionRequired: 10 + 120,
    Rejected: 10 + 720,
    RejectedFinal: "done",
  };

  it.each<[AssociationStatus, AssociationStatus]>([
    ["UnderReview", "Approved"],
    ["UnderReview", "PartnerActionRequired"],
    ["UnderReview", "Rejected"],
    ["PartnerActionRequired", "Approved"],
    ["PartnerActionRequired", "PartnerActionRequired"],
    ["PartnerActionRequired", "Rejected"],
    ["Dispute", "Approved"],
    ["Dispute", "PartnerActionRequired"],
    ["Dispute", "RejectedFinal"],
  ])("in %s, an outcome that moved it to %s is followed", async (from, to) => {
    const replay = await start({ status: from });
    await decided(replay, to, at(10));
    const expected = waitAfter[to] ?? expect.fail(`no expectation for ${to}`);
    if (expected === "done") expect(replay.state).toMatchObject({ isDone: true, output: to });
    else if (expected === "none") expect(calls(replay.pending(), recordBaselineName)).toHaveLength(1);
    else expect(only(timers(replay.pending())).action.fireAt).toBe(at(expected).toISOString());
    expect(calls(replay.scheduled, setStatusName)).toHaveLength(0); // the decision was applied by the API
  });
});

describe("associationLifecycle: rejection and dispute", () => {
  it("closes the dispute window: RejectedFinal, only from Rejected", async () => {
    const replay = await start({ status: "Rejected" });
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(720).toISOString());
    await fireTheTimer(replay);
    const change = await applyStatus(replay);
    expect(change).toMatchObject({
      to: "RejectedFinal",
      reason: "dispute window closed",
      onlyFrom: ["Rejected"],
    });
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
  });

  it("a dispute waits, without a deadline, for the reviewers' answer", async () => {
    const replay = await start({ status: "Rejected" });
    await decided(replay, "Dispute", at(10));
    expect(timers(replay.pending())).toHaveLength(0);
    expect(replay.state.customStatus).toEqual({ status: "Dispute", waitingFor: "decision" });
    await decided(replay, "Approved", at(100));
    expect(calls(replay.pending(), recordBaselineName)).toHaveLength(1);
  });

  it("a dispute rejected again is over", async () => {
    const replay = await start({ status: "Dispute" });
    await decided(replay, "RejectedFinal", at(10));
    expect(replay.state).toMatchObject({ isDone: true, output: "RejectedFinal" });
  });

  it("a dispute answered with a request for action waits for the partner again", async () => {
    const replay = await start({ status: "Dispute" });
    await decided(replay, "PartnerActionRequired", at(10));
    expect(only(timers(replay.pending())).action.fireAt).toBe(at(130).toISOString());
  });

  it("a dispute refused for a re-claim conflict changes nothing: the dispute window still closes it", async () => {
    // The API answered 409 naming the unit and applied nothing, so no StatusChanged arrives.
    const replay = await start({ status: "Rejected" });
    await fireTheTimer(replay);
    expect(await applyStatus(replay)).toMatchObject({ to: "RejectedFinal", onlyFrom: ["Rejected"] });
  });

  it("a timed move that finds a dispute applied meanwhile follows the dispute", async () => {
    const replay = await start({ status: "Rejected" });
    await fireTheTimer(replay);
    await applyStatus(replay, "Dispute");
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Dispute" } });
  });
});

describe("associationLifecycle: the usage loop", () => {
  const approved = () => start({ status: "Approved", baselineRecorded: true });

  it("records each reading and continues as new while something may still pay", async () => {
    const replay = await approved();
    const call = await report(replay, { reached: 1, remaining: 2 });
    expect(call).toMatchObject({ reading, at: at(100).toISOString() });
    expect(continuedWith(replay)).toMatchObject({ status: "Approved", baselineRecorded: true });
  });

  it("completes, still Approved, when nothing is left to earn", async () => {
    const replay = await approved();
    await report(replay, { reached: 1, remaining: 0 });
    expect(replay.state).toMatchObject({ isDone: true, output: "Approved" });
  });

  it("follows a cancellation into the dispute window", async () => {
    const replay = await approved();
    await decided(replay, "Rejected", at(3));
    expect(continuedWith(replay)).toMatchObject({ status: "Rejected" });
  });

  it("handles a decision that arrived while a reading was recorded, before continuing", async () => {
    const replay = await approved();
    await replay.raise(lifecycleEvents.usageReported, reading, at(1));
    const milestones = only(calls(replay.pending(), recordMilestonesName));
    await replay.raise(lifecycleEvents.statusChanged, { changeId: "c", to: "RejectedFinal" }, at(2));
    await replay.complete(idOf(milestones), { reached: 0, remaining: 0 });
    await replay.complete(idOf(only(calls(replay.pending(), readStatusName))), "RejectedFinal");
    expect(continuedWith(replay)).toMatchObject({ status: "RejectedFinal" });
  });

  it("drops a reading that is not a reading", async () => {
    const replay = await approved();
    await replay.raise(lifecycleEvents.usageReported, { nonsense: true }, at(1));
    expect(calls(replay.scheduled, recordMilestonesName)).toHaveLength(0);
    expect(continuedWith(replay)).toMatchObject({ status: "Approved" });
  });
});
