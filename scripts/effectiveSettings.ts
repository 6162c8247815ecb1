import { parseArgs } from "node:util";

/**
 * What `npm start` decides before it starts the host, as pure functions of the environment, the
 * values in local.settings.json and the options passed through to the host.
 *
 * Azure's order holds everywhere: an app setting in the environment wins over local.settings.json
 * (the host applies the file only to names the environment lacks), so the start script must read
 * every value the same way, or it talks to the host with a key the host does not use.
 */
export type SettingValues = Readonly<Record<string, string | undefined>>;

/** The value the host runs with: the environment's (even an empty one), else local.settings.json's. */
export function effectiveSetting(name: string, env: SettingValues, file: SettingValues): string | undefined {
  return env[name] !== undefined ? env[name] : file[name];
}

/** The host's default port (the Functions host's). */
export const defaultPort = 7071;

export interface HostOptions {
  /** The port the host will listen on; undefined when not known before start (`--port 0`, or not a number). */
  port: number | undefined;
  /** Where the host keeps Azurite's data and the script keeps the demo partner. */
  dataDir: string;
}

/** The options the script needs from those passed through to the host (`npm start -- --port 7072`). */
export function hostOptions(args: readonly string[]): HostOptions {
  const { values } = parseArgs({
    args: [...args],
    options: { port: { type: "string" }, data: { type: "string" } },
    strict: false,
    allowPositionals: true,
  });
  const port = typeof values.port === "string" ? Number(values.port) : defaultPort;
  return {
    port: Number.isInteger(port) && port > 0 && port <= 65_535 ? port : undefined,
    dataDir: typeof values.data === "string" ? values.data : ".data",
  };
}

/** The URL the host serves on a given port (it listens on the IPv4 loopback address). */
export function listeningUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Whether a URL points at this machine (localhost, 127.0.0.0/8, ::1); not a URL → false. */
export function isLoopbackUrl(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return false;
  }
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * The PUBLIC_BASE_URL to hand the host (links in emails, the OpenAPI server), or undefined to hand
 * nothing and let the host read the setting as usual:
 * - an operator's value in the environment always wins, whatever it is;
 * - a value in local.settings.json that is not on loopback (a tunnel URL) is kept;
 * - a loopback value (the example's http://127.0.0.1:7071) or none becomes the URL the host really
 *   listens on, so `--port 7072` does not leave customers with links to port 7071.
 * `listening` is undefined when the port is not known before start: then nothing is handed over.
 */
export function publicBaseUrlFor(
  env: SettingValues,
  file: SettingValues,
  listening: string | undefined,
): string | undefined {
  if (env["PUBLIC_BASE_URL"] !== undefined || listening === undefined) return undefined;
  const configured = file["PUBLIC_BASE_URL"];
  if (configured !== undefined && configured !== "" && !isLoopbackUrl(configured)) return undefined;
  return listening;
}
