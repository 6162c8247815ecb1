import { describe, expect, it } from "vitest";
import { testStore } from "../../support/storage";

const response = { status: 201, headers: { location: "/api/v1/associations/a1" }, body: '{"id":"a1"}' };
const t0 = new Date("2026-11-01T10:00:00.000Z");
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe("IdempotencyKeyRepository", () => {
  const store = testStore();

  it("starts, reports in-flight, then replays the stored response", async () => {
    const first = await store.idempotencyKeys.begin("partner-a", "key-1", "hash-1", t0);
    expect(first.outcome).toBe("started");
    expect(await store.idempotencyKeys.begin("partner-a", "key-1", "hash-1", later(1))).toEqual({
      outcome: "in-flight",
    });
    if (first.outcome !== "started") throw new Error("unreachable");
    await store.idempotencyKeys.complete("partner-a", "key-1", first.etag, response);
    expect(await store.idempotencyKeys.begin("partner-a", "key-1", "hash-1", later(2))).toEqual({
      outcome: "replay",
      response,
    });
  });

  it("tells a reused key with a different request apart", async () => {
    await store.idempotencyKeys.begin("partner-a", "key-2", "hash-1", t0);
    expect(await store.idempotencyKeys.begin("partner-a", "key-2", "hash-2", later(1))).toEqual({
      outcome: "mismatch",
    });
  });

  it("scopes keys per partner", async () => {
    await store.idempotencyKeys.begin("partner-a", "shared-key", "hash-a", t0);
    expect((await store.idempotencyKeys.begin("partner-b", "shared-key", "hash-b", t0)).outcome).toBe(
      "started",
    );
  });

  it("keeps a key 24 hours, then lets it start afresh", async () => {
    const first = await store.idempotencyKeys.begin("partner-a", "key-3", "hash-1", t0);
    if (first.outcome !== "started") throw new Error("unreachable");
    await store.idempotencyKeys.complete("partner-a", "key-3", first.etag, response);
    expect(
      (await store.idempotencyKeys.begin("partner-a", "key-3", "hash-2", later(23 * 3600))).outcome,
    ).toBe("mismatch");
    expect(
      (await store.idempotencyKeys.begin("partner-a", "key-3", "hash-2", later(24 * 3600))).outcome,
    ).toBe("started");
  });

  it("lets a retry take over a key whose request died in flight, but not before the lock lapses", async () => {
    await store.idempotencyKeys.begin("partner-a", "key-4", "hash-1", t0);
    expect((await store.idempotencyKeys.begin("partner-a", "key-4", "hash-1", later(59))).outcome).toBe(
      "in-flight",
    );
    expect((await store.idempotencyKeys.begin("partner-a", "key-4", "hash-1", later(60))).outcome).toBe(
      "started",
    );
  });

  it("forgets an abandoned key so the client can retry", async () => {
    const first = await store.idempotencyKeys.begin("partner-a", "key-5", "hash-1", t0);
    if (first.outcome !== "started") throw new Error("unreachable");
    await store.idempotencyKeys.abandon("partner-a", "key-5", first.etag);
    expect((await store.idempotencyKeys.begin("partner-a", "key-5", "hash-2", later(1))).outcome).toBe(
      "started",
    );
  });

  it("lets only one of many concurrent first uses start", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => store.idempotencyKeys.begin("partner-a", "key-6", "hash-1", t0)),
    );
    expect(outcomes.filter((o) => o.outcome === "started")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "in-flight")).toHaveLength(9);
  });

  it("purges expired keys", async () => {
    const purgeStore = testStore();
    await purgeStore.idempotencyKeys.begin("partner-a", "old", "hash", t0);
    await purgeStore.idempotencyKeys.begin("partner-a", "new", "hash", later(20 * 3600));
    expect(await purgeStore.idempotencyKeys.purgeExpired(later(25 * 3600))).toBe(1);
    // The young key is still remembered: a different request under it is refused.
    expect(
      (await purgeStore.idempotencyKeys.begin("partner-a", "new", "other", later(25 * 3600))).outcome,
    ).toBe("mismatch");
    expect(
      (await purgeStore.idempotencyKeys.begin("partner-a", "old", "other", later(25 * 3600))).outcome,
    ).toBe("started");
  });
});
