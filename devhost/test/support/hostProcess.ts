import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** A local host running as a child process (`devhost` CLI through tsx), for crash and restart tests. */
export interface HostProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** kill -9: no clean-up of any kind. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnHost(
  appDir: string,
  connection: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  /** Node's own flags for the host, e.g. `--cpu-prof` (not all are allowed in NODE_OPTIONS). */
  nodeFlags: readonly string[] = [],
): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      "--import",
      "tsx",
      "devhost/src/cli.ts",
      appDir,
      "--port",
      "0",
      "--connection",
      connection,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output.join("\n")}`)), timeoutMs);
    const onLine = (line: string) => {
      output.push(line);
      const ready = /ready on (http:\/\/[^\s]+)/.exec(line);
      if (ready?.[1]) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
    child.once("exit", (code) => {
      clearTimeout(timer);
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
