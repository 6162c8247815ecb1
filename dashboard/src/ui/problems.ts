import { ApiError } from "../api";

/**
 * An API problem as a form shows it: each `errors[].path` beside the field it names (a path names
 * a field when it is the field's name or starts with it: `workloads.2` belongs to `workloads`), and
 * whatever names no field of the form above its buttons, so no error is ever hidden.
 */
export interface FormProblem {
  /** Messages by path, as the API gave them. */
  fields: Record<string, string>;
  /** The problem's own message when it named no field (or the network error). */
  message: string | null;
}

export const noProblem: FormProblem = { fields: {}, message: null };

export function problemOf(err: unknown): FormProblem {
  if (err instanceof ApiError && err.problem.errors && err.problem.errors.length > 0) {
    const fields: Record<string, string> = {};
    for (const e of err.problem.errors)
      fields[e.path] = fields[e.path] ? `${fields[e.path]}; ${e.message}` : e.message;
    return { fields, message: null };
  }
  if (err instanceof ApiError) return { fields: {}, message: err.problem.detail ?? err.problem.title };
  return { fields: {}, message: err instanceof Error ? err.message : String(err) };
}

const belongsTo = (path: string, name: string) => path === name || path.startsWith(`${name}.`);

/** The messages for the field `name` (its own path and those below it), joined; undefined if none. */
export function errorFor(problem: FormProblem, name: string): string | undefined {
  const messages = Object.entries(problem.fields)
    .filter(([path]) => belongsTo(path, name))
    .map(([path, message]) => (path === name ? message : `${path.slice(name.length + 1)}: ${message}`));
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** What the form shows above its buttons: the problem's message and errors naming none of `names`. */
export function unplaced(problem: FormProblem, names: readonly string[]): string[] {
  const rest = Object.entries(problem.fields)
    .filter(([path]) => !names.some((name) => belongsTo(path, name)))
    .map(([path, message]) => `${path}: ${message}`);
  return problem.message ? [problem.message, ...rest] : rest;
}
