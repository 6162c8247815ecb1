import { ConcurrencyError, ConflictError, NotFoundError, TransientDependencyError } from "../domain/errors";

/**
 * Storage failures translated once, at the repository edge, into the domain taxonomy: 409 →
 * ConflictError, 412 → ConcurrencyError, 404 → NotFoundError, throttling and 5xx → transient.
 */

export function statusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null || !("statusCode" in err)) return undefined;
  const status = err.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function isStatus(err: unknown, status: number): boolean {
  return statusOf(err) === status;
}

/** Rethrows `err` as the domain error its status stands for; `what` names the entity, not its owner. */
export function translateStorageError(err: unknown, what: string): never {
  switch (statusOf(err)) {
    case 404:
      throw new NotFoundError(`${what} was not found`, { cause: err });
    case 409:
      throw new ConflictError(`${what} already exists`, { cause: err });
    case 412:
      throw new ConcurrencyError(`${what} was changed by someone else; reload and retry`, { cause: err });
    case 429:
    case 500:
    case 503:
      throw new TransientDependencyError(`storage is busy while writing ${what}; retry later`, {
        cause: err,
      });
    case undefined:
      if (isConnectionFailure(err))
        throw new TransientDependencyError(`storage could not be reached for ${what}; retry later`, {
          cause: err,
        });
      throw err;
    default:
      throw err;
  }
}

/** A request that never got an answer (reset, refused, timed out): it may pass on retry. */
function isConnectionFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = "code" in err ? String(err.code) : "";
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ECONNABORTED", "REQUEST_SEND_ERROR"].includes(
    code,
  );
}
