import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `npm start` as a developer runs it (`scripts/start.ts` through tsx, the app built by globalSetup),
 * in a scratch folder that links the build and node_modules, so the developer's own
 * local.settings.json and .data/ are never read or written. The operator sets ADMIN_API_KEY in the
 * environment, which must win over the fresh one written to local.settings.json.
 */
const repo = path.resolve(__dirname, "../../..");
const linked = [
  "dist",
  "devhost",
  "node_modules",
  "package.json",
  "host.json",
  "local.settings.example.json",
  "tsconfig.json",
];

interface StartedScript {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const started: StartedScript[] = [];
const scratch: string[] = [];

afterEach(() => {
  // A script that did not stop its host leaves the host and Azurite behind, in the process group
  // the test started: end that group, whether or not the script itself is still there.
  for (const { child } of started.splice(0))
    if (child.pid !== undefined)
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // the whole group is gone already
      }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("uses ADMIN_API_KEY from the environment, prints a working demo key, links to its own port, and stops on SIGINT", async () => {
    const port = await freePort();
    const script = startScript(["--port", String(port)], {
      ADMIN_API_KEY: randomBytes(24).toString("base64url"),
    });
    const apiKey = await lineMatching(script, /^API key:\s+(\S+)/);
    const url = `http://127.0.0.1:${port}`;

    const associations = await fetch(`${url}/api/v1/associations`, {
      headers: { authorization: `ApiKey ${apiKey}` },
    });
    expect(associations.status).toBe(200);
    // PUBLIC_BASE_URL (links in emails, the OpenAPI server) follows the port the host listens on.
    const openApi = (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as {
      servers: { url: string }[];
    };
    expect(openApi.servers[0]?.url).toBe(`${url}/api/v1`);

    script.child.kill("SIGINT");
    expect(await within(script.exited, 20_000)).toBe(0);
    expect(script.output.filter((line) => /EPIPE|Unhandled 'error'/.test(line))).toEqual([]);
    await expect(fetch(`${url}/admin/host/status`)).rejects.toThrow();
  });

  it("says why when the demo partner cannot be set up, and stops the host cleanly", async () => {
    const port = await freePort();
    // Too short for the app's settings: the admin API cannot work, so creating the partner fails.
    const script = startScript(["--port", String(port)], { ADMIN_API_KEY: "too-short" });
    expect(await within(script.exited, 40_000)).toBe(1);
    expect(script.output.join("\n")).toMatch(/demo partner/i);
    expect(script.output.filter((line) => /EPIPE|Unhandled 'error'/.test(line))).toEqual([]);
    expect(script.output.some((line) => /devhost: SIGINT, stopping/.test(line))).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/admin/host/status`)).rejects.toThrow();
  });
});

/** Runs scripts/start.ts in a fresh scratch folder, in its own process group. */
function startScript(args: string[], env: Record<string, string>): StartedScript {
  const dir = mkdtempSync(path.join(tmpdir(), "npm-start-"));
  scratch.push(dir);
  for (const name of linked) symlinkSync(path.join(repo, name), path.join(dir, name));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repo, "scripts/start.ts"), ...args], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...env },
  });
  const output: string[] = [];
  if (child.stdout) createInterface({ input: child.stdout }).on("line", (line) => output.push(line));
  if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const script = { child, output, exited };
  started.push(script);
  return script;
}

/** The first capture of the first output line matching `pattern`; fails if the script exits first. */
async function lineMatching(script: StartedScript, pattern: RegExp, timeoutMs = 40_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void script.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    for (const line of script.output) {
      const match = pattern.exec(line);
      if (match?.[1]) return match[1];
    }
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no line matching ${String(pattern)}:\n${script.output.join("\n")}`);
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms)),
  ]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
