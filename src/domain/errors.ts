/**
 * The project's error taxonomy. Every layer throws one of these; the HTTP layer maps them to
 * RFC 9457 problems and the durable layer to retry decisions. Messages name the field or unit at
 * fault and never another partner's identity.
 */

/** One offending input field: `path` is dotted (`customerContact.email`, `workloads.2`). */
export interface FieldIssue {
  path: string;
  message: string;
}

interface ErrorOptions {
  cause?: unknown;
}

/** Base class: a stable machine-readable `code` beside the human message. */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that breaks a rule; `issues` lists every offending field at once. */
export class ValidationError extends DomainError {
  readonly code = "validation";
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(issues.map((i) => `${i.path || "(input)"}: ${i.message}`).join("; ") || "invalid input", options);
    this.issues = issues;
  }
}

/** The request clashes with current state: a held unit, an illegal status change, a duplicate. */
export class ConflictError extends DomainError {
  readonly code: string = "conflict";
  /** The unit at fault (`workload:teams`, `subscription:<guid>`), when the conflict is about one. */
  readonly unit: string | undefined;
  /** The caller's own association that already holds the unit; never another partner's. */
  readonly existingAssociationId: string | undefined;

  constructor(message: string, options?: ErrorOptions & { unit?: string; existingAssociationId?: string }) {
    super(message, options);
    this.unit = options?.unit;
    this.existingAssociationId = options?.existingAssociationId;
  }
}

/** The named thing does not exist, or is not visible to the caller (the two are not told apart). */
export class NotFoundError extends DomainError {
  readonly code = "not-found";
}

/** An ETag-guarded write lost a race (HTTP 412): reload and retry. */
export class ConcurrencyError extends DomainError {
  readonly code = "concurrency";
}

/** Retrying cannot help (bad data, a permanent refusal); durable retries stop on it. */
export class NonRetriableError extends DomainError {
  readonly code: string = "non-retriable";
}

/**
 * A feature needs a setting this deployment lacks (SECRETS_KEY, the Partner Center app): HTTP 503
 * naming the setting, without Retry-After, since only an operator can fix it. Retrying cannot help.
 */
export class NotConfiguredError extends NonRetriableError {
  override readonly code = "not-configured";
}

/**
 * A Microsoft API refused what the request carried (a credential Entra ID rejects, an identity
 * Azure Resource Manager denies, a request it calls bad): HTTP 422, `issues` naming the field at
 * fault. Retrying the same request cannot help.
 */
export class DependencyRefusedError extends NonRetriableError {
  override readonly code = "dependency-refused";
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(message, options);
    this.issues = issues;
  }
}

/** A dependency failed in a way that may pass (throttling, 5xx, timeouts): retry with backoff. */
export class TransientDependencyError extends DomainError {
  readonly code = "transient-dependency";
  /** Seconds the dependency asked us to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
