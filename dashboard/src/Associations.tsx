import { useEffect, useState } from "preact/hooks";
import { statusLabel } from "./statusLabel";
import { api } from "./api";
import { Choice } from "./ui/Choice";
import { Field, FormErrors } from "./ui/Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "./ui/problems";
import { save } from "./save";
import type { AssociationView } from "./types";
import { associationKinds } from "../../src/domain/associationTypes";
import { associationStatuses } from "../../src/domain/status";
import { workloadIds } from "../../src/domain/workloads";
import { toCsv, type CsvColumn } from "../../src/http/csv";

interface Filters {
  type: string;
  status: string;
  workload: string;
  customerTenantId: string;
}

const empty: Filters = { type: "", status: "", workload: "", customerTenantId: "" };
const filterNames = Object.keys(empty);

function query(filters: Filters, token?: string): string {
  const params = new URLSearchParams({ pageSize: "50" });
  for (const name of ["type", "status", "workload", "customerTenantId"] as const) {
    const value = filters[name].trim();
    if (value) params.set(name, value);
  }
  if (token) params.set("continuationToken", token);
  return `/associations?${params.toString()}`;
}

const readPage = (filters: Filters, token?: string) =>
  api<{ items: AssociationView[]; continuationToken?: string }>(query(filters, token));

const csvColumns: readonly CsvColumn<AssociationView>[] = [
  { header: "id", value: (a) => a.id },
  { header: "type", value: (a) => a.type },
  { header: "status", value: (a) => a.status },
  { header: "partnerCenterStatus", value: (a) => a.partnerCenterStatus },
  { header: "customerTenantId", value: (a) => a.customerTenantId },
  { header: "customerDomain", value: (a) => a.customerDomain },
  { header: "claimName", value: (a) => a.claimName },
  { header: "deadline", value: (a) => a.deadline?.at },
  { header: "nextAction", value: (a) => a.nextAction },
];

/**
 * Associations: every type in one table, filtered by type, status, workload and customer, fifty at a time
 * (the API's continuation tokens), with Partner Center's status label and what to do next; the rows
 * loaded so far export as CSV.
 */
export function Associations() {
  const [filters, setFilters] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Filters>(empty);
  const [rows, setRows] = useState<AssociationView[]>([]);
  const [token, setToken] = useState<string | undefined>();
  const [busy, setBusy] = useState(true);
  const [problem, setProblem] = useState<FormProblem>(noProblem);

  async function load(next: Filters, after?: string) {
    setBusy(true);
    setProblem(noProblem);
    try {
      // A workload filter is applied after the storage query: a page may come back empty with a
      // token, so read on (a bounded number of pages) until there is something to show.
      let page = await readPage(next, after);
      for (let reads = 1; page.items.length === 0 && page.continuationToken && reads < 20; reads++)
        page = await readPage(next, page.continuationToken);
      setRows((before) => (after ? [...before, ...page.items] : page.items));
      setToken(page.continuationToken);
      setApplied(next);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => void load(empty), []);

  function exportCsv() {
    save(new Blob([toCsv(csvColumns, rows)], { type: "text/csv" }), "associations.csv");
  }

  return (
    <>
      <h1>Associations</h1>
      <p>
        <a href="/associations/new">New association…</a>
      </p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters);
        }}
      >
        {(
          [
            ["type", "Type", associationKinds],
            ["status", "Status", associationStatuses],
            ["workload", "Workload", workloadIds],
          ] as const
        ).map(([name, label, options]) => (
          <Field key={name} id={`filter-${name}`} name={name} label={label} problem={problem}>
            {(control) => (
              <Choice
                control={control}
                value={filters[name]}
                options={options}
                none="any"
                onChange={(value) => setFilters({ ...filters, [name]: value })}
              />
            )}
          </Field>
        ))}
        <Field
          id="filter-customerTenantId"
          name="customerTenantId"
          label="Customer tenant ID"
          problem={problem}
        >
          {(control) => (
            <input
              {...control}
              value={filters.customerTenantId}
              onInput={(e) => setFilters({ ...filters, customerTenantId: e.currentTarget.value })}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Filter
        </button>
      </form>
      <FormErrors messages={unplaced(problem, filterNames)} />
      {busy && <p role="status">Loading…</p>}
      {!busy && rows.length === 0 && problem === noProblem && (
        <p class="empty">
          {Object.values(applied).some(Boolean)
            ? "No association matches these filters."
            : "No associations yet. Create one with “New association…” above, or import a CSV."}
        </p>
      )}
      {rows.length > 0 && (
        <>
          {/* Scrolls sideways on narrow screens: focusable, so the keyboard can scroll it too. */}
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Associations, scrollable">
            <table>
              <caption class="visually-hidden">The partner's associations</caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Deadline</th>
                  <th scope="col">Next action</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">
                      <a href={`/associations/${encodeURIComponent(a.id)}`}>
                        {a.claimName ?? a.customerDomain ?? a.customerTenantId}
                      </a>
                    </th>
                    <td>{a.type}</td>
                    <td>{statusLabel(a)}</td>
                    <td>{a.deadline ? a.deadline.at.slice(0, 10) : ""}</td>
                    <td>{a.nextAction ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            {token && (
              <button type="button" disabled={busy} onClick={() => void load(applied, token)}>
                Load more
              </button>
            )}
            <button type="button" onClick={exportCsv}>
              Export CSV ({rows.length} rows)
            </button>
          </div>
        </>
      )}
    </>
  );
}
