import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";
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
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);

  async function load(next: Filters, after?: string) {
    setBusy(true);
    setErrors({});
    setFailure(null);
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
      if (err instanceof ApiError && err.problem.errors)
        setErrors(Object.fromEntries(err.problem.errors.map((e) => [e.path, e.message])));
      else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => void load(empty), []);

  function exportCsv() {
    save(new Blob([toCsv(csvColumns, rows)], { type: "text/csv" }), "associations.csv");
  }

  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    name,
    value: filters[name],
    "aria-invalid": errors[name] !== undefined,
    "aria-describedby": errors[name] ? `filter-${name}-error` : undefined,
  });
  const fieldError = (name: keyof Filters) =>
    errors[name] && (
      <span id={`filter-${name}-error`} class="field-error">
        {errors[name]}
      </span>
    );

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
        <div>
          <label for="filter-type">Type</label>
          <select
            {...field("type")}
            onChange={(e) => setFilters({ ...filters, type: e.currentTarget.value })}
          >
            <option value="">any</option>
            {associationKinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          {fieldError("type")}
        </div>
        <div>
          <label for="filter-status">Status</label>
          <select
            {...field("status")}
            onChange={(e) => setFilters({ ...filters, status: e.currentTarget.value })}
          >
            <option value="">any</option>
            {associationStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          {fieldError("status")}
        </div>
        <div>
          <label for="filter-workload">Workload</label>
          <select
            {...field("workload")}
            onChange={(e) => setFilters({ ...filters, workload: e.currentTarget.value })}
          >
            <option value="">any</option>
            {workloadIds.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
          {fieldError("workload")}
        </div>
        <div>
          <label for="filter-customerTenantId">Customer tenant ID</label>
          <input
            {...field("customerTenantId")}
            onInput={(e) => setFilters({ ...filters, customerTenantId: e.currentTarget.value })}
          />
          {fieldError("customerTenantId")}
        </div>
        <button type="submit" disabled={busy}>
          Filter
        </button>
      </form>
      {failure && <p role="alert">Could not load associations: {failure}</p>}
      {busy && <p role="status">Loading…</p>}
      {!busy && rows.length === 0 && !failure && (
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
                    <td>{a.partnerCenterStatus ? `${a.partnerCenterStatus} (${a.status})` : a.status}</td>
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
