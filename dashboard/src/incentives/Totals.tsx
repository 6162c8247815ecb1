import type { Incentives } from "../types";
import { money } from "./figures";

type Sums = Incentives["totals"]["byMonth"][number];

/** The API's totals, one row per key and currency: entries, units and amount. */
export function TotalsTable({
  caption,
  keyHeader,
  rows,
}: {
  caption: string;
  keyHeader: string;
  rows: readonly (Omit<Sums, "month"> & { key: string })[];
}) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={`${caption}, scrollable`}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyHeader}</th>
            <th scope="col">Milestones</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.key} ${r.currency}`}>
              <th scope="row" class="date">
                {r.key}
              </th>
              <td class="number">{r.count}</td>
              <td class="number">{money(r.amount, r.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
