import { createHash, randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import { z } from "zod";
import { etagOf, readEntity, type Versioned } from "./entityCodec";
import { retryOnConcurrency } from "./retry";
import { ConcurrencyError } from "../domain/errors";
import { isStatus, translateStorageError } from "./storageErrors";
import { deleteIfMatch, readOptional, replaceIfMatch } from "./tableOps";
import { checked, type TableStore } from "./tableStore";

/**
 * Idempotency keys for POSTs (IETF httpapi Idempotency-Key draft, Stripe's semantics), scoped per
 * partner: PartitionKey = partner, RowKey = SHA-256 of the key (any printable key fits, and one
 * partner can never reach another's stored response).
 */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyStart =
  /** First use: run the request, then `complete` (or `abandon` if it failed in a retryable way). */
  | { outcome: "started"; etag: string }
  /** Same key, same request, finished: answer with the stored response. */
  | { outcome: "replay"; response: StoredResponse }
  /** Same key, different request: 422. */
  | { outcome: "mismatch" }
  /** Same key, first request still running: 409. */
  | { outcome: "in-flight" };

const record = z
  .object({
    partitionKey: z.string(),
    rowKey: z.string(),
    key: z.string(),
    requestHash: z.string(),
    state: z.enum(["in-flight", "done"]),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    /** An in-flight record older than this belongs to a request that died; the key may be reused. */
    lockedUntil: z.iso.datetime(),
    responseJson: z.string().optional(),
    /**
     * Random per attempt: lets `begin` recognise its own write when the answer to it was lost and
     * the SDK's retry reports the row as already there (or changed).
     */
    writeToken: z.string().optional(),
  })
  .strict();
type KeyRecord = z.infer<typeof record>;

const storedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});

export interface IdempotencyOptions {
  /** How long a key is remembered; at least 24 hours by contract. */
  ttlSeconds?: number;
  /** How long a request may hold its key before a retry may take it over. */
  inFlightTimeoutSeconds?: number;
}

export class IdempotencyKeyRepository {
  private readonly ttlMs: number;
  private readonly lockMs: number;

  constructor(
    private readonly store: TableStore,
    options: IdempotencyOptions = {},
  ) {
    this.ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
    // Short: every POST is resumable (a retry finishes what a dead attempt began), so the lock only
    // keeps two live attempts apart; a crashed one must not block its client for long.
    this.lockMs = (options.inFlightTimeoutSeconds ?? 60) * 1000;
  }

  async begin(partnerId: string, key: string, requestHash: string, now: Date): Promise<IdempotencyStart> {
    const table = await this.store.table("idempotencyKeys");
    const fresh = this.freshRecord(partnerId, key, requestHash, now);
    return retryOnConcurrency(async () => {
      try {
        return { outcome: "started", etag: etagOf(await table.createEntity(checked(fresh))) };
      } catch (err) {
        if (!isStatus(err, 409)) return translateStorageError(err, "idempotency key");
      }
      const existing = await this.read(partnerId, key);
      if (!existing) throw new ConcurrencyError("idempotency key vanished while being read"); // expired and purged: retry
      const { value, etag } = existing;
      // Our own first write, whose answer was lost (the SDK's retry then met it as "exists").
      if (value.writeToken === fresh.writeToken) return { outcome: "started", etag };
      const expired = Date.parse(value.expiresAt) <= now.getTime();
      const abandoned = value.state === "in-flight" && Date.parse(value.lockedUntil) <= now.getTime();
      if (expired || (abandoned && value.requestHash === requestHash)) return this.takeOver(fresh, etag);
      if (value.requestHash !== requestHash) return { outcome: "mismatch" };
      if (value.state === "in-flight") return { outcome: "in-flight" };
      return { outcome: "replay", response: storedResponse.parse(JSON.parse(value.responseJson ?? "null")) };
    });
  }

  /**
   * Stores the response for replays; `etag` is the one `begin` returned. A write whose answer was
   * lost comes back from the SDK's retry as 412: finding the record done with this very response
   * means it was our own, and all is well.
   */
  async complete(partnerId: string, key: string, etag: string, response: StoredResponse): Promise<void> {
    const table = await this.store.table("idempotencyKeys");
    const existing = await this.read(partnerId, key);
    if (!existing) return;
    const responseJson = JSON.stringify(response);
    const done: KeyRecord = { ...existing.value, state: "done", responseJson };
    try {
      await replaceIfMatch(table, done, etag, "idempotency key");
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      const now = await this.read(partnerId, key);
      if (now?.value.state !== "done" || now.value.responseJson !== responseJson) throw err;
    }
  }

  /**
   * Forgets a key whose request failed (a 5xx, an exception), so the client may retry with it at
   * once rather than wait for the in-flight lock to lapse. Tried a few times: a key left in flight
   * answers 409 to every retry until `lockedUntil`. A key taken over meanwhile is left alone.
   */
  async abandon(partnerId: string, key: string, etag: string): Promise<void> {
    const table = await this.store.table("idempotencyKeys");
    for (let attempt = 1; ; attempt++) {
      try {
        await deleteIfMatch(table, partnerId, rowKeyOf(key), etag, "idempotency key");
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /** Deletes keys that expired before `now`; returns how many. For a periodic clean-up. */
  async purgeExpired(now: Date): Promise<number> {
    const table = await this.store.table("idempotencyKeys");
    let purged = 0;
    const expired = table.listEntities({
      queryOptions: { filter: odata`expiresAt lt ${now.toISOString()}` },
    });
    for await (const raw of expired) {
      const key = readEntity(record, raw, "idempotency key");
      if (await deleteIfMatch(table, key.partitionKey, key.rowKey, etagOf(raw), "idempotency key")) purged++;
    }
    return purged;
  }

  private freshRecord(partnerId: string, key: string, requestHash: string, now: Date): KeyRecord {
    return {
      partitionKey: partnerId,
      rowKey: rowKeyOf(key),
      key,
      requestHash,
      state: "in-flight",
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttlMs).toISOString(),
      lockedUntil: new Date(now.getTime() + this.lockMs).toISOString(),
      writeToken: randomUUID(),
    };
  }

  private async takeOver(fresh: KeyRecord, etag: string): Promise<IdempotencyStart> {
    const table = await this.store.table("idempotencyKeys");
    // A ConcurrencyError (someone else took it first) sends `begin` round again.
    return { outcome: "started", etag: await replaceIfMatch(table, fresh, etag, "idempotency key") };
  }

  private async read(partnerId: string, key: string): Promise<Versioned<KeyRecord> | undefined> {
    const table = await this.store.table("idempotencyKeys");
    const raw = await readOptional(table, partnerId, rowKeyOf(key), "idempotency key");
    return raw && { value: readEntity(record, raw, "idempotency key"), etag: etagOf(raw) };
  }
}

function rowKeyOf(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
