import type { AssociationDetail } from "../types";
import { size, when } from "./format";

/**
 * What the partner sent and what came back: the proofs of execution (name, signer, signing date,
 * when), the consent email and the customer's answer, the last review outcome and the dispute; for
 * a DPOR, how it was confirmed. Never a document's content.
 */
export function State({ association: a }: { association: AssociationDetail }) {
  const isClaim = a.poeSubmissions !== undefined;
  if (!isClaim && !a.evidence) return null;
  return (
    <section aria-labelledby="state">
      <h2 id="state">{isClaim ? "Proof of execution and consent" : "Evidence"}</h2>
      <dl class="facts">
        {isClaim && <PoeState association={a} />}
        {a.consent && <ConsentState association={a} consent={a.consent} />}
        {a.review && (
          <>
            <dt>Last review outcome</dt>
            <dd>
              {a.review.outcome} on {when(a.review.at)}
              {a.review.reasons.length > 0 ? ` (${a.review.reasons.join(", ")})` : ""}
              {a.review.comment ? `: ${a.review.comment}` : ""}
            </dd>
          </>
        )}
        {a.disputedAt && (
          <>
            <dt>Disputed</dt>
            <dd>{when(a.disputedAt)} (the one dispute Microsoft allows)</dd>
          </>
        )}
        {a.evidence && (
          <>
            <dt>Confirmed</dt>
            <dd>
              {a.confirmedAt ? `${when(a.confirmedAt)}, by ` : "By "}
              {evidencePhrases[a.evidence.kind]}
              {a.evidence.documentName ? ` (${a.evidence.documentName})` : ""}
              {a.evidence.note ? `: ${a.evidence.note}` : ""}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

const evidencePhrases: Record<NonNullable<AssociationDetail["evidence"]>["kind"], string> = {
  "partner-center-report": "a Partner Center report",
  "customer-email": "the customer's email",
  screenshot: "a screenshot",
};

function PoeState({ association: a }: { association: AssociationDetail }) {
  const submissions = a.poeSubmissions ?? [];
  return (
    <>
      <dt>Proof of execution</dt>
      {submissions.length === 0 ? (
        <dd>{a.type === "cpor" && a.status === "Draft" ? "Not submitted yet." : "None submitted."}</dd>
      ) : (
        <dd>
          <ol class="poe-list">
            {submissions.map((s) => (
              <li key={s.at}>
                {s.documentName ?? "A document"}
                {s.bytes !== undefined ? ` (${size(s.bytes)})` : ""}
                {s.customerSignerName ? `, signed by ${s.customerSignerName}` : ""}
                {s.signedDate ? ` on ${s.signedDate}` : ""}; submitted {when(s.at)}
              </li>
            ))}
          </ol>
        </dd>
      )}
    </>
  );
}

function ConsentState({
  association: a,
  consent,
}: {
  association: AssociationDetail;
  consent: NonNullable<AssociationDetail["consent"]>;
}) {
  const answer = consent.customerAnswer;
  return (
    <>
      <dt>Consent email</dt>
      <dd>
        {consent.emailSentAt
          ? `Sent to ${a.customerContact?.email ?? "the customer"} at ${when(consent.emailSentAt)}`
          : a.status === "Draft"
            ? "Not sent yet: it goes out once the claim is submitted."
            : a.status === "Submitted"
              ? "Being sent."
              : "Not sent."}
      </dd>
      <dt>Customer's answer</dt>
      <dd>
        {answer
          ? `${answer.answer === "cancelled" ? "Cancelled" : "Refused"} at ${when(answer.at)}: ${answer.reason}`
          : !consent.emailSentAt
            ? "None."
            : a.status === "UnderReview" && a.deadline
              ? `No refusal so far; the claim is approved at ${when(a.deadline.at)} unless the customer refuses.`
              : "No refusal."}
      </dd>
    </>
  );
}
