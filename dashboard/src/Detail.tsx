import { useEffect } from "preact/hooks";
import { statusLabel } from "./statusLabel";
import { associationTypes } from "../../src/domain/associationTypes";
import { api } from "./api";
import { Actions } from "./detail/Actions";
import { Earned } from "./detail/Earned";
import { State } from "./detail/State";
import { Timeline } from "./detail/Timeline";
import { Usage } from "./detail/Usage";
import { when } from "./detail/format";
import { useLoad } from "./ui/useLoad";
import type { AssociationDetail, Incentives, AssociationUsage } from "./types";
import "./detail.css";

interface Loaded {
  association: AssociationDetail;
  /** Null when it could not be read. */
  usage: AssociationUsage | null;
  /** Null when they could not be read; undefined for a type that earns recognition only. */
  incentives: Incentives | null | undefined;
}

/** How often the page reads a Submitted claim again: the workflow moves it on by itself. */
const submittedRefreshMs = 2_000;

/**
 * One association: where it stands (Partner Center's label, the deadline and what to do next), the
 * actions allowed now (each behind a confirmation dialog), the proof of execution and the customer's
 * consent, each claimed workload's usage toward its milestones with the forecast date, the
 * incentives earned, and the timeline.
 */
export function Detail({ id }: { id: string }) {
  const path = `/associations/${encodeURIComponent(id)}`;
  const { state, reload } = useLoad<Loaded>(async () => {
    const association = await api<AssociationDetail>(path);
    const earns = associationTypes[association.kind].earns !== "recognition";
    const [usage, incentives] = await Promise.all([
      api<AssociationUsage>(`${path}/usage`).catch(() => null),
      earns
        ? api<Incentives>(`/incentives?associationId=${encodeURIComponent(id)}`).catch(() => null)
        : undefined,
    ]);
    return { association, usage, incentives };
  }, [id]);
  const status = state.kind === "ready" ? state.value.association.status : undefined;
  useEffect(() => {
    if (status !== "Submitted") return;
    const timer = setTimeout(reload, submittedRefreshMs);
    return () => clearTimeout(timer);
  }, [status, state]);

  if (state.kind === "loading") return <p role="status">Loading the association…</p>;
  if (state.kind === "failed")
    return (
      <p role="alert">
        {state.status === 404 ? "No such association (or it is another partner's)." : state.message}
      </p>
    );
  const { association: a, usage, incentives } = state.value;
  return (
    <div class="detail">
      <h1>{a.claimName ?? a.customerDomain ?? a.customerTenantId}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{statusLabel(a)}</dd>
        <dt>Customer</dt>
        <dd>
          {a.customerDomain ? `${a.customerDomain}, ` : ""}
          {a.customerTenantId}
        </dd>
        {a.deadline && (
          <>
            <dt>Deadline</dt>
            <dd>
              {when(a.deadline.at)}: {a.deadline.what}
            </dd>
          </>
        )}
        <dt>Next action</dt>
        <dd>{a.nextAction}</dd>
      </dl>
      <Actions association={a} onDone={reload} />
      <State association={a} />
      {usage && (usage.baseline || usage.notMeasurable.length > 0) && (
        <Usage usage={usage} claimed={a.workloads ?? []} />
      )}
      {incentives !== undefined && <Earned incentives={incentives} />}
      <Timeline association={a} />
    </div>
  );
}
