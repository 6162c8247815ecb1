import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { hostNodeArguments } from "../../src/nodeArguments";

/** A local host running as a child process (`devhost` CLI through tsx), for crash and restart tests. */
export interface HostProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** kill -9: no clean-up of any kind. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Node's own flags for the host, e.g. `--cpu-prof` (not all are allowed in NODE_OPTIONS). */
  nodeFlags?: readonly string[];
  /**
   * The host's stdout and stderr go to this file instead of a pipe to this process. The host writes
   * its log synchronously, and a pipe this process is too busy to drain (a load generator) stalls
   * the host on every line once the pipe is full. `output` then holds the lines up to "ready".
   */
  logFile?: string;
}

export async function spawnHost(
  appDir: string,
  connection: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  options: SpawnOptions = {},
): Promise<HostProcess> {
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, "a");
  const child = spawn(
    process.execPath,
    [
      ...hostNodeArguments((name) => env[name] ?? process.env[name]),
      ...(options.nodeFlags ?? []),
      "--import",
      "tsx",
      "devhost/src/cli.ts",
      appDir,
      "--port",
      "0",
      "--connection",
      connection,
    ],
    { stdio: ["ignore", log ?? "pipe", log ?? "pipe"], env: { ...process.env, ...env } },
  );
  if (log !== undefined) closeSync(log); // the child has its own descriptor
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let poll: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearInterval(poll);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`host did not start:\n${output.join("\n")}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      output.push(line);
      const ready = /ready on (http:\/\/[^\s]+)/.exec(line);
      if (ready?.[1]) {
        finish();
        resolve(ready[1]);
      }
    };
    if (options.logFile !== undefined) {
      const file = options.logFile;
      let read = 0;
      poll = setInterval(() => {
        const lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
        for (const line of lines.slice(read)) onLine(line);
        read = lines.length;
      }, 100);
    }
    if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
    child.once("exit", (code) => {
      finish();
      if (options.logFile !== undefined)
        output.splice(0, output.length, readFileSync(options.logFile, "utf8"));
      reject(new Error(`host exited with ${code}:\n${output.join("\n")}`));
    });
  });
  const exited = () =>
    new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
    );
  return {
    url,
    child,
    output,
    async crash() {
      child.kill("SIGKILL");
      await exited();
    },
    async stop() {
      child.kill("SIGINT");
      await exited();
    },
  };
}
