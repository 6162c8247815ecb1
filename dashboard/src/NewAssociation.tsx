import { useState } from "preact/hooks";
import { Choice } from "./ui/Choice";
import { post } from "./api";
import {
  formFields,
  requestBody,
  requestTypes,
  typeNames,
  type FormField,
  type FormValues,
  type RequestType,
} from "./newAssociation";
import { navigate } from "./router";
import { Field, FormErrors } from "./ui/Field";
import { errorFor, noProblem, problemOf, unplaced, type FormProblem } from "./ui/problems";

const locationKey = "partner-of-record.partnerLocationId";

/**
 * A new association of any type, as `POST /api/v1/associations` takes it: the form shows the
 * chosen type's fields only; the API's errors appear beside the fields they name. On success the
 * association's page opens (a CPOR claim starts as a Draft waiting for its PoE).
 */
export function NewAssociation() {
  const [type, setType] = useState<RequestType>("cpor");
  const [values, setValues] = useState<FormValues>({
    engagement: "osu",
    partnerLocationId: localStorage.getItem(locationKey) ?? "",
  });
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const fields = formFields.filter((f) => f.types.includes(type));

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(noProblem);
    try {
      const created = await post<{ id: string }>("/associations", requestBody(type, values));
      const location = values["partnerLocationId"];
      if (typeof location === "string" && location.trim()) localStorage.setItem(locationKey, location.trim());
      navigate(`/associations/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  const set = (name: string, value: string | readonly string[]) => setValues({ ...values, [name]: value });
  return (
    <>
      <h1>New association</h1>
      <form class="new-association" onSubmit={(e) => void submit(e)}>
        <Field id="new-type" name="type" label="Type" problem={problem}>
          {(props) => (
            <select {...props} value={type} onChange={(e) => setType(e.currentTarget.value as RequestType)}>
              {requestTypes.map((t) => (
                <option key={t} value={t}>
                  {typeNames[t]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {fields.map((field) => (
          <Control key={field.name} field={field} values={values} problem={problem} set={set} />
        ))}
        <FormErrors messages={unplaced(problem, ["type", ...fields.map((f) => f.name)])} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Creating…" : "Create"}
          </button>
          <a href="/associations">Cancel</a>
        </div>
      </form>
    </>
  );
}

function Control({
  field,
  values,
  problem,
  set,
}: {
  field: FormField;
  values: FormValues;
  problem: FormProblem;
  set: (name: string, value: string | readonly string[]) => void;
}) {
  const id = `new-${field.name.replace(/\./g, "-")}`;
  const entered = values[field.name];
  const text = typeof entered === "string" ? entered : "";
  if (field.control === "checkboxes")
    return <Checkboxes id={id} field={field} values={values} problem={problem} set={set} />;
  return (
    <Field
      id={id}
      name={field.name}
      label={field.label}
      {...(field.hint ? { hint: field.hint } : {})}
      problem={problem}
    >
      {(props) =>
        field.control === "select" ? (
          <Choice
            control={props}
            value={text}
            options={field.options ?? []}
            none="—"
            onChange={(value) => set(field.name, value)}
          />
        ) : field.control === "textarea" || field.control === "lines" ? (
          <textarea {...props} value={text} onInput={(e) => set(field.name, e.currentTarget.value)} />
        ) : field.control === "email" ? (
          <input
            {...props}
            type="email"
            value={text}
            onInput={(e) => set(field.name, e.currentTarget.value)}
          />
        ) : (
          <input
            {...props}
            type="text"
            value={text}
            onInput={(e) => set(field.name, e.currentTarget.value)}
          />
        )
      }
    </Field>
  );
}

/** A set of checkboxes under one legend, with the field's error (and its items' errors) below. */
function Checkboxes({
  id,
  field,
  values,
  problem,
  set,
}: {
  id: string;
  field: FormField;
  values: FormValues;
  problem: FormProblem;
  set: (name: string, value: readonly string[]) => void;
}) {
  const chosen = (values[field.name] as readonly string[] | undefined) ?? [];
  const error = errorFor(problem, field.name);
  return (
    <fieldset class="checkboxes" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{field.label}</legend>
      {field.hint && <p class="hint">{field.hint}</p>}
      {(field.options ?? []).map((option) => (
        <label key={option}>
          <input
            type="checkbox"
            name={field.name}
            value={option}
            checked={chosen.includes(option)}
            onChange={(e) =>
              set(
                field.name,
                e.currentTarget.checked ? [...chosen, option] : chosen.filter((c) => c !== option),
              )
            }
          />{" "}
          {option}
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
