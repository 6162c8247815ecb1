/**
 * The wait of an idle queue poller before it reads again: `ms` spread by ±25 % at random, so the
 * mean stays `ms`. The host's pollers start together (16 control queues, the work items, the app's
 * queue triggers) and back off alike: without the spread they read in step, all at once every
 * second. On the emulator, whose every receive scans all the messages it holds, that is a burst of
 * work each second during which the app's own storage requests wait. The Functions host and the
 * Durable Task framework back off at random for the same reason (a randomized exponential back-off).
 */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.75 + random() * 0.5));
}
