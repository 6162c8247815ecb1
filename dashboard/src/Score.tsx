import { useState } from "preact/hooks";
import { api } from "./api";
import "./insights.css";
import { Customers } from "./score/Customers";
import { areaName, metricName, qualifyingPoints } from "./score/names";
import { Trend } from "./score/Trend";
import type { PcsCustomers, PcsHistory, PcsScore } from "./types";
import { Loaded, useLoad } from "./ui/useLoad";

/**
 * Score: per solution area the metrics against their maxima, the 70-point line and the next steps;
 * then, for the area chosen, its trend and which customers count toward it (and why not).
 */
export function Score() {
  const { state } = useLoad(() => api<PcsScore>("/pcs"), []);
  return (
    <div class="insights">
      <Loaded state={state} what="the score">
        {(score) => (
          <>
            <h1>Partner Capability Score</h1>
            <p class="hint">
              {score.programYear} rules, as of {score.asOf}. An area qualifies at {qualifyingPoints} points
              with every metric above 0.
            </p>
            <div class="areas">
              {score.areas.map((area) => (
                <Area key={area.area} area={area} />
              ))}
            </div>
            <ByArea areas={score.areas.map((a) => a.area)} />
          </>
        )}
      </Loaded>
    </div>
  );
}

function Area({ area }: { area: PcsScore["areas"][number] }) {
  return (
    <section aria-labelledby={`area-${area.area}`} class="area">
      <h2 id={`area-${area.area}`}>
        {areaName(area.area)}: {area.total} / 100
        <span class={area.qualified ? "badge ok" : "badge"}>
          {area.qualified ? "qualified" : "not qualified"}
        </span>
      </h2>
      <meter
        min={0}
        max={100}
        low={qualifyingPoints}
        optimum={100}
        value={area.total}
        aria-label={`${area.total} of 100 points`}
      />
      <table>
        <caption class="visually-hidden">Metrics of {areaName(area.area)}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Points</th>
            <th scope="col">Next step</th>
          </tr>
        </thead>
        <tbody>
          {area.metrics.map((m) => (
            <tr key={m.metric}>
              <th scope="row">{metricName(m.metric)}</th>
              <td>
                {m.points} / {m.max}
              </td>
              <td>{m.note ?? m.next ?? "full points"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The trend and the customers of one area at a time, chosen here (both read together: one wait). */
function ByArea({ areas }: { areas: readonly string[] }) {
  const [area, setArea] = useState(areas[0] ?? "");
  const { state } = useLoad(async () => {
    const query = `?area=${encodeURIComponent(area)}`;
    const [history, customers] = await Promise.all([
      api<PcsHistory>(`/pcs/history${query}`),
      api<PcsCustomers>(`/pcs/customers${query}`),
    ]);
    return { history, customers };
  }, [area]);
  return (
    <section aria-labelledby="by-area" class="insight-by-area">
      <h2 id="by-area">Trend and customers</h2>
      <div class="field">
        <label for="score-area">Solution area</label>
        <select id="score-area" value={area} onChange={(e) => setArea(e.currentTarget.value)}>
          {areas.map((a) => (
            <option key={a} value={a}>
              {areaName(a)}
            </option>
          ))}
        </select>
      </div>
      <Loaded state={state} what={`the trend and customers of ${areaName(area)}`}>
        {({ history, customers }) => (
          <>
            <Trend area={area} history={history} />
            <Customers area={area} customers={customers} />
          </>
        )}
      </Loaded>
    </section>
  );
}
