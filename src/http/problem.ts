import type { HttpResponseInit } from "@azure/functions";
import {
  ConcurrencyError,
  ConflictError,
  DependencyRefusedError,
  DomainError,
  NotConfiguredError,
  NotFoundError,
  TransientDependencyError,
  ValidationError,
  type FieldIssue,
} from "../domain/errors";

/**
 * RFC 9457 problem details: every error the API answers, in one shape. `errors` names each
 * offending field (`{path, message}`); nothing internal (stack, storage text) ever leaves.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: readonly FieldIssue[];
  [extension: string]: unknown;
}

export function problem(
  status: number,
  title: string,
  detail?: string,
  extensions: Record<string, unknown> = {},
): HttpResponseInit {
  const body: Problem = { type: "about:blank", title, status, ...(detail ? { detail } : {}), ...extensions };
  return { status, jsonBody: body, headers: { "content-type": "application/problem+json" } };
}

/** Maps an error to its problem response; anything unknown is a 500 that says nothing more. */
export function problemFor(err: unknown): HttpResponseInit {
  if (err instanceof ValidationError)
    return problem(400, "Invalid request", err.message, { errors: err.issues });
  if (err instanceof NotFoundError) return problem(404, "Not found", err.message);
  if (err instanceof ConflictError)
    return problem(409, "Conflict", err.message, {
      code: err.code,
      ...(err.unit ? { unit: err.unit } : {}),
      ...(err.existingAssociationId ? { existingAssociationId: err.existingAssociationId } : {}),
    });
  if (err instanceof ConcurrencyError)
    return withRetryAfter(problem(409, "Concurrent change", "retry the request", {}), 1);
  if (err instanceof DependencyRefusedError)
    return problem(422, "Unprocessable request", err.message, { code: err.code, errors: err.issues });
  if (err instanceof NotConfiguredError) return problem(503, "Not configured", err.message);
  if (err instanceof TransientDependencyError)
    return withRetryAfter(problem(503, "Service unavailable", err.message), err.retryAfterSeconds ?? 5);
  if (err instanceof DomainError) return problem(500, "Internal error");
  return problem(500, "Internal error");
}

/** A 422: the request is well-formed but breaks a rule (e.g. an incomplete proof of execution). */
export function unprocessable(detail: string, errors: readonly FieldIssue[]): HttpResponseInit {
  return problem(422, "Unprocessable request", detail, { errors });
}

/**
 * A 415: the request carries a body that is not JSON. Names the header, and the type received when
 * it reads as one (anything else stays out of the answer).
 */
export function unsupportedMediaType(received: string | undefined, csvToo = false): HttpResponseInit {
  const shown =
    received !== undefined && /^[\w.+-]{1,127}\/[\w.+-]{1,127}$/.test(received) ? received : undefined;
  const got = shown ? `, not ${shown}` : received ? "" : " (the Content-Type header is missing)";
  const accepted = csvToo ? "application/json or text/csv" : "application/json";
  return problem(415, "Unsupported Media Type", `send the request body as ${accepted}${got}`, {
    errors: [
      {
        path: "header:Content-Type",
        message: csvToo
          ? "must be application/json (UTF-8), a +json type, or text/csv (UTF-8)"
          : "must be application/json (UTF-8) or a +json type",
      },
    ],
  });
}

function withRetryAfter(response: HttpResponseInit, seconds: number): HttpResponseInit {
  return {
    ...response,
    headers: { ...(response.headers as Record<string, string>), "retry-after": String(seconds) },
  };
}
