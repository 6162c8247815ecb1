/**
 * Calendar arithmetic on ISO days (YYYY-MM-DD) and months (YYYY-MM), in UTC, for the score's
 * windows: "the last 12 months", "last month", "the same month a year earlier".
 */

/** `day` moved by `months` calendar months, the day of month clamped to the target month's length. */
export function addMonths(day: string, months: number): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = index - y * 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return `${pad(y, 4)}-${pad(m + 1, 2)}-${pad(Math.min(date, last), 2)}`;
}

/** The month (YYYY-MM) `months` months from the month of `day`. */
export function monthOf(day: string, months = 0): string {
  return addMonths(`${day.slice(0, 7)}-01`, months).slice(0, 7);
}

/** The first day of the month `months` months from the month of `day`. */
export function firstDayOfMonth(day: string, months = 0): string {
  return `${monthOf(day, months)}-01`;
}

/** The last day of `month` (YYYY-MM). */
export function lastDayOf(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return `${month}-${pad(new Date(Date.UTC(year, m, 0)).getUTCDate(), 2)}`;
}

/** The `count` months ending with `month`, oldest first. */
export function monthsEnding(month: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => monthOf(`${month}-01`, i - count + 1));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
