import { useState } from "preact/hooks";
import { BulkLink } from "./pal/BulkLink";
import { Inventory } from "./pal/Inventory";
import "./operations.css";

/**
 * PAL links: the inventory, which flags each link that drifted (deleted, another partner's ID, a
 * failing credential), then a form to link many customer tenants at once with the job's progress
 * live; the inventory reloads when a bulk link finishes.
 */
export function PalLinks() {
  const [version, setVersion] = useState(0);
  return (
    <>
      <h1>PAL links</h1>
      <Inventory version={version} />
      <BulkLink onFinished={() => setVersion((v) => v + 1)} />
    </>
  );
}
