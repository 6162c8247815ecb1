import { describe, expect, it } from "vitest";
import { readStatusName } from "../../functions/activities/readStatus";
import { sendDporEmailName, type SendDporEmailInput } from "../../functions/activities/sendDporEmail";
import { setStatusName, type SetStatusInput } from "../../functions/activities/setStatus";
import { settleDporName } from "../../functions/activities/settleDpor";
import { dporRequest, dporRequestName } from "../../functions/orchestrators/dporRequest";
import type { DporRequestInput } from "../../src/domain/dporRequest";
import { lifecycleEvents, type StatusChangedSignal } from "../../src/domain/lifecycle";
import type { AssociationStatus } from "../../src/domain/status";
import { calls, fireTheTimer, idOf, only, OrchestrationReplay, timers } from "../support/orchestrationReplay";

const day = 86_400_000;
const t0 = new Date("2026-11-01T10:00:00.000Z");
const at = (days: number) => new Date(t0.getTime() + days * day);

const input: DporRequestInput = {
  associationId: "9d3c1f0e-2b4a-4c6d-8e7f-1a2b3c4d5e6f",
  partnerId: "partner-a",
  durations: { remindersMs: [7 * day, 14 * day], requestWindowMs: 30 * day },
  status: "Requested",
};

async function start(
  durations = input.durations,
  status: DporRequestInput["status"] = "Requested",
): Promise<OrchestrationReplay> {
  const replay = new OrchestrationReplay(
    dporRequest,
    input.associationId,
    { ...input, durations, status },
    t0,
    dporRequestName,
  );
  await replay.run();
  return replay;
}

/** Completes the one pending email call; answers what it asked for. */
async function sendTheEmail(replay: OrchestrationReplay): Promise<SendDporEmailInput> {
  const call = only(calls(replay.pending(), sendDporEmailName));
  await replay.complete(idOf(call), "sent");
  return call.action.input as SendDporEmailInput;
}

async function decided(replay: OrchestrationReplay, status: AssociationStatus, when: Date) {
  const signal: StatusChangedSignal = { changeId: `change-${status}`, to: status };
  await replay.raise(lifecycleEvents.statusChanged, signal, when);
  await replay.complete(idOf(only(calls(replay.pending(), readStatusName))), status);
}

const pendingTimerAt = (replay: OrchestrationReplay) => only(timers(replay.pending())).action.fireAt;

describe("dporRequest", () => {
  it("emails the request at once, naming when it lapses, then waits for the first reminder", async () => {
    const replay = await start();
    const email = await sendTheEmail(replay);
    expect(email).toMatchObject({ reminder: 0, at: t0.toISOString(), expiresAt: at(30).toISOString() });
    expect(pendingTimerAt(replay)).toBe(at(7).toISOString());
    expect(replay.state).toMatchObject({ isDone: false, customStatus: { status: "Requested" } });
  });

  it("reminds at each offset from the request, then expires only from Requested at the window's end", async () => {
    const replay = await start();
    await sendTheEmail(replay);
    await fireTheTimer(replay);
    expect(await sendTheEmail(replay)).toMatchObject({ reminder: 1, at: at(7).toISOString() });
    expect(pendingTimerAt(replay)).toBe(at(14).toISOString());
    await fireTheTimer(replay);
    expect(await sendTheEmail(replay)).toMatchObject({ reminder: 2, expiresAt: at(30).toISOString() });
    expect(pendingTimerAt(replay)).toBe(at(30).toISOString());
    await fireTheTimer(replay);
    const call = only(calls(replay.pending(), setStatusName));
    expect(call.action.input as SetStatusInput).toMatchObject({
      to: "Expired",
      actor: "system",
      onlyFrom: ["Requested"],
      at: at(30).toISOString(),
    });
    await replay.complete(idOf(call), "Expired");
    expect(replay.state).toMatchObject({ isDone: true, output: "Expired" });
    expect(calls(replay.scheduled, settleDporName)).toHaveLength(0); // an expired request holds nothing
    expect(calls(replay.scheduled, sendDporEmailName)).toHaveLength(3);
  });

  it("settles a confirmation, then stops: no more reminders, no expiry", async () => {
    const replay = await start();
    await sendTheEmail(replay);
    await fireTheTimer(replay);
    await sendTheEmail(replay);
    await decided(replay, "Active", at(9));
    const settle = only(calls(replay.pending(), settleDporName));
    expect(settle.action.input).toEqual({ associationId: input.associationId, partnerId: input.partnerId });
    await replay.complete(idOf(settle), null);
    expect(replay.state).toMatchObject({ isDone: true, output: "Active" });
    expect(timers(replay.scheduled).at(-1)?.action.isCanceled).toBe(true);
    expect(calls(replay.scheduled, setStatusName)).toHaveLength(0);
  });

  it("settles, at the window's end, a decision nobody told it about", async () => {
    const replay = await start({ remindersMs: [], requestWindowMs: 30 * day });
    await sendTheEmail(replay);
    await fireTheTimer(replay);
    await replay.complete(idOf(only(calls(replay.pending(), setStatusName))), "Active"); // not applied: Active
    await replay.complete(idOf(only(calls(replay.pending(), settleDporName))), null);
    expect(replay.state).toMatchObject({ isDone: true, output: "Active" });
  });

  it("only settles when started after a move that followed an earlier run (a confirmation after expiry)", async () => {
    const replay = await start(input.durations, "Active");
    await replay.complete(idOf(only(calls(replay.pending(), settleDporName))), null);
    expect(replay.state).toMatchObject({ isDone: true, output: "Active" });
    expect(calls(replay.scheduled, sendDporEmailName)).toHaveLength(0);
    expect(timers(replay.scheduled)).toHaveLength(0);
  });

  it("keeps the same deadline after a stray StatusChanged that left it Requested", async () => {
    const replay = await start();
    await sendTheEmail(replay);
    await decided(replay, "Requested", at(3));
    expect(pendingTimerAt(replay)).toBe(at(7).toISOString());
    await fireTheTimer(replay);
    expect(await sendTheEmail(replay)).toMatchObject({ reminder: 1 });
  });

  it("skips reminders due at or after the window", async () => {
    const replay = await start({ remindersMs: [2 * day, 5 * day], requestWindowMs: 5 * day });
    await sendTheEmail(replay);
    await fireTheTimer(replay);
    await sendTheEmail(replay);
    expect(pendingTimerAt(replay)).toBe(at(5).toISOString());
    await fireTheTimer(replay);
    expect(only(calls(replay.pending(), setStatusName)).action.input).toMatchObject({ to: "Expired" });
    expect(calls(replay.scheduled, sendDporEmailName)).toHaveLength(2);
  });
});
