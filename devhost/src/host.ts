import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { loadApp, type LoadedApp } from "./appLoader";
import { resolveSettings } from "./appSettings";
import { startAzurite, type RunningAzurite } from "./azurite";
import { ActivityDispatcher } from "./durable/activityDispatcher";
import { createManagementApi, durableClientPayload } from "./durable/managementApi";
import { OrchestrationDispatcher } from "./durable/orchestrationDispatcher";
import type { TimerSettings } from "./durable/orchestrationTurn";
import { TaskHub } from "./durable/taskHub";
import { applyLocalSettings, readHostConfig, type HostConfig } from "./hostConfig";
import { startHttpServer, type HttpServer } from "./http/server";
import { Invoker, type Logger } from "./invoker";
import { writeOutputBindings } from "./triggers/outputBindings";
import { startQueueTriggers } from "./triggers/queueTriggers";
import { startTimerTriggers } from "./triggers/timerTriggers";

/**
 * The local host: loads an Azure Functions v4 Node.js app and runs it with its HTTP, timer, queue
 * and Durable triggers on one storage account (Azurite started here unless a connection is given).
 * One app per process: `@azure/functions` caches the core module it registers with.
 */
export interface HostOptions {
  appDir: string;
  /** 0 = any free port. */
  port: number;
  /** A storage connection string; absent = start Azurite from node_modules. */
  connection?: string;
  /** Azurite's data folder when started here; absent = in memory. */
  dataDir?: string;
  logger?: Logger;
  /** Durable's short-timer limit and long-timer interval (Azure Storage: 6 days / 3 days). */
  timers?: Partial<TimerSettings>;
  /** Leases on received durable messages, in seconds (how soon another host may retry them). */
  leases?: { controlSeconds?: number; workItemSeconds?: number };
  /** How long a status row that only moves its time on may wait to be written, in ms (default 200). */
  statusRowQuietMs?: number;
}

export interface RunningHost {
  url: string;
  port: number;
  connectionString: string;
  app: LoadedApp;
  config: HostConfig;
  hub: TaskHub;
  keys: { master: string; function: string[] };
  stop(): Promise<void>;
}

export const defaultTimers: TimerSettings = {
  maximumShortTimerMs: 6 * 24 * 3600_000,
  longRunningTimerIntervalMs: 3 * 24 * 3600_000,
};

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const logger = options.logger ?? consoleLogger();
  const appDir = path.resolve(options.appDir);
  await applyLocalSettings(appDir);
  const config = await readHostConfig(appDir);
  const azurite = options.connection ? undefined : await startStorage(options.dataDir);
  const connectionString = options.connection ?? (azurite as RunningAzurite).connectionString;
  // The app's storage bindings read this setting; a started Azurite's ports are known only now.
  process.env["AzureWebJobsStorage"] = connectionString;
  const keys = hostKeys();
  const app = await loadApp(appDir, (line) => logger.info(line));
  const invoker = new Invoker(app.core, logger, config.functionTimeoutMs);
  const hub = new TaskHub(connectionString, taskHubName(config.durable.hubName));
  await hub.ensure();

  let baseUrl = "";
  invoker.provideInput("durableClient", () => ({
    string: JSON.stringify(durableClientPayload(baseUrl, hub.hubName)),
  }));
  const afterInvocation = (
    fn: Parameters<typeof writeOutputBindings>[0],
    response: Parameters<typeof writeOutputBindings>[1],
  ) => writeOutputBindings(fn, response, process.env);
  const http: HttpServer = await startHttpServer({
    registry: app.registry,
    invoker,
    routePrefix: config.routePrefix,
    port: options.port,
    keys,
    extraRoutes: createManagementApi({ hub, registry: app.registry, baseUrl: () => baseUrl }),
    afterInvocation,
    log: logger,
  });
  baseUrl = http.url;
  // The SDK rewrites client URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host.
  process.env["WEBSITE_HOSTNAME"] = new URL(http.url).host;

  const timers = { ...defaultTimers, ...options.timers };
  const orchestrations = new OrchestrationDispatcher({
    hub,
    registry: app.registry,
    invoker,
    log: logger,
    timers,
    leaseSeconds: options.leases?.controlSeconds ?? envSeconds("DEVHOST_CONTROL_LEASE_SECONDS", 30),
    ...(options.statusRowQuietMs === undefined ? {} : { statusRowQuietMs: options.statusRowQuietMs }),
  });
  const activities = new ActivityDispatcher({
    hub,
    registry: app.registry,
    invoker,
    log: logger,
    leaseSeconds: options.leases?.workItemSeconds ?? envSeconds("DEVHOST_WORKITEM_LEASE_SECONDS", 300),
  });
  orchestrations.start();
  activities.start();
  const log = (line: string) => logger.info(line);
  const queueTriggers = await startQueueTriggers({
    registry: app.registry,
    invoker,
    queues: config.queues,
    env: process.env,
    log,
    onOutput: afterInvocation,
  });
  const timerTriggers = startTimerTriggers({
    registry: app.registry,
    invoker,
    log,
    onOutput: afterInvocation,
  });
  logger.info(
    `devhost: ${app.registry.all().length} functions from ${appDir} on ${http.url} (storage ${azurite ? "Azurite" : "given connection"})`,
  );

  return {
    url: http.url,
    port: http.port,
    connectionString,
    app,
    config,
    hub,
    keys,
    async stop() {
      await http.close();
      await Promise.all([
        timerTriggers.stop(),
        queueTriggers.stop(),
        orchestrations.stop(),
        activities.stop(),
      ]);
      await azurite?.stop();
    },
  };
}

async function startStorage(dataDir: string | undefined): Promise<RunningAzurite> {
  if (!dataDir) return startAzurite();
  const location = path.resolve(dataDir, "azurite");
  await mkdir(location, { recursive: true });
  return startAzurite({ location });
}

/**
 * Keys for `function` and `admin` routes: `DEVHOST_MASTER_KEY` and `DEVHOST_FUNCTION_KEYS`
 * (comma-separated) from the settings, or a random master key printed at start.
 */
function hostKeys(): { master: string; function: string[] } {
  const master = process.env["DEVHOST_MASTER_KEY"] || randomBytes(24).toString("base64url");
  const functionKeys = (process.env["DEVHOST_FUNCTION_KEYS"] ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  return { master, function: functionKeys };
}

/** host.json's hub name, with a `%setting%` resolved as the Durable extension resolves it. */
function taskHubName(configured: string): string {
  const name = resolveSettings(configured, process.env, "host.json durableTask.hubName");
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(name))
    throw new Error(`task hub name "${name}" must be 3-45 letters and digits, starting with a letter`);
  return name;
}

/** A lease length from the settings (how soon a crashed host's messages are retried elsewhere). */
function envSeconds(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function consoleLogger(): Logger {
  const stamp = () => new Date().toISOString();
  return {
    info: (line) => console.log(`${stamp()} ${line}`),
    error: (line) => console.error(`${stamp()} ${line}`),
  };
}
