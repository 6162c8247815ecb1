import { useEffect, useState } from "preact/hooks";
import { allowedNext, machineOf, withdrawTarget } from "../../src/domain/statusMachine";
import { api, ApiError, download, post } from "./api";
import { ActionDialog } from "./ui/ActionDialog";
import { Field } from "./ui/Field";
import type { AssociationDetail, AssociationUsage } from "./types";

type Loaded = { association: AssociationDetail; usage: AssociationUsage | null };

/**
 * One association: where it stands (Partner Center's label, the deadline and what to do next), each
 * claimed workload's way to its next milestone with the forecast date, the timeline, and the actions
 * allowed now, each behind a confirmation dialog.
 */
export function Detail({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const reload = () =>
    Promise.all([
      api<AssociationDetail>(`/associations/${encodeURIComponent(id)}`),
      api<AssociationUsage>(`/associations/${encodeURIComponent(id)}/usage`).catch(() => null),
    ])
      .then(([association, usage]) => setLoaded({ association, usage }))
      .catch((err: unknown) =>
        setFailure(
          err instanceof ApiError && err.problem.status === 404
            ? "No such association (or it is another partner's)."
            : err instanceof Error
              ? err.message
              : String(err),
        ),
      );
  useEffect(() => void reload(), [id]);

  if (failure) return <p role="alert">{failure}</p>;
  if (!loaded) return <p role="status">Loading the association…</p>;
  const { association: a, usage } = loaded;
  const machine = machineOf(a.kind);
  const withdrawTo = withdrawTarget[machine];
  const canWithdraw =
    withdrawTo !== undefined && allowedNext(a.status, "partner", machine).includes(withdrawTo);
  return (
    <>
      <h1>{a.claimName ?? a.customerDomain ?? a.customerTenantId}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{a.partnerCenterStatus ? `${a.partnerCenterStatus} (${a.status})` : a.status}</dd>
        <dt>Customer</dt>
        <dd>
          {a.customerDomain ? `${a.customerDomain}, ` : ""}
          {a.customerTenantId}
        </dd>
        {a.deadline && (
          <>
            <dt>Deadline</dt>
            <dd>
              {a.deadline.at.slice(0, 10)}: {a.deadline.what}
            </dd>
          </>
        )}
        {a.nextAction && (
          <>
            <dt>Next action</dt>
            <dd>{a.nextAction}</dd>
          </>
        )}
      </dl>
      <div class="actions">
        {a.type === "cpor" && <PoeTemplate id={a.id} />}
        {canWithdraw && <Withdraw id={a.id} onDone={() => void reload()} />}
      </div>
      {usage?.baseline && usage.progress.length > 0 && (
        <section aria-labelledby="usage">
          <h2 id="usage">Usage toward milestones</h2>
          <ul class="items">
            {usage.progress.map((p) => {
              const forecast = usage.forecast.find(
                (f) => f.workload === p.workload && f.nextMilestone === p.milestoneKey,
              );
              return (
                <li key={`${p.workload}|${p.milestoneKey}`}>
                  <label for={`progress-${p.workload}-${p.milestoneKey}`}>
                    {p.workload}, {p.milestoneKey}: {Math.round(p.activeShare * 100)}% active of{" "}
                    {Math.round(p.threshold * 100)}%{p.reached ? " — reached" : ""}
                  </label>
                  <progress id={`progress-${p.workload}-${p.milestoneKey}`} max={1} value={p.fraction} />
                  {forecast && (
                    <p>
                      Forecast:{" "}
                      {forecast.projectedOn ? `reaches it about ${forecast.projectedOn}` : forecast.note}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol class="items">
          {(a.timeline ?? []).map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{e.at.slice(0, 16).replace("T", " ")}</time> — {e.reason}
            </li>
          ))}
        </ol>
      </section>
    </>
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

/** Withdraw, after a dialog that asks why (the reason goes on the timeline). */
function Withdraw({ id, onDone }: { id: string; onDone: () => void }) {
  const [reason, setReason] = useState("");
  return (
    <ActionDialog
      opener="Withdraw…"
      title="Withdraw this association?"
      submitLabel="Withdraw"
      fieldNames={["reason"]}
      onSubmit={() => post(`/associations/${encodeURIComponent(id)}/withdraw`, { reason })}
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
