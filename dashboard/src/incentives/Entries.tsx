import type { IncentiveEntry } from "../types";
import { money } from "./figures";

/** Every ledger entry shown, each linked to its association, named as the claim names it. */
export function Entries({ items }: { items: readonly IncentiveEntry[] }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Ledger entries, scrollable">
      <table>
        <caption class="visually-hidden">Ledger entries</caption>
        <thead>
          <tr>
            <th scope="col">Association</th>
            <th scope="col">Workload</th>
            <th scope="col">Milestone</th>
            <th scope="col">Amount</th>
            <th scope="col">Earned</th>
            <th scope="col">Payable on</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={`${e.associationId} ${e.workload} ${e.milestoneKey}`}>
              <th scope="row">
                <a href={`/associations/${encodeURIComponent(e.associationId)}`}>
                  {e.claimName ?? e.customerDomain ?? e.customerTenantId}
                </a>
              </th>
              <td>{e.workload}</td>
              <td>{e.milestoneKey}</td>
              <td class="number">{money(e.amount, e.currency)}</td>
              <td class="date">{e.earnedAt.slice(0, 10)}</td>
              <td class="date">{e.payableOn}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
