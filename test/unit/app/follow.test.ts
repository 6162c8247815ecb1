import { describe, expect, it } from "vitest";
import { follow } from "../../../src/app/lifecycle";
import { lifecycleEvents } from "../../../src/domain/lifecycle";
import { draftAssociation } from "../../support/builders";
import { RecordingWorkflows } from "../../support/recordingWorkflows";

const ports = {
  durations: {
    poeDeadlineMs: 60_000,
    refusalWindowMs: 60_000,
    partnerActionWindowMs: 60_000,
    disputeWindowMs: 60_000,
  },
  dporDurations: { remindersMs: [], requestWindowMs: 60_000 },
};
const superseded = draftAssociation("fabrikam", { kind: "dpor", status: "Superseded" });

describe("follow", () => {
  it("starts a finished workflow again in a status where time matters", async () => {
    const workflows = new RecordingWorkflows("finished");
    await follow(ports, workflows, superseded, "change-1");
    expect(workflows.starts).toEqual([{ orchestrator: "dporRequest", instanceId: superseded.id }]);
    expect(workflows.raised).toEqual([]);
  });

  it("tells the run another caller started between its look and its start, instead of failing", async () => {
    const workflows = new RecordingWorkflows("finished", 0, true);
    await follow(ports, workflows, superseded, "change-1");
    expect(workflows.starts).toEqual([]);
    expect(workflows.raised).toEqual([
      {
        associationId: superseded.id,
        eventName: lifecycleEvents.statusChanged,
        payload: { changeId: "change-1", to: "Superseded" },
      },
    ]);
  });

  it("tells a running workflow and starts nothing", async () => {
    const workflows = new RecordingWorkflows("running");
    await follow(ports, workflows, superseded, "change-2");
    expect(workflows.starts).toEqual([]);
    expect(workflows.raised.map((r) => r.payload)).toEqual([{ changeId: "change-2", to: "Superseded" }]);
  });
});
