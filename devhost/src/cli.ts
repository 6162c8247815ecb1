#!/usr/bin/env node
import { parseArgs } from "node:util";
import { consoleLogger, startHost } from "./host";

/**
 * `devhost [appDir] [--port 7071] [--connection <storage connection string>] [--data <dir>]`:
 * runs an Azure Functions v4 Node.js app locally. Without --connection it starts Azurite from
 * node_modules (in memory, or persistent under --data). Ctrl-C stops it cleanly.
 */
const usage =
  "usage: devhost [appDir] [--port 7071] [--connection <storage connection string>] [--data <dir>]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string", default: "7071" },
      connection: { type: "string" },
      data: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be a port number\n${usage}`);
  if (positionals.length > 1) throw new Error(usage);
  const logger = consoleLogger();
  const host = await startHost({
    appDir: positionals[0] ?? ".",
    port,
    ...(values.connection ? { connection: values.connection } : {}),
    ...(values.data ? { dataDir: values.data } : {}),
    logger,
  });
  logger.info(`devhost: ready on ${host.url} (health: ${host.url}/admin/host/status); Ctrl-C stops`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`devhost: ${signal}, stopping`);
    host.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`devhost: stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
