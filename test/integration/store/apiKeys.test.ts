import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApiKeyRepository, defaultVerifiedForMs } from "../../../src/store/apiKeys";
import { testStore } from "../../support/storage";

describe("ApiKeyRepository", () => {
  const store = testStore();
  const createdAt = "2026-11-01T00:00:00.000Z";

  /** A repository with its own clock, as one app instance sees the shared table. */
  function instance() {
    let now = 1_000_000;
    const keys = new ApiKeyRepository(store.tables, { now: () => now });
    return { keys, advance: (ms: number) => (now += ms) };
  }

  async function revoke(keyHash: string): Promise<void> {
    await (await store.tables.table("apiKeys")).deleteEntity("apikey", keyHash);
  }

  it("refuses a revoked key once the documented bound has passed since its last read", async () => {
    const { keys, advance } = instance();
    const hash = randomUUID();
    await keys.add(hash, "partner-a", createdAt);
    expect(await keys.partnerFor(hash)).toBe("partner-a");
    await revoke(hash);
    advance(defaultVerifiedForMs - 1);
    expect(await keys.partnerFor(hash)).toBe("partner-a"); // still within the bound
    advance(1);
    expect(await keys.partnerFor(hash)).toBeUndefined();
    expect(await instance().keys.partnerFor(hash)).toBeUndefined(); // and at once on an instance that never read it
  });

  it("opens a key added after an attempt with it failed, without waiting", async () => {
    const { keys } = instance();
    const hash = randomUUID();
    expect(await keys.partnerFor(hash)).toBeUndefined();
    await keys.add(hash, "partner-b", createdAt);
    expect(await keys.partnerFor(hash)).toBe("partner-b");
  });

  it("forgets the oldest key beyond its limit, which is then read again", async () => {
    let now = 0;
    const keys = new ApiKeyRepository(store.tables, { maxKeys: 2, now: () => now });
    const hashes = [randomUUID(), randomUUID(), randomUUID()];
    for (const hash of hashes) await keys.add(hash, `partner-${hash}`, createdAt);
    for (const hash of hashes) await keys.partnerFor(hash);
    await revoke(hashes[0] ?? "");
    await revoke(hashes[2] ?? "");
    now += 1;
    expect(await keys.partnerFor(hashes[0] ?? "")).toBeUndefined(); // forgotten, so read: revoked
    expect(await keys.partnerFor(hashes[2] ?? "")).toBe(`partner-${hashes[2]}`); // remembered
  });
});
