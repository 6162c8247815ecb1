import type { ComponentChildren } from "preact";
import { errorFor, type FormProblem } from "./problems";

/** The attributes a control needs to be labelled and to announce its error. */
export interface ControlProps {
  id: string;
  name: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
}

/**
 * One labelled control with the API's error for it right beside it. `name` is the request field
 * (its path in the body: `evidence.kind`); `id` must be unique on the page.
 */
export function Field({
  id,
  name,
  label,
  hint,
  problem,
  children,
}: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  problem: FormProblem;
  children: (props: ControlProps) => ComponentChildren;
}) {
  const error = errorFor(problem, name);
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <span id={`${id}-hint`} class="hint">
          {hint}
        </span>
      )}
      {children({
        id,
        name,
        "aria-invalid": error !== undefined,
        "aria-describedby": described || undefined,
      })}
      {error && (
        <span id={`${id}-error`} class="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

/** The errors a form's fields did not show (see `unplaced`), announced. */
export function FormErrors({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div class="field-error" role="alert">
      {messages.map((m) => (
        <p key={m}>{m}</p>
      ))}
    </div>
  );
}
