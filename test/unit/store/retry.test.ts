import { describe, expect, it } from "vitest";
import { ConcurrencyError, ConflictError } from "../../../src/domain/errors";
import { retryOnConcurrency } from "../../../src/store/retry";

describe("retryOnConcurrency", () => {
  it("retries a lost ETag race until it wins", async () => {
    let calls = 0;
    const result = await retryOnConcurrency(
      () => (++calls < 3 ? Promise.reject(new ConcurrencyError("lost")) : Promise.resolve("won")),
      { baseDelayMs: 1 },
    );
    expect([result, calls]).toEqual(["won", 3]);
  });

  it("gives up after the bounded number of attempts with the last ConcurrencyError", async () => {
    let calls = 0;
    const attempt = retryOnConcurrency(() => Promise.reject(new ConcurrencyError(`lost ${++calls}`)), {
      attempts: 4,
      baseDelayMs: 1,
    });
    await expect(attempt).rejects.toThrow("lost 4");
    expect(calls).toBe(4);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    const attempt = retryOnConcurrency(() => Promise.reject(new ConflictError(`held ${++calls}`)), {
      baseDelayMs: 1,
    });
    await expect(attempt).rejects.toThrow(ConflictError);
    expect(calls).toBe(1);
  });
});
