import { useState } from "preact/hooks";
import { post } from "../api";
import { ActionDialog } from "../ui/ActionDialog";
import type { AssociationDetail } from "../types";
import { blankPoe, poeBody, PoeFields, poeFieldNames } from "./forms";

/**
 * `POST /poe`: in Draft the claim goes to review with its proof of execution; in
 * PartnerActionRequired a corrected one answers the reviewer. A PoE Microsoft's reviewers would
 * reject answers 422 with every reason, each shown beside its field.
 */
export function PoeDialog({
  association: a,
  replace,
  onDone,
}: {
  association: AssociationDetail;
  replace: boolean;
  onDone: () => void;
}) {
  const claimed = a.workloads ?? [];
  const [draft, setDraft] = useState(() => blankPoe(claimed));
  return (
    <ActionDialog
      opener={replace ? "Replace the PoE…" : "Submit the PoE…"}
      title={
        replace
          ? "Answer the reviewer with a corrected proof of execution?"
          : "Submit the claim with its proof of execution?"
      }
      submitLabel={replace ? "Replace the PoE" : "Submit the PoE"}
      fieldNames={poeFieldNames("")}
      onSubmit={async () => {
        await post(`/associations/${encodeURIComponent(a.id)}/poe`, await poeBody(draft));
        setDraft(blankPoe(claimed));
      }}
      onDone={onDone}
    >
      {(problem) => (
        <PoeFields id="poe" prefix="" draft={draft} onChange={setDraft} claimed={claimed} problem={problem} />
      )}
    </ActionDialog>
  );
}
