import type { ChartConfiguration } from "chart.js";
import type { PcsHistory } from "../types";
import { ChartView, seriesColours } from "../ui/Chart";
import { areaName, qualifyingPoints } from "./names";

type Snapshot = PcsHistory["items"][number];

/**
 * One area's total by day over the last 90 days (`GET /pcs/history`: one snapshot a day), drawn
 * against the 70-point line, with the same figures in a table that opens on demand.
 */
export function Trend({ area, history }: { area: string; history: PcsHistory }) {
  return (
    <section aria-labelledby="trend">
      <h3 id="trend">Trend of {areaName(area)}</h3>
      {history.items.length === 0 ? (
        <p class="empty">
          No score recorded for {areaName(area)} from {history.from} to {history.to} yet. The score is
          recorded once a day, so the trend starts tomorrow; meanwhile the figures above are today's.
        </p>
      ) : (
        <TrendFigures area={area} history={history} />
      )}
    </section>
  );
}

function TrendFigures({ area, history }: { area: string; history: PcsHistory }) {
  const days = history.items.map((s) => s.day);
  const config: ChartConfiguration = {
    type: "line",
    data: {
      labels: days,
      datasets: [
        {
          label: "Total points",
          data: history.items.map((s) => s.total),
          borderColor: seriesColours[0],
          backgroundColor: seriesColours[0],
          pointStyle: "circle",
        },
        {
          label: `${qualifyingPoints}-point line`,
          data: days.map(() => qualifyingPoints),
          borderColor: seriesColours[5],
          backgroundColor: seriesColours[5],
          borderDash: [6, 4],
          pointRadius: 0,
          pointStyle: "line",
        },
      ],
    },
    options: {
      plugins: { legend: { labels: { usePointStyle: true } } },
      scales: { y: { min: 0, max: 100, title: { display: true, text: "points" } } },
    },
  };
  return (
    <>
      <div class="insight-chart">
        <ChartView config={config} label={summaryOf(area, history.items)} />
      </div>
      <details>
        <summary>The trend's figures ({history.items.length} days)</summary>
        <div
          class="table-scroll"
          tabIndex={0}
          role="region"
          aria-label={`Daily totals of ${areaName(area)}, scrollable`}
        >
          <table>
            <caption>Daily totals of {areaName(area)}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Total points</th>
                <th scope="col">Qualifying that day</th>
              </tr>
            </thead>
            <tbody>
              {history.items.map((s) => (
                <tr key={s.day}>
                  <th scope="row" class="date">
                    {s.day}
                  </th>
                  <td class="number">{s.total}</td>
                  <td>{s.qualified ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

/** What a screen reader hears for the chart: the span, the first and latest totals, the line. */
function summaryOf(area: string, items: readonly Snapshot[]): string {
  const first = items[0]!;
  const last = items[items.length - 1]!;
  return `${areaName(area)}: total points by day from ${first.day} (${first.total}) to ${last.day} (${last.total}), against the ${qualifyingPoints}-point line.`;
}
