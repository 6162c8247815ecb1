import { setTimeout as sleep } from "node:timers/promises";
import { ConcurrencyError } from "../domain/errors";

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
}

/**
 * Runs a read-modify-write until it wins its ETag race, at most `attempts` times, with jittered
 * backoff; the last ConcurrencyError is rethrown. Any other error ends it at once.
 */
export async function retryOnConcurrency<T>(
  operation: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 10;
  const baseDelayMs = options.baseDelayMs ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= attempts) throw err;
      const cap = baseDelayMs * 2 ** Math.min(attempt, 6);
      await sleep(cap / 2 + Math.random() * (cap / 2));
    }
  }
}
