import { describe, expect, it } from "vitest";
import {
  lastErrorOf,
  problemOf,
  subjectOf,
  type InstanceSummary,
} from "../../../src/domain/orchestrationHealth";

const now = new Date("2026-12-02T12:00:00.000Z");
const hour = 3_600_000;
const instance = (overrides: Partial<InstanceSummary>): InstanceSummary => ({
  instanceId: "a-1",
  name: "associationLifecycle",
  runtimeStatus: "Running",
  createdTime: "2026-11-01T00:00:00.000Z",
  lastUpdatedTime: "2026-12-02T11:59:00.000Z",
  customStatus: { status: "UnderReview" },
  output: null,
  input: { partnerId: "p-1", associationId: "a-1" },
  ...overrides,
});

describe("orchestration health", () => {
  it("calls a failed instance failed, with its error", () => {
    const failed = instance({
      runtimeStatus: "Failed",
      output: "Activity 'setStatus' failed: storage refused",
    });
    expect(problemOf(failed, now, hour)).toBe("failed");
    expect(lastErrorOf(failed)).toBe("Activity 'setStatus' failed: storage refused");
    expect(lastErrorOf(instance({ runtimeStatus: "Failed", output: { message: "x" } }))).toBe(
      '{"message":"x"}',
    );
    expect(lastErrorOf(instance({}))).toBeUndefined();
  });

  it("does not call a workflow stuck while its timer is due in the future, or not yet late by the threshold", () => {
    const waiting = { lastUpdatedTime: "2026-11-18T00:00:00.000Z" };
    expect(
      problemOf(
        instance({
          ...waiting,
          customStatus: { status: "UnderReview", waitingUntil: "2026-12-16T00:00:00.000Z" },
        }),
        now,
        hour,
      ),
    ).toBeUndefined();
    expect(
      problemOf(
        instance({
          ...waiting,
          customStatus: { status: "UnderReview", waitingUntil: "2026-12-02T11:30:00.000Z" },
        }),
        now,
        hour,
      ),
    ).toBeUndefined();
    expect(
      problemOf(
        instance({
          ...waiting,
          customStatus: { status: "UnderReview", waitingUntil: "2026-12-02T10:30:00.000Z" },
        }),
        now,
        hour,
      ),
    ).toBe("stuck");
  });

  it("never calls a workflow waiting for people or usage stuck; one between steps is stuck after the threshold", () => {
    const idle = { lastUpdatedTime: "2026-10-01T00:00:00.000Z" };
    expect(
      problemOf(
        instance({ ...idle, customStatus: { status: "Dispute", waitingFor: "decision" } }),
        now,
        hour,
      ),
    ).toBeUndefined();
    expect(problemOf(instance({ ...idle, customStatus: { status: "Submitted" } }), now, hour)).toBe("stuck");
    expect(problemOf(instance({ ...idle, runtimeStatus: "Pending", customStatus: null }), now, hour)).toBe(
      "stuck",
    );
    expect(problemOf(instance({ customStatus: { status: "Submitted" } }), now, hour)).toBeUndefined();
    expect(problemOf(instance({ ...idle, runtimeStatus: "Completed" }), now, hour)).toBeUndefined();
  });

  it("names the association and partner an instance works for, when its input says", () => {
    expect(subjectOf(instance({}))).toEqual({ partnerId: "p-1", associationId: "a-1" });
    expect(subjectOf(instance({ input: "text" }))).toEqual({});
    expect(subjectOf(instance({ input: { jobId: "j" } }))).toEqual({});
  });
});
