import type { PcsCustomers } from "../types";
import { areaName, metricName } from "./names";

/**
 * Which of the partner's customers count toward an area's metrics, and why each does not count
 * toward the others (`GET /pcs/customers`).
 */
export function Customers({ area, customers }: { area: string; customers: PcsCustomers }) {
  return (
    <section aria-labelledby="customers">
      <h3 id="customers">Customers in {areaName(area)}</h3>
      {customers.items.length === 0 ? (
        <p class="empty">
          No customer counts toward {areaName(area)} yet. Customers count through Approved CPOR claims,
          confirmed DPORs, active PAL links and active CSP relationships: start with a claim on the{" "}
          <a href="/associations">Associations</a> page.
        </p>
      ) : (
        <CustomerTable area={area} items={customers.items} />
      )}
    </section>
  );
}

function CustomerTable({ area, items }: { area: string; items: PcsCustomers["items"] }) {
  return (
    <div
      class="table-scroll"
      tabIndex={0}
      role="region"
      aria-label={`Customers in ${areaName(area)}, scrollable`}
    >
      <table>
        <caption>Customers and the metrics they count toward</caption>
        <thead>
          <tr>
            <th scope="col">Customer tenant</th>
            <th scope="col">Counts toward</th>
            <th scope="col">Does not count toward, because</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.customerTenantId}>
              <th scope="row" class="insight-tenant">
                {c.customerTenantId}
              </th>
              <td>{c.metrics.length === 0 ? "nothing yet" : c.metrics.map(metricName).join(", ")}</td>
              <td class="insight-why">
                {c.reasons.length === 0 ? (
                  "—"
                ) : (
                  <ul class="insight-reasons">
                    {c.reasons.map((r) => (
                      <li key={`${r.metric} ${r.reason}`}>
                        {metricName(r.metric)}: {r.reason}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
