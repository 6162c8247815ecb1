import { loadSettings, type Settings } from "../src/config/settings";
import { createStore, type Store } from "../src/store/store";

/**
 * The one place that wires real adapters to the functions. Built lazily on first use, so loading
 * the app (for registration) never touches storage, and a settings error names the variable.
 */
export interface Ports {
  settings: Settings;
  store: Store;
}

let ports: Ports | undefined;

export function getPorts(): Ports {
  if (!ports) {
    const settings = loadSettings();
    ports = {
      settings,
      store: createStore(settings.storageConnectionString, { prefix: settings.tablePrefix }),
    };
  }
  return ports;
}
