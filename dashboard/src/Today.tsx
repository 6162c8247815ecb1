import { all, api } from "./api";
import {
  actionItems,
  customerDecision,
  maybeRefusedSince,
  milestonesSince,
  todayStatuses,
  type TodayItem,
} from "./today";
import type { AssociationDetail, AssociationView, IncentiveEntry, Opportunity } from "./types";
import { Loaded, useLoad } from "./ui/useLoad";
import { sinceLastVisit } from "./visits";

interface TodayData {
  since: string;
  actions: TodayItem[];
  news: TodayItem[];
  opportunities: Opportunity[];
}

async function loadToday(): Promise<TodayData> {
  const now = new Date();
  const since = sinceLastVisit(now);
  const [associations, ledger, opportunities] = await Promise.all([
    // Only the statuses Today reads (by the API's status filter), not every association.
    Promise.all(todayStatuses.map((s) => all<AssociationView>(`/associations?status=${s}`))).then((lists) =>
      lists.flat(),
    ),
    api<{ items: IncentiveEntry[] }>("/incentives"),
    api<{ items: Opportunity[] }>("/opportunities"),
  ]);
  const details = await Promise.all(
    maybeRefusedSince(associations, since).map((a) =>
      api<AssociationDetail>(`/associations/${encodeURIComponent(a.id)}`),
    ),
  );
  const decisions = details.flatMap((d) => customerDecision(d, since) ?? []);
  return {
    since,
    actions: actionItems(associations, now),
    news: [...decisions, ...milestonesSince(ledger.items, since)],
    opportunities: opportunities.items.filter((o) => o.value > 0).slice(0, 5),
  };
}

/**
 * Today: what needs action (most urgent first), what happened since the last visit (customers'
 * refusals and cancellations, milestones reached), then the top opportunities by value.
 */
export function Today() {
  const { state } = useLoad(loadToday, []);
  return (
    <>
      <h1>Today</h1>
      <Loaded state={state} what="today's work">
        {(today) => (
          <>
            <section aria-labelledby="actions">
              <h2 id="actions">Needs action</h2>
              {today.actions.length === 0 ? (
                <p class="empty">
                  Nothing needs action. <a href="/associations/new">Create a claim</a> to get started.
                </p>
              ) : (
                <Items items={today.actions} />
              )}
            </section>
            <section aria-labelledby="news">
              <h2 id="news">Since your last visit</h2>
              <p class="hint">Since {today.since.slice(0, 16).replace("T", " ")} UTC.</p>
              {today.news.length === 0 ? (
                <p class="empty">No refusal, cancellation or milestone since then.</p>
              ) : (
                <Items items={today.news} />
              )}
            </section>
            <section aria-labelledby="opportunities">
              <h2 id="opportunities">Top opportunities</h2>
              {today.opportunities.length === 0 ? (
                <p class="empty">
                  No unclaimed rebates found. Import CSP customers or link PAL to find more.
                </p>
              ) : (
                <ol class="items">
                  {today.opportunities.map((o) => (
                    <li key={`${o.customerTenantId}|${o.workload ?? ""}`}>
                      <strong>
                        {o.associationId ? (
                          <a href={`/associations/${encodeURIComponent(o.associationId)}`}>{worth(o)}</a>
                        ) : (
                          worth(o)
                        )}
                      </strong>
                      <p>{o.reason}</p>
                      <p>{o.action}</p>
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

const worth = (o: Opportunity) =>
  `${o.value.toLocaleString("en-US", { style: "currency", currency: o.currency })} — ${o.workload ?? "customer"} at ${o.customerTenantId}`;

function Items({ items }: { items: readonly TodayItem[] }) {
  return (
    <ol class="items">
      {items.map((item) => (
        <li key={item.id}>
          <a href={item.href}>
            <strong>{item.title}</strong>
          </a>
          {item.daysLeft !== null && (
            <span class={item.daysLeft <= 3 ? "due soon" : "due"}>
              {item.daysLeft <= 0 ? "due now" : `${item.daysLeft} day${item.daysLeft === 1 ? "" : "s"} left`}
            </span>
          )}
          <p>{item.what}</p>
        </li>
      ))}
    </ol>
  );
}
