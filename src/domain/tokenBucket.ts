/**
 * A token bucket: `burst` tokens at most, refilled continuously at `perSecond`; a request takes one
 * token or is refused, and a refusal says how long until a token is there. Pure: the caller keeps
 * the bucket and the clock.
 */
export interface BucketRate {
  perSecond: number;
  burst: number;
}

export interface Bucket {
  tokens: number;
  /** Epoch ms the token count was last brought up to date. */
  at: number;
}

export type Take =
  { allowed: true; bucket: Bucket } | { allowed: false; bucket: Bucket; retryAfterMs: number };

/** Takes one token from `bucket` (a full one when there is none yet) at `now` (epoch ms). */
export function takeToken(bucket: Bucket | undefined, now: number, rate: BucketRate): Take {
  const elapsedMs = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = bucket
    ? Math.min(rate.burst, bucket.tokens + (elapsedMs * rate.perSecond) / 1000)
    : rate.burst;
  if (tokens >= 1) return { allowed: true, bucket: { tokens: tokens - 1, at: now } };
  return {
    allowed: false,
    bucket: { tokens, at: now },
    retryAfterMs: Math.ceil(((1 - tokens) * 1000) / rate.perSecond),
  };
}
