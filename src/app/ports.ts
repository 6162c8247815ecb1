import type { Store } from "../store/store";
import type { LifecyclePorts } from "./lifecycle";

/**
 * What the partner-facing use cases need: every repository, the wall clock (never inside an
 * orchestrator), the lifecycle durations and the webhook queue (via LifecyclePorts), the PoE rules.
 */
export interface AppPorts extends LifecyclePorts {
  store: Store;
  clock: () => Date;
  poeMaxAgeMonths: number;
}
