import { useEffect, useRef, useState } from "preact/hooks";
import { allowedNext, machineOf, withdrawTarget } from "../../src/domain/statusMachine";
import { api, ApiError, credential } from "./api";
import { save } from "./save";
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
  async function download() {
    setError(null);
    const response = await fetch(`/api/v1/associations/${encodeURIComponent(id)}/poe-template`, {
      headers: { authorization: `ApiKey ${credential.get() ?? ""}` },
    });
    if (!response.ok) {
      setError(`The template could not be made (HTTP ${response.status}).`);
      return;
    }
    save(await response.blob(), "proof-of-execution.pdf");
  }
  return (
    <>
      <button type="button" onClick={() => void download()}>
        Download the PoE template
      </button>
      {error && <span class="field-error">{error}</span>}
    </>
  );
}

/** Withdraw, after a dialog that asks why (the reason goes on the timeline). */
function Withdraw({ id, onDone }: { id: string; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function confirm(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await api(`/associations/${encodeURIComponent(id)}/withdraw`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
        body: JSON.stringify({ reason }),
      });
      dialog.current?.close();
      onDone();
    } catch (err) {
      setError(
        err instanceof ApiError && err.problem.errors
          ? err.problem.errors.map((e) => e.message).join("; ")
          : err instanceof Error
            ? err.message
            : String(err),
      );
    }
  }
  return (
    <>
      <button type="button" onClick={() => dialog.current?.showModal()}>
        Withdraw…
      </button>
      <dialog ref={dialog} aria-labelledby="withdraw-title">
        <form onSubmit={(e) => void confirm(e)}>
          <h2 id="withdraw-title">Withdraw this association?</h2>
          <label for="withdraw-reason">Why (kept on the timeline)</label>
          <textarea
            id="withdraw-reason"
            required
            value={reason}
            aria-invalid={error !== null}
            aria-describedby={error ? "withdraw-error" : undefined}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          {error && (
            <p id="withdraw-error" class="field-error" role="alert">
              {error}
            </p>
          )}
          <div class="actions">
            <button type="submit">Withdraw</button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
