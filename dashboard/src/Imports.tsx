import { useState } from "preact/hooks";
import {
  columnsOfType,
  importRowTypes,
  maxImportRows,
  type ImportRowType,
} from "../../src/domain/csvImportColumns";
import { api } from "./api";
import { JobProgress, useJob } from "./jobs";
import { foldProblem } from "./pal/foldProblem";
import type { Job } from "./types";
import { Field, FormErrors } from "./ui/Field";
import { noProblem, problemOf, unplaced, type FormProblem } from "./ui/problems";
import "./operations.css";

/** What each row type makes, beside the columns it takes. */
const rowTypeNames: Readonly<Record<ImportRowType, string>> = {
  dpor: "DPOR requests",
  tpor: "TPOR records",
  pal: "PAL links",
};

const example = [
  "type,customerTenantId,customerDomain,subscriptionId,customerContact.name,customerContact.title,customerContact.email,partnerContact.name,partnerContact.email,role,enrollmentNumber",
  "dpor,0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e,contoso.onmicrosoft.com,5c1e6a2b-7d3f-4e8a-9b0c-1d2e3f4a5b6c,Megan Bowen,IT Director,megan@contoso.com,Alex Wilber,alex@fabrikam.com,,",
  "tpor,7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d,,,,,,,,licensing-solution-provider,12345678",
].join("\n");

/**
 * The file's own errors beside the rows box: `file` (empty, not CSV, too many rows) and `header`,
 * `header.2` (a column it does not know, said by its position).
 */
function fileWords(problem: FormProblem): FormProblem {
  return foldProblem(problem, "file", (path) => {
    if (path === "header") return "header row";
    const column = /^header\.(\d+)$/.exec(path)?.[1];
    return column === undefined ? null : `header column ${column}`;
  });
}

/**
 * Imports: DPOR requests, TPOR records and PAL links in bulk from a CSV file (`POST /imports`,
 * `text/csv`), then each row's result as the job reaches it: the association it created, or the
 * line's errors by column. A chosen file is read into the rows box, so it can be looked at (and
 * mended) before it is sent.
 */
export function Imports() {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<Job | null>(null);
  const watch = useJob(started);

  async function choose(file: File | undefined) {
    setProblem(noProblem);
    if (file) setText(await file.text());
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (text.trim() === "") {
      setProblem({ fields: { file: "choose a CSV file or paste its rows" }, message: null });
      return;
    }
    setBusy(true);
    setProblem(noProblem);
    try {
      setStarted(
        await api<Job>("/imports", {
          method: "POST",
          headers: { "content-type": "text/csv; charset=utf-8", "idempotency-key": crypto.randomUUID() },
          body: text,
        }),
      );
    } catch (err) {
      setProblem(fileWords(problemOf(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Imports</h1>
      <p>
        Create DPOR requests, TPOR records and PAL links in bulk: one header row naming the columns, then one
        row per item (at most {maxImportRows}). Each row's result appears below as it is handled; a row with
        errors creates nothing, and the others go on.
      </p>
      <ImportHelp />
      <form class="import" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="import-file">CSV file</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            aria-describedby="import-file-hint"
            onChange={(e) => void choose(e.currentTarget.files?.[0])}
          />
          <span id="import-file-hint" class="hint">
            Its rows appear in the box below.
          </span>
        </div>
        <Field
          id="import-rows"
          name="file"
          label="Rows (CSV)"
          hint="Or paste them here, header first."
          problem={problem}
        >
          {(props) => (
            <textarea
              {...props}
              class="csv"
              value={text}
              rows={8}
              spellcheck={false}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormErrors messages={unplaced(problem, ["file"])} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Uploading…" : "Import"}
          </button>
        </div>
      </form>
      <JobProgress watch={watch} title="Import progress" />
    </>
  );
}

/** The columns each row type takes, and an example file. */
function ImportHelp() {
  return (
    <details class="help">
      <summary>Columns and an example</summary>
      <p>
        Every file needs a <code>type</code> column (<code>dpor</code>, <code>tpor</code> or <code>pal</code>
        ); the other columns are the ones your rows use, in any order. An empty cell is a field left out; an
        empty <code>partnerLocationId</code> is your first location ID. <code>subscriptionIds</code> lists
        GUIDs separated by <code>;</code>. Errors name the line (the header is line 1) and the column.
      </p>
      <dl class="columns">
        {importRowTypes.map((type) => (
          <div key={type}>
            <dt>
              <code>{type}</code>: {rowTypeNames[type]}
            </dt>
            <dd>{columnsOfType[type].join(", ")}</dd>
          </div>
        ))}
      </dl>
      <div class="example" tabIndex={0} role="region" aria-label="Example file, scrollable">
        <pre>{example}</pre>
      </div>
    </details>
  );
}
