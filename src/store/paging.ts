import type { TableClient, TableEntityResult } from "@azure/data-tables";
import { ValidationError } from "../domain/errors";

/** One page of a list; pass `continuationToken` back to get the next one. Absent = last page. */
export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

export interface PageRequest {
  pageSize?: number;
  continuationToken?: string;
}

export const maxPageSize = 1000;

/**
 * Reads one page of a filtered query. The SDK's continuation token is opaque; it goes back to the
 * caller as-is (base64url-wrapped so it travels in a URL), and a mangled one is a ValidationError.
 */
export async function readPage<T>(
  table: TableClient,
  filter: string | undefined,
  request: PageRequest,
  parse: (raw: TableEntityResult<Record<string, unknown>>) => T,
): Promise<Page<T>> {
  const pageSize = Math.min(Math.max(request.pageSize ?? 100, 1), maxPageSize);
  const iterator = table
    .listEntities<Record<string, unknown>>({ queryOptions: filter ? { filter } : {} })
    .byPage({ maxPageSize: pageSize, continuationToken: decodeToken(request.continuationToken) });
  const first = await iterator.next();
  if (first.done) return { items: [] };
  const page = first.value;
  const items = page.map(parse);
  return page.continuationToken
    ? { items, continuationToken: encodeToken(page.continuationToken) }
    : { items };
}

/**
 * One page of a query narrowed further by `keep`, a condition Table storage cannot express (a value
 * inside a JSON column). Reads on until `pageSize` rows are kept or the query ends, at most
 * `maxReads` storage pages, each asking only for the room left: the page never exceeds pageSize,
 * and its token resumes right after the last row read. So a page may hold fewer items than asked,
 * even none, and still carry a token.
 */
export async function readKeptPage<T>(
  table: TableClient,
  filter: string | undefined,
  request: PageRequest,
  parse: (raw: TableEntityResult<Record<string, unknown>>) => T,
  keep: (item: T) => boolean,
  maxReads = 10,
): Promise<Page<T>> {
  const pageSize = Math.min(Math.max(request.pageSize ?? 100, 1), maxPageSize);
  const items: T[] = [];
  let token = request.continuationToken;
  for (let reads = 0; reads < maxReads && items.length < pageSize; reads++) {
    const page = await readPage(
      table,
      filter,
      { pageSize: pageSize - items.length, ...(token ? { continuationToken: token } : {}) },
      parse,
    );
    items.push(...page.items.filter(keep));
    token = page.continuationToken;
    if (!token) break;
  }
  return token ? { items, continuationToken: token } : { items };
}

/** Reads every entity a filter matches; for small, bounded sets (one association's timeline). */
export async function readAll<T>(
  table: TableClient,
  filter: string,
  parse: (raw: TableEntityResult<Record<string, unknown>>) => T,
): Promise<T[]> {
  const items: T[] = [];
  for await (const raw of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    items.push(parse(raw));
  return items;
}

function encodeToken(token: string): string {
  return Buffer.from(token, "utf8").toString("base64url");
}

/** The SDK's token is base64 JSON `{nextPartitionKey, nextRowKey?}`: anything else is refused here, not by a 500 there. */
function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const decoded = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
  if (!decoded || !isSdkToken(decoded))
    throw new ValidationError([{ path: "continuationToken", message: "is not a token this API issued" }]);
  return decoded;
}

function isSdkToken(text: string): boolean {
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64").toString("utf8")) as { nextPartitionKey?: unknown };
    return typeof parsed === "object" && parsed !== null && typeof parsed.nextPartitionKey === "string";
  } catch {
    return false;
  }
}
