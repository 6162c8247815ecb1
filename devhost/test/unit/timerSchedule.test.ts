import { describe, expect, it } from "vitest";
import { nextAfterRun, parseTimerSchedule } from "../../src/triggers/timerTriggers";

const at = (iso: string) => new Date(iso);
const next = (schedule: string, after: string) =>
  parseTimerSchedule("fn", schedule).next(at(after)).toISOString();

// 2024-01-05 is a Friday.
describe("NCRONTAB schedules (6 fields, UTC)", () => {
  it.each([
    ["every 5 seconds", "*/5 * * * * *", "2024-01-05T10:00:02.300Z", "2024-01-05T10:00:05.000Z"],
    ["strictly after an occurrence", "*/5 * * * * *", "2024-01-05T10:00:05.000Z", "2024-01-05T10:00:10.000Z"],
    ["every second", "* * * * * *", "2024-01-05T10:00:05.999Z", "2024-01-05T10:00:06.000Z"],
    ["every 5 minutes", "0 */5 * * * *", "2024-01-05T10:02:00.000Z", "2024-01-05T10:05:00.000Z"],
    [
      "weekdays 9:30, before it on Friday",
      "0 30 9 * * 1-5",
      "2024-01-05T08:00:00.000Z",
      "2024-01-05T09:30:00.000Z",
    ],
    [
      "weekdays 9:30, after it on Friday",
      "0 30 9 * * 1-5",
      "2024-01-05T10:00:00.000Z",
      "2024-01-08T09:30:00.000Z",
    ],
    ["a list of hours", "0 0 8,12,18 * * *", "2024-01-05T12:00:00.000Z", "2024-01-05T18:00:00.000Z"],
    ["a stepped range", "0 0-30/10 * * * *", "2024-01-05T10:25:00.000Z", "2024-01-05T10:30:00.000Z"],
    [
      "a stepped range, wrapping",
      "0 0-30/10 * * * *",
      "2024-01-05T10:31:00.000Z",
      "2024-01-05T11:00:00.000Z",
    ],
    ["a step from a start", "5/20 * * * * *", "2024-01-05T10:00:06.000Z", "2024-01-05T10:00:25.000Z"],
    ["day names", "0 0 0 * * MON", "2024-01-05T10:00:00.000Z", "2024-01-08T00:00:00.000Z"],
    ["month names", "0 0 0 1 FEB-MAR *", "2024-01-05T10:00:00.000Z", "2024-02-01T00:00:00.000Z"],
    ["Sunday as 0", "0 0 12 * * 0", "2024-01-05T10:00:00.000Z", "2024-01-07T12:00:00.000Z"],
    ["once a year", "0 0 0 1 1 *", "2024-01-05T10:00:00.000Z", "2025-01-01T00:00:00.000Z"],
    // NCRONTAB requires day AND day-of-week (Vixie cron would take either): Friday the 13th.
    ["day and day-of-week both", "0 0 0 13 * 5", "2024-01-01T00:00:00.000Z", "2024-09-13T00:00:00.000Z"],
    // June 1 and 15, 2024 are Saturdays; July 1 is a Monday.
    [
      "day list and weekday range",
      "0 0 6 1,15 * 1-5",
      "2024-05-31T00:00:00.000Z",
      "2024-07-01T06:00:00.000Z",
    ],
  ])("%s: %s after %s → %s", (_name, schedule, after, expected) => {
    expect(next(schedule, after)).toBe(expected);
  });
});

describe("TimeSpan schedules (every interval)", () => {
  it.each([
    ["00:00:10", "2024-01-05T10:00:02.300Z", "2024-01-05T10:00:12.300Z"],
    ["01:30:00", "2024-01-05T10:00:00.000Z", "2024-01-05T11:30:00.000Z"],
    ["1.00:00:00", "2024-01-05T10:00:00.000Z", "2024-01-06T10:00:00.000Z"],
    ["00:00:00.250", "2024-01-05T10:00:00.000Z", "2024-01-05T10:00:00.250Z"],
  ])("%s after %s → %s", (schedule, after, expected) => {
    expect(parseTimerSchedule("fn", schedule).kind).toBe("interval");
    expect(next(schedule, after)).toBe(expected);
  });
});

describe("rejected schedules name the function", () => {
  it.each([
    ["5 fields", "*/5 * * * *", /function "nightly".*5 fields.*6/],
    ["7 fields", "0 0 0 * * * 2024", /function "nightly".*6-field/],
    ["a macro", "@daily", /function "nightly"/],
    ["a value out of range", "61 * * * * *", /function "nightly".*not valid NCRONTAB/],
    ["Quartz '?'", "0 0 0 ? * MON", /function "nightly".*day field "\?"/],
    ["'L' (last day)", "0 0 0 L * *", /function "nightly".*day field "L"/],
    ["'#' (nth weekday)", "0 0 0 * * 1#2", /function "nightly".*day-of-week field/],
    ["a zero interval", "00:00:00", /function "nightly".*positive/],
    ["a malformed interval", "1:2", /function "nightly".*TimeSpan/],
    ["an empty schedule", "", /function "nightly"/],
  ])("%s: %j", (_name, schedule, message) => {
    expect(() => parseTimerSchedule("nightly", schedule)).toThrow(message);
  });
});

describe("the occurrence after a run", () => {
  const everySecond = parseTimerSchedule("fn", "* * * * * *");
  const every10s = parseTimerSchedule("fn", "00:00:10");

  it.each([
    ["a short run", everySecond, "10:00:01.000", "10:00:01.200", "10:00:02.000", 0],
    ["a run spanning two occurrences", everySecond, "10:00:01.000", "10:00:03.500", "10:00:04.000", 2],
    ["a run ending on an occurrence", everySecond, "10:00:01.000", "10:00:02.000", "10:00:03.000", 1],
    ["an interval measured from the start", every10s, "10:00:00.000", "10:00:04.000", "10:00:10.000", 0],
    ["an interval overrun", every10s, "10:00:00.000", "10:00:25.000", "10:00:30.000", 2],
  ])("%s", (_name, schedule, started, ended, expected, skipped) => {
    const day = "2024-01-05T";
    const result = nextAfterRun(schedule, at(`${day}${started}Z`), at(`${day}${ended}Z`));
    expect(result).toEqual({ next: at(`${day}${expected}Z`), skipped });
  });
});
