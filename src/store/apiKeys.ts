import { z } from "zod";
import { readEntity } from "./entityCodec";
import { insertOnce, readOptional } from "./tableOps";
import type { TableStore } from "./tableStore";

/** API keys by hash: PartitionKey = `apikey`, RowKey = SHA-256 of the key → the partner it opens. */
const partitionKey = "apikey";

const entity = z
  .object({
    partitionKey: z.literal(partitionKey),
    rowKey: z.string(),
    partnerId: z.string(),
    createdAt: z.iso.datetime(),
  })
  .strict();

export interface ApiKeyCacheOptions {
  /**
   * How long a key found in storage opens its partner without another read. A key whose row is
   * deleted (revoked) is refused at the latest this long after its last read, on every instance.
   */
  verifiedForMs?: number;
  /** Keys remembered at most; the oldest is forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

/** Every partner request authenticates: a point read each time would double the reads of a GET. */
export const defaultVerifiedForMs = 30_000;

export class ApiKeyRepository {
  /** Hash → its partner lookup and when it was made: found keys only, so a new key opens at once. */
  private readonly verified = new Map<string, { partnerId: Promise<string | undefined>; at: number }>();
  private readonly verifiedForMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly store: TableStore,
    options: ApiKeyCacheOptions = {},
  ) {
    this.verifiedForMs = options.verifiedForMs ?? defaultVerifiedForMs;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async add(keyHash: string, partnerId: string, createdAt: string): Promise<void> {
    const table = await this.store.table("apiKeys");
    await insertOnce(table, { partitionKey, rowKey: keyHash, partnerId, createdAt }, "API key");
  }

  /**
   * The partner a key hash belongs to, or undefined. Read from storage at most once per
   * `verifiedForMs` for a key that exists (concurrent first uses share that read); an unknown key
   * is read every time.
   */
  partnerFor(keyHash: string): Promise<string | undefined> {
    const now = this.now();
    const cached = this.verified.get(keyHash);
    if (cached && now - cached.at < this.verifiedForMs) return cached.partnerId;
    const partnerId = this.read(keyHash);
    this.remember(keyHash, partnerId, now);
    return partnerId;
  }

  private remember(keyHash: string, partnerId: Promise<string | undefined>, at: number): void {
    this.verified.delete(keyHash); // re-inserted last: the Map's order is the age order
    if (this.verified.size >= this.maxKeys) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(keyHash, { partnerId, at });
    // Only a key that opens a partner stays; a failed read or an unknown key is asked again next time.
    const forget = () => {
      if (this.verified.get(keyHash)?.partnerId === partnerId) this.verified.delete(keyHash);
    };
    partnerId.then((found) => found ?? forget(), forget);
  }

  private async read(keyHash: string): Promise<string | undefined> {
    const table = await this.store.table("apiKeys");
    const raw = await readOptional(table, partitionKey, keyHash, "API key");
    return raw && readEntity(entity, raw, "API key").partnerId;
  }
}
