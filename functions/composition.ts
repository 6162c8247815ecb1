import { DefaultAzureCredential } from "@azure/identity";
import { loadSettings, type Settings, type StorageSettings } from "../src/config/settings";
import { createStore, type Store } from "../src/store/store";
import type { StorageConnection } from "../src/store/tableStore";

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
      store: createStore(storageConnection(settings.storage), { prefix: settings.tablePrefix }),
    };
  }
  return ports;
}

function storageConnection(storage: StorageSettings): StorageConnection {
  if (storage.kind === "connection-string") return storage.connectionString;
  const credential = new DefaultAzureCredential(
    storage.clientId ? { managedIdentityClientId: storage.clientId } : {},
  );
  return { tableEndpoint: storage.tableEndpoint, credential };
}
