import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import type { PcsScore } from "./types";

const areaNames: Record<string, string> = {
  "modern-work": "Modern Work",
  security: "Security",
  "business-applications": "Business Applications",
  "data-ai": "Data & AI",
  infrastructure: "Infrastructure",
  "digital-app-innovation": "Digital & App Innovation",
};

/** Score: per solution area the metrics against their maxima, the 70-point line and the next steps. */
export function Score() {
  const [score, setScore] = useState<PcsScore | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<PcsScore>("/pcs")
      .then(setScore)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);
  if (error) return <p role="alert">Could not load the score: {error}</p>;
  if (!score) return <p role="status">Loading the score…</p>;
  return (
    <>
      <h1>Partner Capability Score</h1>
      <p class="hint">
        {score.programYear} rules, as of {score.asOf}. An area qualifies at 70 points with every metric above
        0.
      </p>
      <div class="areas">
        {score.areas.map((area) => (
          <section key={area.area} aria-labelledby={`area-${area.area}`} class="area">
            <h2 id={`area-${area.area}`}>
              {areaNames[area.area] ?? area.area}: {area.total} / 100
              <span class={area.qualified ? "badge ok" : "badge"}>
                {area.qualified ? "qualified" : "not qualified"}
              </span>
            </h2>
            <meter
              min={0}
              max={100}
              low={70}
              optimum={100}
              value={area.total}
              aria-label={`${area.total} of 100 points`}
            />
            <table>
              <caption class="visually-hidden">Metrics of {areaNames[area.area] ?? area.area}</caption>
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
                    <th scope="row">{m.metric}</th>
                    <td>
                      {m.points} / {m.max}
                    </td>
                    <td>{m.note ?? m.next ?? "full points"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </>
  );
}
