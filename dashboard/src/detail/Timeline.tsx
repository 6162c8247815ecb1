import type { AssociationDetail } from "../types";
import { when } from "./format";

/** Every recorded fact, oldest first. */
export function Timeline({ association: a }: { association: AssociationDetail }) {
  return (
    <section aria-labelledby="timeline">
      <h2 id="timeline">Timeline</h2>
      <ol class="items">
        {(a.timeline ?? []).map((e, i) => (
          <li key={i}>
            <time dateTime={e.at}>{when(e.at)}</time> — {e.reason}
          </li>
        ))}
      </ol>
    </section>
  );
}
