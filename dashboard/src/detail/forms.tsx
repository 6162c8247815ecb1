import type { JSX } from "preact";
import { Field, type ControlProps } from "../ui/Field";
import { base64Of } from "../ui/files";
import { errorFor, type FormProblem } from "../ui/problems";

/**
 * The controls the association's action dialogs share: a group of checkboxes and a document to
 * upload, each with the API's errors beside it, and the proof-of-execution fields (`POST /poe`,
 * and the updated PoE a dispute may carry under `poe.`).
 */

export interface Option {
  value: string;
  label: string;
}

/**
 * Checkboxes for one array field (`workloads`, `reasons`), in a fieldset named by its legend; the
 * API's errors for the field and its items (`reasons.1`) beside it. `selected` keeps `options` order.
 */
export function CheckboxGroup({
  id,
  name,
  legend,
  options,
  selected,
  onChange,
  problem,
}: {
  id: string;
  name: string;
  legend: string;
  options: readonly Option[];
  selected: readonly string[];
  onChange: (selected: string[]) => void;
  problem: FormProblem;
}) {
  const error = errorFor(problem, name);
  const toggle = (value: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(value);
    else next.delete(value);
    onChange(options.map((o) => o.value).filter((v) => next.has(v)));
  };
  return (
    <fieldset class="checks" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value} class="check">
          <input
            type="checkbox"
            id={`${id}-${o.value}`}
            name={name}
            value={o.value}
            checked={selected.includes(o.value)}
            onChange={(e) => toggle(o.value, e.currentTarget.checked)}
          />{" "}
          {o.label}
        </label>
      ))}
      {error && (
        <span id={`${id}-error`} class="field-error">
          {error}
        </span>
      )}
    </fieldset>
  );
}

/**
 * A document to upload. The API names it by two paths (`<prefix>documentName` and
 * `<prefix>documentBase64`, both taken from the chosen file): the errors of either show here.
 */
export function FileField({
  id,
  prefix,
  label,
  hint,
  problem,
  onFile,
}: {
  id: string;
  prefix: string;
  label: string;
  hint: string;
  problem: FormProblem;
  onFile: (file: File | null) => void;
}) {
  const name = `${prefix}document`;
  const messages = documentPaths(prefix)
    .map((path) => errorFor(problem, path))
    .filter((m): m is string => m !== undefined);
  const own: FormProblem = { fields: messages.length ? { [name]: messages.join("; ") } : {}, message: null };
  return (
    <Field id={id} name={name} label={label} hint={hint} problem={own}>
      {(props) => (
        <input
          {...props}
          type="file"
          accept=".pdf,.docx,.png,.jpg,.jpeg"
          onChange={(e) => onFile(e.currentTarget.files?.[0] ?? null)}
        />
      )}
    </Field>
  );
}

/** The paths a document's errors come under. */
export const documentPaths = (prefix: string) => [`${prefix}documentName`, `${prefix}documentBase64`];

/** The document's name and content as the API takes them; nothing when no file was chosen. */
export async function documentOf(file: File | null) {
  return file ? { documentName: file.name, documentBase64: await base64Of(file) } : {};
}

/** A proof of execution as the partner fills it in. */
export interface PoeDraft {
  file: File | null;
  customerSignerName: string;
  customerSignerEmail: string;
  signedDate: string;
  servicesDescription: string;
  workloads: string[];
}

/** A blank PoE covering every claimed workload (the partner unticks what it does not cover). */
export const blankPoe = (workloads: readonly string[]): PoeDraft => ({
  file: null,
  customerSignerName: "",
  customerSignerEmail: "",
  signedDate: "",
  servicesDescription: "",
  workloads: [...workloads],
});

/** The fields of a PoE, by their paths under `prefix` (`""` for `POST /poe`, `"poe."` in a dispute). */
export const poeFieldNames = (prefix: string) => [
  ...documentPaths(prefix),
  ...["customerSignerName", "customerSignerEmail", "signedDate", "servicesDescription", "workloads"].map(
    (name) => `${prefix}${name}`,
  ),
];

/**
 * The `poeSubmission` body: blank fields are left out, so the API reports each as Microsoft's
 * reviewers would (no signature, missing date, …), every one at once, beside its field.
 */
export async function poeBody(draft: PoeDraft) {
  const text = (value: string) => value.trim() || undefined;
  return {
    ...(await documentOf(draft.file)),
    customerSignerName: text(draft.customerSignerName),
    customerSignerEmail: text(draft.customerSignerEmail),
    signedDate: text(draft.signedDate),
    servicesDescription: text(draft.servicesDescription),
    workloads: draft.workloads,
  };
}

type TextKey = "customerSignerName" | "customerSignerEmail" | "signedDate";
type TextControl = (props: ControlProps & { value: string; onInput: (e: Event) => void }) => JSX.Element;

/** The PoE's fields; `id` prefixes the controls' IDs (unique on the page). */
export function PoeFields({
  id,
  prefix,
  draft,
  onChange,
  claimed,
  problem,
}: {
  id: string;
  prefix: string;
  draft: PoeDraft;
  onChange: (draft: PoeDraft) => void;
  claimed: readonly string[];
  problem: FormProblem;
}) {
  const set = (patch: Partial<PoeDraft>) => onChange({ ...draft, ...patch });
  /** One text field; `control` is its input (its type decides the browser's widget). */
  const text = (key: TextKey, label: string, control: TextControl) => (
    <Field id={`${id}-${key}`} name={`${prefix}${key}`} label={label} problem={problem}>
      {(props) =>
        control({
          ...props,
          value: draft[key],
          onInput: (e) => set({ [key]: (e.currentTarget as HTMLInputElement).value }),
        })
      }
    </Field>
  );
  return (
    <>
      <FileField
        id={`${id}-document`}
        prefix={prefix}
        label="Signed document"
        hint="The customer-signed PoE: a PDF, Word document (.docx), PNG or JPEG, at most 10 MiB."
        problem={problem}
        onFile={(file) => set({ file })}
      />
      {text("customerSignerName", "Signed by (the customer's name)", (props) => (
        <input {...props} type="text" autoComplete="off" />
      ))}
      {text("customerSignerEmail", "Signer's email", (props) => (
        <input {...props} type="email" autoComplete="off" />
      ))}
      {text("signedDate", "Signed on", (props) => (
        <input {...props} type="date" />
      ))}
      <Field
        id={`${id}-servicesDescription`}
        name={`${prefix}servicesDescription`}
        label="Services delivered"
        problem={problem}
      >
        {(props) => (
          <textarea
            {...props}
            value={draft.servicesDescription}
            onInput={(e) => set({ servicesDescription: e.currentTarget.value })}
          />
        )}
      </Field>
      <CheckboxGroup
        id={`${id}-workloads`}
        name={`${prefix}workloads`}
        legend="Workloads the document covers"
        options={claimed.map((w) => ({ value: w, label: w }))}
        selected={draft.workloads}
        onChange={(workloads) => set({ workloads })}
        problem={problem}
      />
    </>
  );
}
