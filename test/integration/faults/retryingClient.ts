import { setTimeout as sleep } from "node:timers/promises";

/**
 * A well-behaved client of the partner API and the consent page: it sends a request again, the
 * same (same Idempotency-Key, same body), when the answer is a 5xx, a 409 "Request in progress", or
 * no answer at all (a dropped connection), after a small backoff and a bounded number of times.
 * Every attempt is kept, so a test can say what the first one got.
 */
export interface Attempt {
  status?: number;
  /** The problem's title (JSON) or the page's <title> (HTML), when there was an answer. */
  title?: string;
  error?: string;
}

export interface Outcome {
  status: number;
  headers: Headers;
  body: string;
  attempts: Attempt[];
}

export interface RetryPolicy {
  attempts?: number;
  /** The first backoff, ms; doubled each time up to 2 s. */
  backoffMs?: number;
}

export async function withRetries(send: () => Promise<Response>, policy: RetryPolicy = {}): Promise<Outcome> {
  const max = policy.attempts ?? 10;
  const attempts: Attempt[] = [];
  for (let n = 1; ; n++) {
    let answer: { status: number; headers: Headers; body: string } | undefined;
    try {
      const response = await send();
      answer = { status: response.status, headers: response.headers, body: await response.text() };
    } catch (err) {
      attempts.push({ error: describe(err) });
    }
    if (answer) {
      const title = titleOf(answer.body);
      attempts.push({ status: answer.status, ...(title === undefined ? {} : { title }) });
      const retry = answer.status >= 500 || (answer.status === 409 && title === "Request in progress");
      if (!retry || n >= max) return { ...answer, attempts };
    } else if (n >= max) {
      throw new Error(`no answer after ${n} attempts: ${JSON.stringify(attempts)}`);
    }
    await sleep(Math.min(2000, (policy.backoffMs ?? 200) * 2 ** (n - 1)));
  }
}

export function titleOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { title?: unknown };
    if (typeof parsed.title === "string") return parsed.title;
  } catch {
    // not JSON: an HTML page
  }
  return /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause =
    err.cause instanceof Error
      ? `: ${(err.cause as Error & { code?: string }).code ?? err.cause.message}`
      : "";
  return `${err.message}${cause}`;
}

/** The partner API through `withRetries`: one Idempotency-Key for every attempt of a POST. */
export function partnerClient(baseUrl: string, apiKey: string) {
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `ApiKey ${apiKey}`, ...extra });
  return {
    post(path: string, body: unknown, idempotencyKey: string, policy?: RetryPolicy): Promise<Outcome> {
      return withRetries(
        () =>
          fetch(`${baseUrl}${path}`, {
            method: "POST",
            headers: headers({ "idempotency-key": idempotencyKey, "content-type": "application/json" }),
            body: JSON.stringify(body),
          }),
        policy,
      );
    },
    /** One POST attempt, no retry (to see exactly what the first attempt answers). */
    postOnce(path: string, body: unknown, idempotencyKey: string): Promise<Outcome> {
      return withRetries(
        () =>
          fetch(`${baseUrl}${path}`, {
            method: "POST",
            headers: headers({ "idempotency-key": idempotencyKey, "content-type": "application/json" }),
            body: JSON.stringify(body),
          }),
        { attempts: 1 },
      );
    },
    async get<T>(path: string): Promise<T> {
      const outcome = await withRetries(() => fetch(`${baseUrl}${path}`, { headers: headers() }), {
        attempts: 15,
      });
      if (outcome.status !== 200) throw new Error(`GET ${path}: ${outcome.status} ${outcome.body}`);
      return JSON.parse(outcome.body) as T;
    },
  };
}

/** The customer on the consent page: POSTs the form, again on a 5xx or a dropped connection. */
export function postConsent(pageUrl: string, form: string, policy?: RetryPolicy): Promise<Outcome> {
  return withRetries(
    () =>
      fetch(pageUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form,
      }),
    policy,
  );
}
