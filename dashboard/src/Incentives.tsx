import { useEffect, useState } from "preact/hooks";
import { Choice } from "./ui/Choice";
import { api, download } from "./api";
import { EarnedChart } from "./incentives/EarnedChart";
import { earnedGrids } from "./incentives/figures";
import { Forecast } from "./incentives/Forecast";
import { Entries } from "./incentives/Entries";
import { TotalsTable } from "./incentives/Totals";
import "./insights.css";
import type { Incentives as Ledger } from "./types";
import { Field, FormErrors } from "./ui/Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "./ui/problems";
import { workloadIds } from "../../src/domain/workloads";

/** The ledger's filters, named as the API's query parameters (so its errors land beside them). */
interface Filters {
  earnedIn: string;
  payableIn: string;
  workload: string;
}

const noFilters: Filters = { earnedIn: "", payableIn: "", workload: "" };
const filterNames = Object.keys(noFilters) as (keyof Filters)[];

/** `?earnedIn=…&workload=…` of the filters given, or "" when none is. */
function queryOf(filters: Filters): string {
  const params = new URLSearchParams();
  for (const name of filterNames) {
    const value = filters[name].trim();
    if (value) params.set(name, value);
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

/**
 * Incentives: what the ledger holds (`GET /incentives`), earned per month and per workload as a
 * chart with its table, the API's totals by workload and by payable month, every entry linked to its
 * association, filtered by the month earned or payable and the workload, and exported as the API's
 * own CSV of the same filters; then the forecast of payments. A filter the API refuses keeps what
 * is shown and puts its error beside the field.
 */
export function Incentives() {
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [applied, setApplied] = useState<Filters>(noFilters);
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [busy, setBusy] = useState(true);
  const [problem, setProblem] = useState<FormProblem>(noProblem);

  async function load(next: Filters) {
    setBusy(true);
    setProblem(noProblem);
    try {
      setLedger(await api<Ledger>(`/incentives${queryOf(next)}`));
      setApplied(next);
    } catch (err) {
      const found = problemOf(err);
      // A refused filter names its field; anything else is the ledger failing to load.
      setProblem(
        found.message ? { ...found, message: `Could not load the incentives: ${found.message}` } : found,
      );
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => void load(noFilters), []);

  const filtered = Object.values(applied).some(Boolean);
  return (
    <div class="insights">
      <h1>Incentives</h1>
      <p class="hint">
        The milestones your Approved claims have earned, from the incentive ledger: each is earned once, when
        a claimed workload's active usage crosses it, and is payable the month after.
      </p>
      <form
        class="filters"
        aria-label="Filter the incentives"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters);
        }}
      >
        {(["earnedIn", "payableIn"] as const).map((name) => (
          <Field
            key={name}
            id={`filter-${name}`}
            name={name}
            label={name === "earnedIn" ? "Month earned" : "Month payable"}
            hint="YYYY-MM"
            problem={problem}
          >
            {(props) => (
              <input
                {...props}
                class="insight-month"
                inputMode="numeric"
                autoComplete="off"
                value={filters[name]}
                onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })}
              />
            )}
          </Field>
        ))}
        <Field id="filter-workload" name="workload" label="Workload" problem={problem}>
          {(props) => (
            <Choice
              control={props}
              value={filters.workload}
              options={workloadIds}
              none="any"
              onChange={(workload) => setFilters({ ...filters, workload })}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Filter
        </button>
        {filtered && (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setFilters(noFilters);
              void load(noFilters);
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      <FormErrors messages={unplaced(problem, filterNames)} />
      {busy && <p role="status">Loading the incentives…</p>}
      {ledger && ledger.items.length === 0 && (
        <p class="empty">
          {filtered
            ? "No ledger entry matches these filters. Clear them to see the whole ledger."
            : "No incentives earned yet. An Approved claim earns when a claimed workload's active usage crosses a milestone (15 % or 40 % of paid seats active); the forecast below shows which are on their way."}
        </p>
      )}
      {ledger && ledger.items.length > 0 && <Earned ledger={ledger} query={queryOf(applied)} />}
      <Forecast />
    </div>
  );
}

/** The ledger shown: chart and tables of what was earned, the entries, and the CSV export. */
function Earned({ ledger, query }: { ledger: Ledger; query: string }) {
  return (
    <>
      <section aria-labelledby="earned">
        <h2 id="earned">Earned by month</h2>
        {earnedGrids(ledger.items).map((grid) => (
          <EarnedChart key={grid.currency} grid={grid} />
        ))}
      </section>
      <div class="insight-pair">
        <section aria-labelledby="by-workload">
          <h2 id="by-workload">By workload</h2>
          <TotalsTable
            caption="Earned by workload"
            keyHeader="Workload"
            rows={ledger.totals.byWorkload.map(({ workload, ...sums }) => ({ key: workload, ...sums }))}
          />
        </section>
        <section aria-labelledby="by-month">
          <h2 id="by-month">By month payable</h2>
          <TotalsTable
            caption="Earned by month payable"
            keyHeader="Month payable"
            rows={ledger.totals.byMonth.map(({ month, ...sums }) => ({ key: month, ...sums }))}
          />
        </section>
      </div>
      <section aria-labelledby="entries">
        <h2 id="entries">Entries</h2>
        <Entries items={ledger.items} />
        <ExportCsv query={query} />
      </section>
    </>
  );
}

/** The API's CSV of the ledger under the filters shown (fetched with the key, saved as a file). */
function ExportCsv({ query }: { query: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  function exportCsv() {
    setBusy(true);
    setError(null);
    download(`/incentives${query}`, "text/csv", "incentives.csv")
      .catch((err: unknown) =>
        setError(`The export failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => setBusy(false));
  }
  return (
    <div class="actions">
      <button type="button" disabled={busy} onClick={exportCsv}>
        Export CSV
      </button>
      {busy && <span role="status">Preparing the CSV…</span>}
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
