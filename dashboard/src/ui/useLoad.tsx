import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";

export type LoadState<T> =
  { kind: "loading" } | { kind: "failed"; message: string; status?: number } | { kind: "ready"; value: T };

/**
 * What a page reads from the API, loaded when `deps` change; `reload` reads it again (after an
 * action) while the page keeps showing what it has.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<LoadState<T>>({ kind: "loading" });
  const run = () =>
    load()
      .then((value) => setState({ kind: "ready", value }))
      .catch((err: unknown) =>
        setState({
          kind: "failed",
          message: err instanceof Error ? err.message : String(err),
          ...(err instanceof ApiError ? { status: err.problem.status } : {}),
        }),
      );
  useEffect(() => {
    setState({ kind: "loading" });
    void run();
  }, deps);
  return { state, reload: () => void run() };
}

/** The loading and failure messages of a `useLoad` state; `children` once it is ready. */
export function Loaded<T>({
  state,
  what,
  children,
}: {
  state: LoadState<T>;
  what: string;
  children: (value: T) => ComponentChildren;
}) {
  if (state.kind === "loading") return <p role="status">Loading {what}…</p>;
  if (state.kind === "failed")
    return (
      <p role="alert">
        Could not load {what}: {state.message}
      </p>
    );
  return <>{children(state.value)}</>;
}
