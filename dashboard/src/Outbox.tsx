import { useState } from "preact/hooks";
import { all } from "./api";
import type { OutboxEmail } from "./types";
import { Loaded, useLoad } from "./ui/useLoad";
import "./operations.css";
import { when } from "./pal/when";

const perPage = 20;

const kindWords: Readonly<Record<OutboxEmail["kind"], string>> = {
  consent: "Consent request",
  "dpor-request": "DPOR request",
  "dpor-reminder": "DPOR reminder",
  "status-notice": "Status notice",
};

/** The API lists the outbox by association; people read it newest first. */
async function newestFirst(): Promise<OutboxEmail[]> {
  const emails = await all<OutboxEmail>("/outbox");
  return emails.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Outbox (local mode): the emails the service sent for the partner's associations, newest first,
 * twenty at a time, each readable in full. Bodies are shown as text only (the plain-text part):
 * an email's HTML is never rendered here.
 */
export function Outbox() {
  const { state } = useLoad(newestFirst, []);
  return (
    <>
      <h1>Outbox</h1>
      {state.kind === "failed" && state.status === 404 ? (
        <p role="alert">
          This service sends its emails through a mail server, so there is no outbox to show: the outbox is
          kept in local mode only.
        </p>
      ) : (
        <Loaded state={state} what="the outbox">
          {(emails) => <Emails emails={emails} />}
        </Loaded>
      )}
    </>
  );
}

function Emails({ emails }: { emails: OutboxEmail[] }) {
  const [shown, setShown] = useState(perPage);
  if (emails.length === 0)
    return (
      <p class="empty">
        No emails yet. The consent email goes out when you submit a claim's proof of execution, and a DPOR
        request's when you create it.
      </p>
    );
  return (
    <>
      <p>
        The emails sent for your associations, newest first ({Math.min(shown, emails.length)} of{" "}
        {emails.length}).
      </p>
      <ol class="emails">
        {emails.slice(0, shown).map((email) => (
          <Email key={`${email.associationId}|${email.kind}|${email.sequence ?? ""}`} email={email} />
        ))}
      </ol>
      {shown < emails.length && (
        <div class="actions">
          <button type="button" onClick={() => setShown(shown + perPage)}>
            Show {Math.min(perPage, emails.length - shown)} more
          </button>
        </div>
      )}
    </>
  );
}

function Email({ email }: { email: OutboxEmail }) {
  return (
    <li class="email">
      <h2>{email.subject}</h2>
      <dl class="facts">
        <dt>To</dt>
        <dd>{email.to}</dd>
        <dt>When</dt>
        <dd>
          {when(email.sentAt ?? email.createdAt)}
          {email.status === "sent" ? "" : ` (${email.status})`}
        </dd>
        <dt>What</dt>
        <dd>{kindWords[email.kind]}</dd>
        <dt>Association</dt>
        <dd>
          <a href={`/associations/${encodeURIComponent(email.associationId)}`}>{email.associationId}</a>
        </dd>
        {email.lastError && (
          <>
            <dt>Error</dt>
            <dd class="field-error">{email.lastError}</dd>
          </>
        )}
      </dl>
      <details>
        <summary>
          Read the email<span class="visually-hidden">: {email.subject}</span>
        </summary>
        {/* Text, never HTML: Preact escapes it, and the plain-text part is what is shown. */}
        <pre class="email-body">{email.text}</pre>
      </details>
    </li>
  );
}
