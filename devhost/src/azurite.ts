import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/**
 * Starts Azurite (the `azurite` npm package, from node_modules) as a child process on free loopback
 * ports, for the local host and the tests. In memory unless `location` is given.
 */

/** Azurite's well-known development account (public, documented; not a secret). */
export const devAccountName = "devstoreaccount1";
export const devAccountKey =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** A folder for persistent data; absent = in memory. */
  location?: string;
  /** Fixed ports; absent = free ports chosen now. */
  ports?: { blob: number; queue: number; table: number };
  startupTimeoutMs?: number;
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const ports = options.ports ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const storage = options.location ? ["--location", options.location] : ["--inMemoryPersistence"];
  const child = spawn(
    process.execPath,
    [
      require.resolve("azurite/dist/src/azurite.js"),
      ...storage,
      "--silent",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--blobPort",
      String(ports.blob),
      "--queuePort",
      String(ports.queue),
      "--tablePort",
      String(ports.table),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await waitUntilListening(child, options.startupTimeoutMs ?? 30_000);
  return { connectionString: connectionStringFor(ports), ports, stop: () => stopChild(child) };
}

export function connectionStringFor(ports: { blob: number; queue: number; table: number }): string {
  const endpoint = (port: number) => `http://127.0.0.1:${port}/${devAccountName}`;
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${devAccountName}`,
    `AccountKey=${devAccountKey}`,
    `BlobEndpoint=${endpoint(ports.blob)}`,
    `QueueEndpoint=${endpoint(ports.queue)}`,
    `TableEndpoint=${endpoint(ports.table)}`,
  ].join(";");
}

/** A port the OS just handed out; the tiny race until Azurite binds it is accepted for local use. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Azurite prints one "successfully listening" line per service once it accepts requests. */
function waitUntilListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let listening = 0;
    const output: string[] = [];
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start: ${reason}\n${output.slice(-20).join("\n")}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onLine = (line: string) => {
      output.push(line);
      if (/successfully listening/i.test(line) && ++listening === 3) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => fail(`exited with code ${code}`);
    child.once("exit", onExit);
    if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
