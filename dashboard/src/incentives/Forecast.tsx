import { Fragment } from "preact";
import { all, api } from "../api";
import type { AssociationView, PaymentForecast } from "../types";
import { Loaded, useLoad } from "../ui/useLoad";
import { money, moneyList } from "./figures";

/** What the forecast shows: the API's answer and, for its links, the names of the associations. */
interface ForecastView {
  forecast: PaymentForecast;
  names: Map<string, string>;
}

/**
 * The payments the partner can expect: the 30/60/90-day windows, the payments by payable month and
 * each projected crossing (`GET /forecast`), linked to its association. The forecast names
 * associations by ID only, so when it projects anything their names come from the Approved
 * associations (the only ones it projects).
 */
export function Forecast() {
  const { state } = useLoad(async (): Promise<ForecastView> => {
    const forecast = await api<PaymentForecast>("/forecast");
    if (forecast.items.length === 0) return { forecast, names: new Map() };
    const approved = await all<AssociationView>("/associations?status=Approved");
    return {
      forecast,
      names: new Map(approved.map((a) => [a.id, a.claimName ?? a.customerDomain ?? a.customerTenantId])),
    };
  }, []);
  return (
    <section aria-labelledby="forecast">
      <h2 id="forecast">Forecast of payments</h2>
      <Loaded state={state} what="the forecast">
        {({ forecast, names }) => (
          <>
            <p class="hint">
              Projected from each Approved claim's usage trend, as of {forecast.asOf}: the milestones expected
              to be reached, and what they would pay.
            </p>
            <Windows forecast={forecast} />
            {forecast.items.length === 0 ? (
              <p class="empty">
                No milestone is projected within 90 days. A projection needs an Approved claim with at least
                three usage readings since approval and a rising trend; open an association to see where its
                workloads stand.
              </p>
            ) : (
              <>
                <Payments forecast={forecast} />
                <Projected forecast={forecast} names={names} />
              </>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function Windows({ forecast }: { forecast: PaymentForecast }) {
  return (
    <dl class="facts">
      {forecast.windows.map((w) => (
        <Fragment key={w.days}>
          <dt>Within {w.days} days</dt>
          <dd>
            {w.milestones} {w.milestones === 1 ? "milestone" : "milestones"}, {moneyList(w.amounts)}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

function Payments({ forecast }: { forecast: PaymentForecast }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Expected payments by month, scrollable">
      <table>
        <caption>Expected payments by month payable</caption>
        <thead>
          <tr>
            <th scope="col">Month payable</th>
            <th scope="col">Milestones</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {forecast.payments.map((p) => (
            <tr key={`${p.month} ${p.currency}`}>
              <th scope="row" class="date">
                {p.month}
              </th>
              <td class="number">{p.count}</td>
              <td class="number">{money(p.amount, p.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Projected({ forecast, names }: ForecastView) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Projected milestones, scrollable">
      <table>
        <caption>Projected milestones</caption>
        <thead>
          <tr>
            <th scope="col">Association</th>
            <th scope="col">Workload</th>
            <th scope="col">Milestone</th>
            <th scope="col">Projected on</th>
            <th scope="col">Amount</th>
            <th scope="col">Payable on</th>
          </tr>
        </thead>
        <tbody>
          {forecast.items.map((i) => (
            <tr key={`${i.associationId} ${i.workload} ${i.milestoneKey}`}>
              <th scope="row">
                <a href={`/associations/${encodeURIComponent(i.associationId)}`}>
                  {names.get(i.associationId) ?? i.customerTenantId}
                </a>
              </th>
              <td>{i.workload}</td>
              <td>{i.milestoneKey}</td>
              <td class="date">{i.projectedOn}</td>
              <td class="number">{money(i.amount, i.currency)}</td>
              <td class="date">{i.payableOn}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
