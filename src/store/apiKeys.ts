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

export class ApiKeyRepository {
  constructor(private readonly store: TableStore) {}

  async add(keyHash: string, partnerId: string, createdAt: string): Promise<void> {
    const table = await this.store.table("apiKeys");
    await insertOnce(table, { partitionKey, rowKey: keyHash, partnerId, createdAt }, "API key");
  }

  /** The partner a key hash belongs to, or undefined. */
  async partnerFor(keyHash: string): Promise<string | undefined> {
    const table = await this.store.table("apiKeys");
    const raw = await readOptional(table, partitionKey, keyHash, "API key");
    return raw && readEntity(entity, raw, "API key").partnerId;
  }
}
