import { useState } from "preact/hooks";
import { maxBulkTenants } from "../../../src/domain/schemas/palLink";
import { post } from "../api";
import { JobProgress, useJob } from "../jobs";
import type { Job } from "../types";
import { Field, FormErrors } from "../ui/Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "../ui/problems";
import { foldProblem } from "./foldProblem";

const fieldNames = [
  "identity.clientId",
  "identity.clientSecret",
  "customerTenantIds",
  "partnerLocationId",
] as const;

/** The tenant IDs of the text box: one per line, or separated by commas, semicolons or spaces. */
export function tenantIdsOf(text: string): string[] {
  return text.split(/[\s,;]+/).filter((id) => id !== "");
}

/**
 * `customerTenantIds.3` is the fourth tenant the partner typed: said with its value, beside the box.
 * The rest of the problem stays where `<Field>` finds it.
 */
function tenantWords(problem: FormProblem, ids: readonly string[]): FormProblem {
  return foldProblem(problem, "customerTenantIds", (path) => {
    const index = /^customerTenantIds\.(\d+)$/.exec(path)?.[1];
    if (index === undefined) return null;
    const id = ids[Number(index)];
    return `tenant ${Number(index) + 1}${id === undefined ? "" : ` (${id})`}`;
  });
}

/**
 * Links many customer tenants with one identity (`POST /pal-links/bulk`), then follows the job
 * live. The client secret goes in that one request: the box is emptied once the job has started
 * and the secret is kept nowhere else. `onFinished` runs when every tenant has its result.
 */
export function BulkLink({ onFinished }: { onFinished: () => void }) {
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [tenants, setTenants] = useState("");
  const [location, setLocation] = useState("");
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<Job | null>(null);
  const watch = useJob(started, onFinished);
  const count = tenantIdsOf(tenants).length;

  async function submit(event: Event) {
    event.preventDefault();
    const ids = tenantIdsOf(tenants);
    setBusy(true);
    setProblem(noProblem);
    try {
      const job = await post<Job>("/pal-links/bulk", {
        identity: { clientId: clientId.trim(), clientSecret },
        customerTenantIds: ids,
        ...(location.trim() ? { partnerLocationId: location.trim() } : {}),
      });
      setClientSecret("");
      setStarted(job);
    } catch (err) {
      setProblem(tenantWords(problemOf(err), ids));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="bulk-title">
      <h2 id="bulk-title">Link in bulk</h2>
      <p class="hint">
        Link your partner ID in many customer tenants at once with one identity (an app registration consented
        in each tenant). Its secret is used for these links only: it is never shown again.
      </p>
      <form class="bulk-link" onSubmit={(e) => void submit(e)}>
        <Field id="bulk-client-id" name="identity.clientId" label="Identity client ID" problem={problem}>
          {(props) => (
            <input
              {...props}
              value={clientId}
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => setClientId(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field id="bulk-client-secret" name="identity.clientSecret" label="Client secret" problem={problem}>
          {(props) => (
            <input
              {...props}
              type="password"
              value={clientSecret}
              autocomplete="off"
              onInput={(e) => setClientSecret(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="bulk-tenants"
          name="customerTenantIds"
          label="Customer tenant IDs"
          hint={`One per line, or separated by commas; at most ${maxBulkTenants}.`}
          problem={problem}
        >
          {(props) => (
            <textarea
              {...props}
              value={tenants}
              rows={5}
              spellcheck={false}
              onInput={(e) => setTenants(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="bulk-location"
          name="partnerLocationId"
          label="Partner location ID (optional)"
          hint="Which of your location IDs to link; empty: your first."
          problem={problem}
        >
          {(props) => (
            <input
              {...props}
              value={location}
              inputMode="numeric"
              onInput={(e) => setLocation(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormErrors messages={unplaced(problem, fieldNames)} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Starting…" : `Link ${count} tenant${count === 1 ? "" : "s"}`}
          </button>
        </div>
      </form>
      <JobProgress watch={watch} title="Bulk link progress" />
    </section>
  );
}
