import { useEffect, useState } from "preact/hooks";
import { Choice } from "../ui/Choice";
import type { PalDrift } from "../../../src/domain/association";
import { palLinkDriftFilter } from "../../../src/domain/schemas/palLink";
import { transitionsOf } from "../../../src/domain/statusMachine";
import { api, post } from "../api";
import type { AssociationView } from "../types";
import { Field, FormErrors } from "../ui/Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "../ui/problems";
import { when } from "./when";

interface Filters {
  status: string;
  customerTenantId: string;
  drift: string;
}

const noFilters: Filters = { status: "", customerTenantId: "", drift: "" };
const filterNames = ["status", "customerTenantId", "drift"] as const;

/** The statuses a PAL link can have (Active ⇄ Drifted → Removed), from its status machine. */
const palStatuses = [...new Set(transitionsOf("pal").flatMap((t) => [t.from, t.to]))];

const driftWords: Readonly<Record<PalDrift, string>> = {
  deleted: "link deleted",
  "other-partner": "another partner's ID",
  "credential-failing": "credential failing",
};
const driftChoices: Readonly<Record<string, string>> = {
  ...driftWords,
  any: "any drift",
  none: "no drift",
};

function query(filters: Filters, token?: string): string {
  const params = new URLSearchParams({ pageSize: "50" });
  for (const name of filterNames) {
    const value = filters[name].trim();
    if (value) params.set(name, value);
  }
  if (token) params.set("continuationToken", token);
  return `/pal-links?${params.toString()}`;
}

/** Pages the API may read before the list shows that nothing matched so far (and offers more). */
const maxEmptyPages = 20;

/**
 * The next page that holds a link. The drift filter applies to each page as read, so a page may
 * be empty while more follow: those are read on, up to `maxEmptyPages`.
 */
async function pageOf(filters: Filters, after?: string) {
  let token = after;
  for (let read = 1; ; read += 1) {
    const page = await api<{ items: AssociationView[]; continuationToken?: string }>(query(filters, token));
    if (page.items.length > 0 || !page.continuationToken || read >= maxEmptyPages) return page;
    token = page.continuationToken;
  }
}

const customerOf = (link: AssociationView) => link.customerDomain ?? link.customerTenantId;

/**
 * The partner's PAL links (made here or recorded by hand), fifty at a time, filtered by status,
 * customer and drift, each with the partner ID it carries, when it was last checked at Azure and
 * what drifted; "Verify now" checks one at once. `version` changing reloads the list (a bulk link
 * finished).
 */
export function Inventory({ version }: { version: number }) {
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [applied, setApplied] = useState<Filters>(noFilters);
  const [rows, setRows] = useState<AssociationView[]>([]);
  const [token, setToken] = useState<string | undefined>();
  const [busy, setBusy] = useState(true);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [said, setSaid] = useState<{ text: string; failed: boolean } | null>(null);
  const [verifying, setVerifying] = useState<string | null>(null);

  async function load(next: Filters, after?: string) {
    setBusy(true);
    setProblem(noProblem);
    try {
      const page = await pageOf(next, after);
      setRows((before) => (after ? [...before, ...page.items] : page.items));
      setToken(page.continuationToken);
      setApplied(next);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => void load(applied), [version]);

  async function verify(link: AssociationView) {
    setSaid({ text: `Verifying the link in ${customerOf(link)}…`, failed: false });
    setVerifying(link.id);
    try {
      const checked = await post<AssociationView>(`/pal-links/${encodeURIComponent(link.id)}/verify`, {});
      setRows((before) => before.map((row) => (row.id === checked.id ? checked : row)));
      setSaid({
        text: checked.drift
          ? `The link in ${customerOf(checked)} drifted: ${driftWords[checked.drift]}.`
          : `The link in ${customerOf(checked)} is clean.`,
        failed: false,
      });
    } catch (err) {
      const { message, fields } = problemOf(err);
      setSaid({
        text: `Could not verify the link in ${customerOf(link)}: ${message ?? Object.values(fields).join("; ")}`,
        failed: true,
      });
    } finally {
      setVerifying(null);
    }
  }

  const filtered = filterNames.some((name) => applied[name] !== "");
  return (
    <section aria-labelledby="inventory-title">
      <h2 id="inventory-title">Inventory</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters);
        }}
      >
        <Field id="pal-status" name="status" label="Status" problem={problem}>
          {(props) => (
            <Choice
              control={props}
              value={filters.status}
              options={palStatuses}
              none="any"
              onChange={(status) => setFilters({ ...filters, status })}
            />
          )}
        </Field>
        <Field id="pal-customer" name="customerTenantId" label="Customer tenant ID" problem={problem}>
          {(props) => (
            <input
              {...props}
              value={filters.customerTenantId}
              onInput={(e) => setFilters({ ...filters, customerTenantId: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="pal-drift" name="drift" label="Drift" problem={problem}>
          {(props) => (
            <Choice
              control={props}
              value={filters.drift}
              options={palLinkDriftFilter.options}
              none="all links"
              labelOf={(d) => driftChoices[d] ?? d}
              onChange={(drift) => setFilters({ ...filters, drift })}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Filter
        </button>
      </form>
      <FormErrors messages={unplaced(problem, filterNames)} />
      {busy && <p role="status">Loading PAL links…</p>}
      <p role="status" class={said?.failed ? "field-error" : undefined}>
        {said?.text}
      </p>
      {!busy && rows.length === 0 && problem === noProblem && (
        <p class="empty">
          {token
            ? "No link matches among those read so far: load more to look further."
            : filtered
              ? "No PAL link matches these filters."
              : "No PAL links yet. Link your partner ID in your customers' tenants with the form below."}
        </p>
      )}
      {rows.length > 0 && (
        <>
          {/* Drift comes right after the customer: on a phone it is seen without scrolling sideways. */}
          <div class="table-scroll inventory" tabIndex={0} role="region" aria-label="PAL links, scrollable">
            <table>
              <caption class="visually-hidden">The partner's PAL links</caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Drift</th>
                  <th scope="col">Status</th>
                  <th scope="col">Linked partner ID</th>
                  <th scope="col">Last verified</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((link) => (
                  <LinkRow
                    key={link.id}
                    link={link}
                    verifying={verifying === link.id}
                    onVerify={() => void verify(link)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {token && (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => void load(applied, token)}>
            Load more
          </button>
        </div>
      )}
    </section>
  );
}

function LinkRow({
  link,
  verifying,
  onVerify,
}: {
  link: AssociationView;
  verifying: boolean;
  onVerify: () => void;
}) {
  return (
    <tr class={link.drift ? "drifted" : undefined}>
      <th scope="row">
        <a href={`/associations/${encodeURIComponent(link.id)}`}>{customerOf(link)}</a>
      </th>
      <td>
        {link.drift ? (
          <>
            <span class="flag">Drifted: {driftWords[link.drift]}</span>
            {link.driftDetail && <p class="drift-detail">{link.driftDetail}</p>}
          </>
        ) : (
          "none"
        )}
      </td>
      <td>{link.status}</td>
      <td>{link.linkedPartnerId ?? ""}</td>
      <td>{link.lastVerifiedAt ? when(link.lastVerifiedAt) : "never"}</td>
      <td>
        {link.source === "record" ? (
          <span class="hint">recorded by hand: nothing to verify with</span>
        ) : (
          link.status !== "Removed" && (
            <button type="button" disabled={verifying} onClick={onVerify}>
              Verify now<span class="visually-hidden"> {customerOf(link)}</span>
            </button>
          )
        )}
      </td>
    </tr>
  );
}
