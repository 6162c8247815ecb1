import type { HttpResponseInit } from "@azure/functions";

/**
 * CSV output (RFC 4180): a header row, CRLF line ends, and a field quoted only when it holds a
 * comma, a double quote, CR or LF, with each double quote doubled. Numbers are written as
 * JavaScript prints them (`0.15`), booleans as `true`/`false`, absent values as empty fields.
 * Values are written as they are: no formula escaping, so callers keep free text out of CSV
 * bound for spreadsheets, or escape it themselves.
 */
export type CsvValue = string | number | boolean | null | undefined;

/** One column: its header and how a row gives its value. */
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => CsvValue;
}

/** One field, quoted when RFC 4180 requires it. */
export function csvField(value: CsvValue): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The header row and one record per row, each line ending in CRLF. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const line = (fields: readonly CsvValue[]) => `${fields.map(csvField).join(",")}\r\n`;
  return (
    line(columns.map((c) => c.header)) + rows.map((row) => line(columns.map((c) => c.value(row)))).join("")
  );
}

/**
 * Whether the client's `Accept` prefers `text/csv` to JSON: text/csv is listed with a quality above
 * 0 and above that of application/json (a missing header, `*\/*` or JSON alone mean JSON).
 */
export function prefersCsv(accept: string | null | undefined): boolean {
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const quality = Number.isFinite(q) ? q : 0;
    if (type === "text/csv") csv = Math.max(csv, quality);
    else if (type === "application/json") json = Math.max(json, quality);
  }
  return csv > 0 && csv > json;
}

/** A 200 with CSV text, offered as a download named `filename`. */
export function csvResponse(body: string, filename: string): HttpResponseInit {
  return {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="${filename.replace(/["\\\r\n]/g, "_")}"`,
      vary: "Accept",
    },
    body,
  };
}
