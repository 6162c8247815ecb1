import { useState } from "preact/hooks";
import { post } from "../api";
import { ActionDialog } from "../ui/ActionDialog";
import { Field } from "../ui/Field";
import type { AssociationDetail } from "../types";
import { blankPoe, poeBody, PoeFields } from "./forms";

/**
 * `POST /dispute`: once, within the dispute window, with a justification and, optionally, an
 * updated proof of execution (checked like any PoE: its errors come under `poe.`).
 */
export function DisputeDialog({
  association: a,
  onDone,
}: {
  association: AssociationDetail;
  onDone: () => void;
}) {
  const claimed = a.workloads ?? [];
  const [reason, setReason] = useState("");
  const [withPoe, setWithPoe] = useState(false);
  const [draft, setDraft] = useState(() => blankPoe(claimed));
  return (
    <ActionDialog
      opener="Dispute…"
      title="Dispute the rejection?"
      submitLabel="Dispute"
      fieldNames={["reason", "poe"]}
      onSubmit={async () =>
        post(`/associations/${encodeURIComponent(a.id)}/dispute`, {
          reason,
          ...(withPoe ? { poe: await poeBody(draft) } : {}),
        })
      }
      onDone={onDone}
    >
      {(problem) => (
        <>
          <p class="hint">Microsoft allows one dispute per claim; after it, a rejection is final.</p>
          <Field id="dispute-reason" name="reason" label="Why the rejection is wrong" problem={problem}>
            {(props) => (
              <textarea {...props} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            )}
          </Field>
          <label class="check">
            <input
              type="checkbox"
              id="dispute-with-poe"
              checked={withPoe}
              onChange={(e) => setWithPoe(e.currentTarget.checked)}
            />{" "}
            Attach an updated proof of execution
          </label>
          {withPoe && (
            <fieldset>
              <legend>Updated proof of execution</legend>
              <PoeFields
                id="dispute-poe"
                prefix="poe."
                draft={draft}
                onChange={setDraft}
                claimed={claimed}
                problem={problem}
              />
            </fieldset>
          )}
        </>
      )}
    </ActionDialog>
  );
}
