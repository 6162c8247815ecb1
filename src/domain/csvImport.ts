import { parse } from "csv-parse/sync";
import { z } from "zod";
import { ValidationError, type FieldIssue } from "./errors";
import { createDporInput, createTporInput } from "./schemas/createAssociation";
import { createPalLinkInput } from "./schemas/palLink";
import {
  columnsOfType,
  importColumns,
  importRowTypes,
  maxImportRows,
  type ImportColumn,
  type ImportRowType,
} from "./csvImportColumns";

/**
 * `POST /api/v1/imports` (`Content-Type: text/csv`): DPOR requests, TPOR records and PAL links in
 * bulk, one per row. One header row names the columns (any order, any subset); a nested field's
 * column is its dotted path (`customerContact.email`, `identity.clientId`), so an error's field is
 * the column to fix. Each row's `type` says which columns apply; an empty cell is an absent field;
 * `subscriptionIds` lists GUIDs separated by `;`. A file with an unknown or repeated column, no
 * `type` column, no rows or more than `maxImportRows` is refused whole; a row that breaks a rule is
 * reported with its line and fields and creates nothing, while the valid rows go on. Pure.
 */
export { columnsOfType, importColumns, importRowTypes, maxImportRows } from "./csvImportColumns";
export type { ImportColumn, ImportRowType } from "./csvImportColumns";

const schemaOfType = { dpor: createDporInput, tpor: createTporInput, pal: createPalLinkInput } as const;

export type ImportRequest =
  | { type: "dpor"; request: z.output<typeof createDporInput> }
  | { type: "tpor"; request: z.output<typeof createTporInput> }
  | { type: "pal"; request: z.output<typeof createPalLinkInput> };

/** A row ready to import: its position, its line in the file (the header is line 1), its request. */
export type ImportRow = { index: number; line: number } & ImportRequest;

export interface InvalidImportRow {
  index: number;
  line: number;
  errors: FieldIssue[];
}

export interface ParsedImport {
  rows: ImportRow[];
  invalid: InvalidImportRow[];
}

/**
 * Parses and checks the file. `defaults` fills a row's empty cells (the partner's location ID).
 * Throws ValidationError for a file it cannot take at all (the `header` or `file` field).
 */
export function parseImportCsv(
  text: string,
  defaults: Partial<Record<ImportColumn, string>> = {},
): ParsedImport {
  const records = readCsvRecords(text);
  const [header, ...body] = records;
  if (!header)
    throw new ValidationError([{ path: "file", message: "is empty: one header row, then one row per item" }]);
  const columns = checkHeader(header.fields);
  if (body.length === 0) throw new ValidationError([{ path: "file", message: "has a header but no rows" }]);
  if (body.length > maxImportRows)
    throw new ValidationError([
      { path: "file", message: `has ${body.length} rows; at most ${maxImportRows} per import` },
    ]);
  const parsed: ParsedImport = { rows: [], invalid: [] };
  body.forEach((record, index) => {
    const result = parseRow(columns, record.fields, defaults);
    if ("errors" in result) parsed.invalid.push({ index, line: record.line, errors: result.errors });
    else parsed.rows.push({ index, line: record.line, ...result });
  });
  return parsed;
}

/** A CSV file's records with their line numbers (the header is line 1); not CSV → ValidationError on `file`. */
export function readCsvRecords(text: string): { line: number; fields: string[] }[] {
  try {
    const records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ line: info.lines, fields: record }));
  } catch (err) {
    const where = (err as { lines?: unknown }).lines;
    throw new ValidationError([
      {
        path: "file",
        message: `is not CSV (RFC 4180)${typeof where === "number" ? ` at line ${where}` : ""}: ${
          err instanceof Error ? err.message.slice(0, 200) : String(err)
        }`,
      },
    ]);
  }
}

