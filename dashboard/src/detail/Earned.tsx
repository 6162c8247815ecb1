import type { Incentives } from "../types";
import { money } from "./format";

/** The incentives this association earned (its ledger entries), with the total per currency. */
export function Earned({ incentives }: { incentives: Incentives | null }) {
  return (
    <section aria-labelledby="earned">
      <h2 id="earned">Incentives earned</h2>
      {incentives === null ? (
        <p role="alert">The incentives could not be loaded.</p>
      ) : incentives.items.length === 0 ? (
        <p class="empty">None yet: each milestone reached is recorded here once.</p>
      ) : (
        <EarnedTable incentives={incentives} />
      )}
    </section>
  );
}

function EarnedTable({ incentives }: { incentives: Incentives }) {
  const totals = new Map<string, number>();
  for (const e of incentives.items) totals.set(e.currency, (totals.get(e.currency) ?? 0) + e.amount);
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Incentives earned, scrollable">
      <table>
        <caption class="visually-hidden">Incentives earned by this association</caption>
        <thead>
          <tr>
            <th scope="col">Workload</th>
            <th scope="col">Milestone</th>
            <th scope="col">Amount</th>
            <th scope="col">Earned</th>
            <th scope="col">Payable</th>
          </tr>
        </thead>
        <tbody>
          {incentives.items.map((e) => (
            <tr key={`${e.workload}|${e.milestoneKey}`}>
              <th scope="row">{e.workload}</th>
              <td>{e.milestoneKey}</td>
              <td>{money(e.amount, e.currency)}</td>
              <td class="nowrap">{e.earnedAt.slice(0, 10)}</td>
              <td class="nowrap">{e.payableOn}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {[...totals].map(([currency, amount]) => (
            <tr key={currency}>
              <th scope="row" colSpan={2}>
                Total{totals.size > 1 ? ` (${currency})` : ""}
              </th>
              <td>{money(Math.round(amount * 100) / 100, currency)}</td>
              <td colSpan={2} />
            </tr>
          ))}
        </tfoot>
      </table>
    </div>
  );
}
