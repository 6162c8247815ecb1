import { useState } from "preact/hooks";
import { allowedActions } from "../../../src/domain/partnerActions";
import { download, post } from "../api";
import { ActionDialog } from "../ui/ActionDialog";
import { Field } from "../ui/Field";
import type { AssociationDetail } from "../types";
import { ConfirmDporDialog } from "./ConfirmDporDialog";
import { DisputeDialog } from "./DisputeDialog";
import { PoeDialog } from "./PoeDialog";
import { ReviewDialog } from "./ReviewDialog";

/**
 * The dispute window in force, as the view shows it: a Rejected claim's deadline is the moment the
 * window closes (`claimDeadlineOf`: the rejection + LIFECYCLE_DISPUTE_WINDOW). Zero otherwise,
 * when no dispute is possible anyway.
 */
function disputeWindowOf(a: AssociationDetail): number {
  return a.status === "Rejected" && a.deadline?.to === "RejectedFinal"
    ? Date.parse(a.deadline.at) - Date.parse(a.statusChangedAt)
    : 0;
}

/**
 * What the partner may do now, each behind a confirmation dialog: exactly the actions the API
 * would accept (`allowedActions`, the same rules its use cases check). `onDone` reloads the page.
 */
export function Actions({ association: a, onDone }: { association: AssociationDetail; onDone: () => void }) {
  const allowed = allowedActions(
    {
      kind: a.kind,
      status: a.status,
      statusChangedAt: a.statusChangedAt,
      ...(a.disputedAt ? { disputedAt: a.disputedAt } : {}),
    },
    { now: new Date().toISOString(), disputeWindowMs: disputeWindowOf(a) },
  );
  const props = { association: a, onDone };
  return (
    <div class="actions detail-actions">
      {allowed.includes("submit-poe") && <PoeDialog {...props} replace={false} />}
      {allowed.includes("replace-poe") && <PoeDialog {...props} replace />}
      {allowed.includes("submit") && <Submit {...props} />}
      {a.type === "cpor" && <PoeTemplate id={a.id} />}
      {allowed.includes("review") && <ReviewDialog {...props} />}
      {allowed.includes("dispute") && <DisputeDialog {...props} />}
      {allowed.includes("confirm-dpor") && <ConfirmDporDialog {...props} />}
      {allowed.includes("withdraw") && <Withdraw {...props} />}
    </div>
  );
}

/** The claim's proof-of-execution template, fetched with the partner's key and saved as a PDF. */
function PoeTemplate({ id }: { id: string }) {
  const [error, setError] = useState<string | null>(null);
  function fetchTemplate() {
    setError(null);
    download(
      `/associations/${encodeURIComponent(id)}/poe-template`,
      "application/pdf",
      "proof-of-execution.pdf",
    ).catch((err: unknown) =>
      setError(`The template could not be made: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
  return (
    <>
      <button type="button" onClick={fetchTemplate}>
        Download the PoE template
      </button>
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** `POST /submit`: a claim that needs no proof of execution goes to Partner Center's review. */
function Submit({ association: a, onDone }: { association: AssociationDetail; onDone: () => void }) {
  return (
    <ActionDialog
      opener="Submit for review…"
      title="Submit this claim for Partner Center's review?"
      submitLabel="Submit"
      onSubmit={() => post(`/associations/${encodeURIComponent(a.id)}/submit`, {})}
      onDone={onDone}
    >
      {() => <p>The claim needs no proof of execution: it goes to review as it stands.</p>}
    </ActionDialog>
  );
}

/** Withdraw, after a dialog that asks why (the reason goes on the timeline). */
function Withdraw({ association: a, onDone }: { association: AssociationDetail; onDone: () => void }) {
  const [reason, setReason] = useState("");
  return (
    <ActionDialog
      opener="Withdraw…"
      title="Withdraw this association?"
      submitLabel="Withdraw"
      fieldNames={["reason"]}
      onSubmit={() => post(`/associations/${encodeURIComponent(a.id)}/withdraw`, { reason })}
      onDone={onDone}
    >
      {(problem) => (
        <Field id="withdraw-reason" name="reason" label="Why (kept on the timeline)" problem={problem}>
          {(props) => (
            <textarea {...props} required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          )}
        </Field>
      )}
    </ActionDialog>
  );
}