function checkHeader(fields: readonly string[]): ImportColumn[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  fields.forEach((raw, i) => {
    const name = raw.trim();
    if (!(importColumns as readonly string[]).includes(name))
      issues.push({
        path: `header.${i + 1}`,
        message: `"${name.slice(0, 60)}" is not a column; columns: ${importColumns.join(", ")}`,
      });
    else if (seen.has(name))
      issues.push({ path: `header.${i + 1}`, message: `repeats the column "${name}"` });
    seen.add(name);
  });
  if (!seen.has("type"))
    issues.push({ path: "header", message: `needs a "type" column (${importRowTypes.join(", ")})` });
  if (issues.length > 0) throw new ValidationError(issues);
  return fields.map((f) => f.trim() as ImportColumn);
}

function parseRow(
  columns: readonly ImportColumn[],
  fields: readonly string[],
  defaults: Partial<Record<ImportColumn, string>>,
): ImportRequest | { errors: FieldIssue[] } {
  if (fields.length !== columns.length)
    return {
      errors: [{ path: "row", message: `has ${fields.length} fields; the header has ${columns.length}` }],
    };
  const cells = new Map<ImportColumn, string>();
  columns.forEach((column, i) => {
    const value = (fields[i] ?? "").trim();
    if (value !== "") cells.set(column, value);
  });
  const type = cells.get("type");
  if (!type || !(importRowTypes as readonly string[]).includes(type))
    return { errors: [{ path: "type", message: `must be one of ${importRowTypes.join(", ")}` }] };
  const rowType = type as ImportRowType;
  const allowed = columnsOfType[rowType];
  const stray = [...cells.keys()].filter((c) => c !== "type" && !allowed.includes(c));
  if (stray.length > 0)
    return {
      errors: stray.map((c) => ({ path: c, message: `does not apply to a ${rowType} row: leave it empty` })),
    };
  for (const column of allowed) {
    const fallback = defaults[column];
    if (!cells.has(column) && fallback !== undefined) cells.set(column, fallback);
  }
  const object = nest(rowType, cells);
  const parsed = schemaOfType[rowType].safeParse(object);
  if (!parsed.success)
    return {
      errors: parsed.error.issues.map((i) => ({
        path: i.path.map(String).join(".") || "row",
        message: i.message,
      })),
    };
  return { type: rowType, request: parsed.data } as ImportRequest;
}

/** The row's cells as the JSON request the type's schema checks (dotted columns become objects). */
function nest(type: ImportRowType, cells: ReadonlyMap<ImportColumn, string>): Record<string, unknown> {
  const object: Record<string, unknown> = type === "pal" ? {} : { type };
  for (const [column, value] of cells) {
    if (column === "type") continue;
    const cell: unknown = column === "subscriptionIds" ? value.split(";").map((id) => id.trim()) : value;
    const [head, tail] = column.split(".") as [string, string | undefined];
    if (tail === undefined) object[head] = cell;
    else object[head] = { ...(object[head] as Record<string, unknown> | undefined), [tail]: cell };
  }
  return object;
}

/** A PAL row as the import job carries it: the secret sealed for the job, never in clear. */
export const sealedPalRow = createPalLinkInput
  .omit({ identity: true })
  .extend({
    identity: z
      .object({ clientId: z.string().min(1).max(64), sealedSecret: z.string().min(1).max(4000) })
      .strict(),
  })
  .strict();

/** A row of one type as the import job carries it: its position, its line, its request. */
const jobRowOf = <T extends ImportRowType, S extends z.ZodType>(type: T, request: S) =>
  z
    .object({
      index: z.number().int().nonnegative(),
      line: z.number().int().positive(),
      type: z.literal(type),
      request,
    })
    .strict();

/** One row as the import job's orchestration and activity carry it. */
export const importJobRow = z.discriminatedUnion("type", [
  jobRowOf("dpor", createDporInput),
  jobRowOf("tpor", createTporInput),
  jobRowOf("pal", sealedPalRow),
]);
export type ImportJobRow = z.infer<typeof importJobRow>;

/** The import orchestration's input (instance ID = job ID): the valid rows are the job's items. */
export const importJobInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    count: z.number().int().nonnegative().max(maxImportRows),
  })
  .strict();
export type ImportJobInput = z.infer<typeof importJobInput>;
