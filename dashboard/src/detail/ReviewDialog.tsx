import { useState } from "preact/hooks";
import { Choice } from "../ui/Choice";
import { partnerActionReasons, rejectionReasons, reviewOutcomes } from "../../../src/domain/review";
import { post } from "../api";
import { ActionDialog } from "../ui/ActionDialog";
import { Field } from "../ui/Field";
import type { AssociationDetail } from "../types";
import { CheckboxGroup, type Option } from "./forms";

type Outcome = (typeof reviewOutcomes)[number];

const outcomeLabels: Record<Outcome, string> = {
  approved: "Approved",
  "partner-action-required": "Partner action required",
  rejected: "Rejected",
};

/** Microsoft's published reasons, in words (the API takes their IDs). */
const reasonLabels: Record<
  (typeof partnerActionReasons)[number] | (typeof rejectionReasons)[number],
  string
> = {
  "missing-poe": "Missing proof of execution",
  "missing-customer-acknowledgment": "Missing customer acknowledgment",
  "missing-or-old-dates": "Missing or old dates",
  "missing-partner-services": "Missing partner services",
  "missing-products": "Missing products",
  "partner-request": "Partner request",
  "customer-decline": "Customer declined",
  "insufficient-poe": "Insufficient proof of execution",
  "missing-customer-consent": "Missing customer consent",
  "no-partner-response": "No partner response",
  "poe-unavailable": "Proof of execution unavailable",
};

/** The reasons that fit an outcome (`reviewOutcomeInput` refuses the others). */
function reasonsFor(outcome: Outcome | ""): Option[] {
  const ids =
    outcome === "partner-action-required"
      ? partnerActionReasons
      : outcome === "rejected"
        ? rejectionReasons
        : [];
  return ids.map((id) => ({ value: id, label: reasonLabels[id] }));
}

/**
 * `POST /review`: the outcome Partner Center shows (Microsoft publishes no claims API, so the
 * partner records it), with the reasons that fit it and a comment.
 */
export function ReviewDialog({
  association: a,
  onDone,
}: {
  association: AssociationDetail;
  onDone: () => void;
}) {
  const [outcome, setOutcome] = useState<Outcome | "">("");
  const [reasons, setReasons] = useState<string[]>([]);
  const [comment, setComment] = useState("");
  const options = reasonsFor(outcome);
  return (
    <ActionDialog
      opener="Record a review outcome…"
      title="Record Partner Center's review outcome?"
      submitLabel="Record the outcome"
      fieldNames={["outcome", "reasons", "comment"]}
      onSubmit={() =>
        post(`/associations/${encodeURIComponent(a.id)}/review`, {
          outcome,
          ...(options.length > 0 ? { reasons } : {}),
          ...(comment.trim() ? { comment } : {}),
        })
      }
      onDone={onDone}
    >
      {(problem) => (
        <>
          <Field
            id="review-outcome"
            name="outcome"
            label="Outcome"
            hint={
              a.status === "Dispute"
                ? "The reviewers' answer to the dispute: after it, a rejection is final."
                : "As Partner Center shows it for this claim."
            }
            problem={problem}
          >
            {(props) => (
              <Choice
                control={props}
                value={outcome}
                options={reviewOutcomes}
                none="Choose the outcome"
                labelOf={(o) => outcomeLabels[o as Outcome]}
                onChange={(o) => {
                  setOutcome(o as Outcome | "");
                  setReasons([]);
                }}
              />
            )}
          </Field>
          {options.length > 0 && (
            <CheckboxGroup
              id="review-reasons"
              name="reasons"
              legend={outcome === "rejected" ? "Why it was rejected" : "What the reviewer asks for"}
              options={options}
              selected={reasons}
              onChange={setReasons}
              problem={problem}
            />
          )}
          <Field id="review-comment" name="comment" label="Comment (optional)" problem={problem}>
            {(props) => (
              <textarea {...props} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
            )}
          </Field>
        </>
      )}
    </ActionDialog>
  );
}
