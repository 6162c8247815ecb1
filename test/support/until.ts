import { setTimeout as sleep } from "node:timers/promises";

/**
 * Reads until `done` holds for what was read, every 200 ms; throws with the last value after
 * `timeoutMs`. For states the app reaches in the background (queues, workflows).
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(200);
  }
}
