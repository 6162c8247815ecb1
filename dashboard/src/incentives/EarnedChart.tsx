import type { ChartConfiguration } from "chart.js";
import { ChartView, seriesColours } from "../ui/Chart";
import { gridSummary, money, type EarnedGrid } from "./figures";

/** One currency's earnings as bars by month, stacked by workload, with the table of the same figures. */
export function EarnedChart({ grid }: { grid: EarnedGrid }) {
  const config: ChartConfiguration = {
    type: "bar",
    data: {
      labels: grid.months,
      datasets: grid.workloads.map((workload, i) => ({
        label: workload,
        data: grid.amounts[i] ?? [],
        backgroundColor: seriesColours[i % seriesColours.length],
      })),
    },
    options: {
      scales: {
        x: { stacked: true, title: { display: true, text: "Month earned" } },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: grid.currency } },
      },
    },
  };
  return (
    <div class="insight-figure">
      <div class="insight-chart">
        <ChartView config={config} label={gridSummary(grid)} />
      </div>
      <div
        class="table-scroll"
        tabIndex={0}
        role="region"
        aria-label={`Earned in ${grid.currency} by month and workload, scrollable`}
      >
        <table>
          <caption>Earned in {grid.currency} by month and workload</caption>
          <thead>
            <tr>
              <th scope="col">Month earned</th>
              {grid.workloads.map((w) => (
                <th key={w} scope="col">
                  {w}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {grid.months.map((month, m) => (
              <tr key={month}>
                <th scope="row" class="date">
                  {month}
                </th>
                {grid.workloads.map((w, i) => (
                  <td key={w} class="number">
                    {money(grid.amounts[i]?.[m] ?? 0, grid.currency)}
                  </td>
                ))}
                <td class="number">{money(grid.monthTotals[m] ?? 0, grid.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
