import { useState } from "preact/hooks";
import { Choice } from "../ui/Choice";
import { dporEvidenceKinds } from "../../../src/domain/association";
import { post } from "../api";
import { ActionDialog } from "../ui/ActionDialog";
import { Field } from "../ui/Field";
import type { AssociationDetail } from "../types";
import { documentOf, documentPaths, FileField } from "./forms";

type EvidenceKind = (typeof dporEvidenceKinds)[number];

const evidenceLabels: Record<EvidenceKind, string> = {
  "partner-center-report": "A Partner Center report",
  "customer-email": "The customer's email",
  screenshot: "A screenshot of the subscription's partner information",
};

/**
 * `POST /confirm`: the partner saw that the customer set its partner ID on the subscription, and
 * says how, optionally with the document (kept like a PoE).
 */
export function ConfirmDporDialog({
  association: a,
  onDone,
}: {
  association: AssociationDetail;
  onDone: () => void;
}) {
  const [kind, setKind] = useState<EvidenceKind | "">("");
  const [note, setNote] = useState("");
  const [file, setFile] = useState<File | null>(null);
  return (
    <ActionDialog
      opener="Confirm the DPOR…"
      title="Confirm the customer set you as Digital Partner of Record?"
      submitLabel="Confirm"
      fieldNames={["evidence.kind", "evidence.note", ...documentPaths("evidence.")]}
      onSubmit={async () =>
        post(`/associations/${encodeURIComponent(a.id)}/confirm`, {
          evidence: { kind, ...(note.trim() ? { note } : {}), ...(await documentOf(file)) },
        })
      }
      onDone={onDone}
    >
      {(problem) => (
        <>
          <Field id="dpor-kind" name="evidence.kind" label="What shows it" problem={problem}>
            {(props) => (
              <Choice
                control={props}
                value={kind}
                options={dporEvidenceKinds}
                none="Choose the evidence"
                labelOf={(k) => evidenceLabels[k as EvidenceKind]}
                onChange={(k) => setKind(k as EvidenceKind | "")}
              />
            )}
          </Field>
          <Field id="dpor-note" name="evidence.note" label="Note (optional)" problem={problem}>
            {(props) => <textarea {...props} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
          </Field>
          <FileField
            id="dpor-document"
            prefix="evidence."
            label="Document (optional)"
            hint="The report, email or screenshot: a PDF, Word document (.docx), PNG or JPEG, at most 10 MiB."
            problem={problem}
            onFile={setFile}
          />
        </>
      )}
    </ActionDialog>
  );
}
