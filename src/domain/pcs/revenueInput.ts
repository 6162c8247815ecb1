import type { z } from "zod";
import { readCsvRecords } from "../csvImport";
import { ValidationError, type FieldIssue } from "../errors";
import { revenueRows, type RevenueRow } from "./records";

/**
 * The body of `PUT /azure-revenue`: JSON (`{"rows": [...]}` or the array itself) or CSV with the
 * header `customerTenantId,month,amount[,service]`. Every offending field is named: `rows.3.month`
 * in JSON, `line 4.month` in CSV (the header is line 1). Pure.
 */
export const revenueColumns = ["customerTenantId", "month", "amount", "service"] as const;
const requiredColumns = ["customerTenantId", "month", "amount"] as const;

export function parseRevenueJson(json: unknown): RevenueRow[] {
  const rows =
    typeof json === "object" && json !== null && !Array.isArray(json) && "rows" in json ? json.rows : json;
  const extra =
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? Object.keys(json).filter((k) => k !== "rows")
      : [];
  const parsed = revenueRows.safeParse(rows);
  const issues: FieldIssue[] = extra.map((k) => ({
    path: k,
    message: 'unknown field: send {"rows": [...]}',
  }));
  if (parsed.success && issues.length === 0) return parsed.data;
  if (!parsed.success) issues.push(...issuesOf(parsed.error, (i) => `rows${i === undefined ? "" : `.${i}`}`));
  throw new ValidationError(issues);
}

export function parseRevenueCsv(text: string): RevenueRow[] {
  const records = readCsvRecords(text);
  const header = records[0]?.fields.map((f) => f.trim()) ?? [];
  const headerIssues: FieldIssue[] = [
    ...requiredColumns
      .filter((c) => !header.includes(c))
      .map((c) => ({
        path: "header",
        message: `needs the column ${c} (columns: ${revenueColumns.join(",")})`,
      })),
    ...header
      .filter((c) => !(revenueColumns as readonly string[]).includes(c))
      .map((c) => ({ path: "header", message: `has the unknown column ${JSON.stringify(c)}` })),
  ];
  if (headerIssues.length > 0) throw new ValidationError(headerIssues);
  const data = records.slice(1);
  const objects = data.map(({ fields }) => {
    const row: Record<string, unknown> = {};
    header.forEach((column, i) => {
      const value = (fields[i] ?? "").trim();
      if (column === "service" && value === "") return;
      row[column] = column === "amount" && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    });
    return row;
  });
  const parsed = revenueRows.safeParse(objects);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    issuesOf(parsed.error, (i) => (i === undefined ? "file" : `line ${data[i]?.line ?? i + 2}`)),
  );
}

function issuesOf(error: z.ZodError, rowPath: (index: number | undefined) => string): FieldIssue[] {
  return error.issues.map((issue) => {
    const [index, ...rest] = issue.path;
    const where = rowPath(typeof index === "number" ? index : undefined);
    return { path: [where, ...rest.map(String)].join("."), message: issue.message };
  });
}
