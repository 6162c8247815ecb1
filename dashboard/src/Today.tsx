import { useEffect, useState } from "preact/hooks";
import { all, api } from "./api";
import { actionItems, type ActionItem } from "./today";
import type { AssociationView, Opportunity } from "./types";

type State =
  | { kind: "loading" }
  | { kind: "failed"; message: string }
  | { kind: "ready"; items: ActionItem[]; opportunities: Opportunity[] };

/** Today: what needs action, most urgent first, then the top opportunities by value. */
export function Today() {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    Promise.all([all<AssociationView>("/associations"), api<{ items: Opportunity[] }>("/opportunities")])
      .then(([associations, opportunities]) =>
        setState({
          kind: "ready",
          items: actionItems(associations, new Date()),
          opportunities: opportunities.items.filter((o) => o.value > 0).slice(0, 5),
        }),
      )
      .catch((err: unknown) =>
        setState({ kind: "failed", message: err instanceof Error ? err.message : String(err) }),
      );
  }, []);

  if (state.kind === "loading") return <p role="status">Loading what needs action…</p>;
  if (state.kind === "failed") return <p role="alert">Could not load today's work: {state.message}</p>;
  return (
    <>
      <h1>Today</h1>
      <section aria-labelledby="actions">
        <h2 id="actions">Needs action</h2>
        {state.items.length === 0 ? (
          <p class="empty">
            Nothing needs action. Create a claim with <code>POST /api/v1/associations</code> to get started.
          </p>
        ) : (
          <ol class="items">
            {state.items.map((item) => (
              <li key={item.id}>
                <strong>{item.title}</strong>
                {item.daysLeft !== null && (
                  <span class={item.daysLeft <= 3 ? "due soon" : "due"}>
                    {item.daysLeft <= 0
                      ? "due now"
                      : `${item.daysLeft} day${item.daysLeft === 1 ? "" : "s"} left`}
                  </span>
                )}
                <p>{item.what}</p>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="opportunities">
        <h2 id="opportunities">Top opportunities</h2>
        {state.opportunities.length === 0 ? (
          <p class="empty">No unclaimed rebates found. Import CSP customers or link PAL to find more.</p>
        ) : (
          <ol class="items">
            {state.opportunities.map((o) => (
              <li key={`${o.customerTenantId}|${o.workload ?? ""}`}>
                <strong>
                  {o.value.toLocaleString("en-US", { style: "currency", currency: o.currency })} —{" "}
                  {o.workload ?? "customer"}
                </strong>
                <p>{o.reason}</p>
                <p>{o.action}</p>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
