import { takeToken, type Bucket, type BucketRate } from "../domain/tokenBucket";

/**
 * Each partner's request budget on this instance (settings PARTNER_RATE_LIMIT_PER_SECOND and
 * PARTNER_RATE_LIMIT_BURST): a token bucket per partner, kept in memory. So the limit holds per
 * instance: a partner whose calls are spread over N instances gets up to N times the rate. A bucket
 * in Table Storage would hold across instances, at the price of a read and an ETag-guarded write
 * (and their races) on every request; the limit is there to stop one partner's runaway script from
 * starving the others on an instance, which the in-memory bucket does at no storage cost.
 * The buckets of the `maxPartners` partners seen last are kept; a partner not seen for that long
 * starts again with a full bucket.
 */
export interface RateLimiter {
  /** Takes one request from the partner's budget; refused with the seconds until one is there. */
  take(partnerId: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  readonly rate: BucketRate;
}

export function createRateLimiter(options: {
  rate: BucketRate;
  clock: () => Date;
  maxPartners?: number;
}): RateLimiter {
  const { rate, clock } = options;
  const maxPartners = options.maxPartners ?? 10_000;
  const buckets = new Map<string, Bucket>();
  return {
    rate,
    take(partnerId) {
      const taken = takeToken(buckets.get(partnerId), clock().getTime(), rate);
      buckets.delete(partnerId); // re-inserted last: the Map's order is the order last seen
      buckets.set(partnerId, taken.bucket);
      if (buckets.size > maxPartners) buckets.delete(buckets.keys().next().value as string);
      return taken.allowed
        ? { allowed: true }
        : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(taken.retryAfterMs / 1000)) };
    },
  };
}
