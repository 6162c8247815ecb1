/** A timestamp as a person reads it, in their own time zone, to the minute. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
