import type { ControlProps } from "./Field";

/**
 * A select over `options` whose first choice is empty: `none` says what it means ("any" in a
 * filter, "Choose the outcome" in a form, where the API then names the field if one is needed).
 */
export function Choice({
  control,
  value,
  options,
  none,
  labelOf = (option) => option,
  onChange,
}: {
  control: ControlProps;
  value: string;
  options: readonly string[];
  none: string;
  /** What the option reads as (default: the value itself). */
  labelOf?: (option: string) => string;
  onChange: (value: string) => void;
}) {
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{none}</option>
      {options.map((option) => (
        <option key={option} value={option}>
          {labelOf(option)}
        </option>
      ))}
    </select>
  );
}
