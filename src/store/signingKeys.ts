import { z } from "zod";
import { entityCodec, etagOf, type Versioned } from "./entityCodec";
import { insertNew, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/**
 * Signing keys rotated at run time (`POST /api/v1/admin/consent-signing-key/rotate`): one row per
 * purpose, the current key and the one before it, each sealed with SECRETS_KEY (never in clear).
 */
export const storedKeyPair = z
  .object({
    purpose: z.string().min(1).max(64),
    sealedCurrent: z.string().min(1).max(2000),
    currentSince: z.iso.datetime(),
    sealedPrevious: z.string().min(1).max(2000).optional(),
    previousSince: z.iso.datetime().optional(),
  })
  .strict();
export type StoredKeyPair = z.infer<typeof storedKeyPair>;

const what = "signing key";
const rowKey = "keys";

const codec = entityCodec({
  what,
  schema: storedKeyPair
    .omit({ purpose: true })
    .extend({ partitionKey: z.string(), rowKey: z.literal(rowKey) }),
  toEntity: ({ purpose, ...rest }: StoredKeyPair) => ({ partitionKey: purpose, rowKey, ...rest }),
  fromEntity: ({ partitionKey, rowKey: _r, ...rest }): StoredKeyPair => ({ purpose: partitionKey, ...rest }),
});

export class SigningKeyRepository {
  constructor(private readonly store: TableStore) {}

  async get(purpose: string): Promise<Versioned<StoredKeyPair> | undefined> {
    const table = await this.store.table("signingKeys");
    const raw = await readOptional(table, purpose, rowKey, what);
    return raw && { value: codec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Writes the pair: a new row when `etag` is undefined (ConflictError if one appeared), else ETag-guarded. */
  async put(pair: StoredKeyPair, etag: string | undefined): Promise<void> {
    const table = await this.store.table("signingKeys");
    const entity = codec.toEntity(storedKeyPair.parse(pair));
    if (etag === undefined) await insertNew(table, entity, what);
    else await replaceIfMatch(table, entity, etag, what);
  }
}
