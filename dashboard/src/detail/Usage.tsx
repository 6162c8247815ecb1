import type { ChartConfiguration } from "chart.js";
import { ChartView, seriesColours } from "../ui/Chart";
import type { AssociationUsage } from "../types";
import { percent, when } from "./format";

type Reading = AssociationUsage["series"][number];
type Progress = AssociationUsage["progress"][number];

/**
 * Each claimed workload's usage since approval: a chart of its active share by report date with
 * each paid threshold drawn across it, the same readings in a table, a bar to each threshold and
 * the forecast date. A workload the customer tenant cannot measure says why: its share is
 * unknown, never 0%.
 */
export function Usage({ usage, claimed }: { usage: AssociationUsage; claimed: readonly string[] }) {
  const workloads = claimed.length > 0 ? claimed : [...new Set(usage.progress.map((p) => p.workload))];
  return (
    <section aria-labelledby="usage">
      <h2 id="usage">Usage toward milestones</h2>
      {!usage.baseline && <p class="empty">Usage counts from approval on: nothing is followed yet.</p>}
      {workloads.map((w) => (
        <WorkloadUsage key={w} workload={w} usage={usage} />
      ))}
    </section>
  );
}

function WorkloadUsage({ workload, usage }: { workload: string; usage: AssociationUsage }) {
  const unmeasurable = usage.notMeasurable.find((n) => n.workload === workload);
  const readings = usage.series.filter((r) => r.workload === workload);
  const thresholds = usage.progress.filter((p) => p.workload === workload);
  if (!usage.baseline && !unmeasurable) return null;
  const headingId = `usage-${workload}`;
  return (
    <section class="workload-usage" aria-labelledby={headingId}>
      <h3 id={headingId}>{workload}</h3>
      {unmeasurable && (
        <p class="not-measurable">
          Not measurable in the customer tenant since {when(unmeasurable.since)}: {unmeasurable.reason}. Its
          usage is unknown (not 0%).
        </p>
      )}
      {readings.length === 0 ? (
        !unmeasurable && <p class="empty">No usage reading since approval yet.</p>
      ) : (
        <>
          <UsageChart workload={workload} readings={readings} thresholds={thresholds} />
          <ReadingsTable workload={workload} readings={readings} thresholds={thresholds} />
          <ul class="items">
            {thresholds.map((p) => (
              <ThresholdProgress key={p.milestoneKey} progress={p} usage={usage} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const thresholdLabel = (p: Progress) => `${p.milestoneKey} (${percent(p.threshold)})`;

/** The active share by report date, each threshold a dashed line across it. */
function UsageChart({
  workload,
  readings,
  thresholds,
}: {
  workload: string;
  readings: readonly Reading[];
  thresholds: readonly Progress[];
}) {
  const labels = readings.map((r) => r.reportRefreshDate);
  const shares = readings.map((r) => Math.round(r.activeShare * 1000) / 10);
  const top = Math.max(...shares, ...thresholds.map((p) => p.threshold * 100));
  // One reading draws no line: then the thresholds show as marks on it.
  const lonePoint = labels.length === 1 ? 5 : 0;
  const config: ChartConfiguration = {
    type: "line",
    data: {
      labels,
      datasets: [
        {
          label: "Active share",
          data: shares,
          borderColor: seriesColours[0],
          backgroundColor: seriesColours[0],
          pointRadius: 3,
          pointStyle: "circle" as const,
        },
        ...thresholds.map((p, i) => ({
          label: thresholdLabel(p),
          data: labels.map(() => p.threshold * 100),
          borderColor: seriesColours[(i + 1) % seriesColours.length],
          backgroundColor: seriesColours[(i + 1) % seriesColours.length],
          borderDash: [6, 4],
          pointRadius: lonePoint,
          pointStyle: "line" as const,
        })),
      ],
    },
    options: {
      scales: {
        y: {
          min: 0,
          suggestedMax: Math.min(100, Math.ceil((top * 1.15) / 5) * 5),
          title: { display: true, text: "Active users ÷ paid seats (%)" },
          ticks: { callback: (value) => `${value}%` },
        },
        x: { title: { display: true, text: "Report date" } },
      },
      // Point styles in the legend: a dot for the readings, a line for each threshold.
      plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
    },
  };
  const latest = readings[readings.length - 1];
  const range = labels.length === 1 ? `on ${labels[0]}` : `from ${labels[0]} to ${labels[labels.length - 1]}`;
  const lines = thresholds.length > 0 ? `; thresholds ${thresholds.map(thresholdLabel).join(", ")}` : "";
  return (
    <div class="usage-chart">
      <ChartView
        config={config}
        label={`${workload}: active share by report date ${range}, latest ${percent(latest?.activeShare ?? 0)}${lines}`}
      />
    </div>
  );
}

/** The chart's readings, and against each threshold whether the reading met it. */
function ReadingsTable({
  workload,
  readings,
  thresholds,
}: {
  workload: string;
  readings: readonly Reading[];
  thresholds: readonly Progress[];
}) {
  return (
    <details class="readings">
      <summary>{workload}: the readings as a table</summary>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={`${workload} readings, scrollable`}>
        <table>
          <caption class="visually-hidden">
            {workload}: readings since approval and the thresholds
            {thresholds.length > 0 ? ` (${thresholds.map(thresholdLabel).join(", ")})` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Report date</th>
              <th scope="col">Paid seats</th>
              <th scope="col">Active users</th>
              <th scope="col">Active share</th>
              {thresholds.map((p) => (
                <th key={p.milestoneKey} scope="col">
                  {thresholdLabel(p)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {readings.map((r) => (
              <tr key={r.reportRefreshDate}>
                <th scope="row" class="nowrap">
                  {r.reportRefreshDate}
                </th>
                <td>{r.paidSeats}</td>
                <td>{r.activeUsers}</td>
                <td>{percent(r.activeShare)}</td>
                {thresholds.map((p) => (
                  <td key={p.milestoneKey}>{r.activeShare >= p.threshold ? "met" : "below"}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** The latest share as a bar toward one threshold, and when the trend reaches it. */
function ThresholdProgress({ progress: p, usage }: { progress: Progress; usage: AssociationUsage }) {
  const forecast = usage.forecast.find(
    (f) => f.workload === p.workload && f.nextMilestone === p.milestoneKey,
  );
  const flag = p.flagged
    ? usage.milestoneFlags.find((f) => f.workload === p.workload && f.key === p.milestoneKey)
    : undefined;
  const id = `progress-${p.workload}-${p.milestoneKey}`;
  return (
    <li>
      <label for={id}>
        {p.workload}, {p.milestoneKey}: {percent(p.activeShare)} active of {percent(p.threshold)}
        {p.reached ? " — reached" : ""}
      </label>
      <progress id={id} max={1} value={p.fraction} />
      {p.flagged && <p>Cannot pay{flag ? `: ${flag.message}` : ""}.</p>}
      {forecast && (
        <p>Forecast: {forecast.projectedOn ? `reaches it about ${forecast.projectedOn}` : forecast.note}</p>
      )}
    </li>
  );
}
