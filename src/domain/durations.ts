import { parse } from "tinyduration";

/**
 * ISO 8601 durations for configuration (`P30D`, `P14D`, `PT5S`), as milliseconds. Years and months
 * are refused: their length depends on the calendar, and lifecycle windows must be exact.
 */
export function isoDurationMs(text: string): number {
  const d = parse(text);
  if (d.negative) throw new Error(`"${text}" is negative`);
  if (d.years || d.months) throw new Error(`"${text}" uses years or months; use days (P30D) instead`);
  const seconds =
    (d.weeks ?? 0) * 7 * 86_400 +
    (d.days ?? 0) * 86_400 +
    (d.hours ?? 0) * 3_600 +
    (d.minutes ?? 0) * 60 +
    (d.seconds ?? 0);
  return Math.round(seconds * 1000);
}
