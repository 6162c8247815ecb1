import type { TableClient, TableEntity, TableEntityResult } from "@azure/data-tables";
import { ConcurrencyError } from "../domain/errors";
import { etagOf } from "./entityCodec";
import { retryOnConcurrency } from "./retry";
import { isStatus, translateStorageError } from "./storageErrors";
import { checked } from "./tableStore";

/**
 * The conditional writes every repository is built from, with Table Storage's answers translated
 * once: insert-if-absent (409), read-if-present (404), replace/delete-if-unchanged (412). `what`
 * names the entity in error messages and never its owner.
 */

type Raw = TableEntityResult<Record<string, unknown>>;

/** Inserts the entity unless its row exists: true = inserted now, false = it was already there. */
export async function insertOnce(table: TableClient, entity: TableEntity, what: string): Promise<boolean> {
  try {
    await table.createEntity(checked(entity));
    return true;
  } catch (err) {
    if (isStatus(err, 409)) return false;
    return translateStorageError(err, what);
  }
}

/** Inserts a new entity; an existing row is a ConflictError. Returns the new ETag. */
export async function insertNew(table: TableClient, entity: TableEntity, what: string): Promise<string> {
  try {
    return etagOf(await table.createEntity(checked(entity)));
  } catch (err) {
    return translateStorageError(err, what);
  }
}

/** The stored entity, or undefined when there is none. */
export async function readOptional(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  what: string,
): Promise<Raw | undefined> {
  try {
    return await table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    return translateStorageError(err, what);
  }
}

/** Replaces the entity if it still has `etag`; a lost race is a ConcurrencyError. Returns the new ETag. */
export async function replaceIfMatch(
  table: TableClient,
  entity: TableEntity,
  etag: string,
  what: string,
): Promise<string> {
  try {
    return etagOf(await table.updateEntity(checked(entity), "Replace", { etag }));
  } catch (err) {
    return translateStorageError(err, what);
  }
}

/** Deletes the row if it still has `etag`; false when it was gone or changed meanwhile. */
export async function deleteIfMatch(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  etag: string,
  what: string,
): Promise<boolean> {
  try {
    await table.deleteEntity(partitionKey, rowKey, { etag });
    return true;
  } catch (err) {
    if (isStatus(err, 404) || isStatus(err, 412)) return false;
    return translateStorageError(err, what);
  }
}

/**
 * Moves a pointer row's `field` forward to `value` (ISO dates and other strings that sort in order):
 * creates the row, or replaces it while it holds an earlier value (ETag-guarded); never moves it back.
 */
export async function advancePointer(
  table: TableClient,
  key: { partitionKey: string; rowKey: string },
  field: string,
  value: string,
  what: string,
): Promise<void> {
  const row = { ...key, [field]: value };
  await retryOnConcurrency(async () => {
    const raw = await readOptional(table, key.partitionKey, key.rowKey, what);
    if (!raw) {
      // Someone else may create it first: then go round again and compare with theirs.
      if (!(await insertOnce(table, row, what)))
        throw new ConcurrencyError(`${what} was created concurrently`);
      return;
    }
    const stored = raw[field];
    if (typeof stored === "string" && stored >= value) return;
    await replaceIfMatch(table, row, etagOf(raw), what);
  });
}
