import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { FormErrors } from "./Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "./problems";

/**
 * An action behind a confirmation dialog: the opener button, then a modal form with the action's
 * fields. While the request runs the submit button says so; the API's errors appear beside the
 * fields they name (the form's `fieldNames`), the rest above the buttons. The dialog closes only
 * when the action succeeded.
 */
export function ActionDialog({
  opener,
  title,
  submitLabel,
  fieldNames = [],
  onSubmit,
  onDone,
  children,
}: {
  opener: string;
  title: string;
  submitLabel: string;
  fieldNames?: readonly string[];
  onSubmit: () => Promise<void>;
  onDone: () => void;
  children?: (problem: FormProblem) => ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const titleId = `${opener.replace(/\W+/g, "-").toLowerCase()}dialog-title`;
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(noProblem);
    try {
      await onSubmit();
      dialog.current?.close();
      onDone();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        onClick={() => {
          setProblem(noProblem);
          dialog.current?.showModal();
        }}
      >
        {opener}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <form onSubmit={(e) => void submit(e)}>
          <h2 id={titleId}>{title}</h2>
          {children?.(problem)}
          <FormErrors messages={unplaced(problem, fieldNames)} />
          <div class="actions">
            <button type="submit" disabled={busy}>
              {busy ? "Working…" : submitLabel}
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
