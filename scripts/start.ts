import { spawn, type ChildProcessByStdio } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { hostNodeArguments } from "devhost";
import { effectiveSetting, hostOptions, listeningUrl, publicBaseUrlFor } from "./effectiveSettings";
import { ensureLocalSettings } from "./localSettings";
import { createPartner, keyWorks } from "./partnerClient";

/**
 * `npm start`: runs the built app on the local host (Azurite with data under .data/, or `--data`),
 * then makes sure a demo partner exists and prints its API key, so the README's curl walk-through
 * works at once. Options after `--` go to the host (`npm start -- --port 7072`).
 *
 * Every setting the script uses is read as the host reads it: the environment first, then
 * local.settings.json. PUBLIC_BASE_URL is handed to the host as the URL it listens on unless the
 * operator set it or local.settings.json names a public address (see publicBaseUrlFor).
 * If the demo partner cannot be set up, the script says why and stops the host (exit code 1); it
 * never exits while the host still writes to it.
 */
type Host = ChildProcessByStdio<null, Readable, null>;

async function main(): Promise<number> {
  const file = ensureLocalSettings().Values;
  const args = process.argv.slice(2);
  const options = hostOptions(args);
  const publicBaseUrl = publicBaseUrlFor(
    process.env,
    file,
    options.port === undefined ? undefined : listeningUrl(options.port),
  );
  const host: Host = spawn(
    process.execPath,
    [
      ...hostNodeArguments((name) => effectiveSetting(name, process.env, file)),
      "devhost/dist/cli.js",
      ".",
      "--data",
      options.dataDir,
      ...args,
    ],
    {
      stdio: ["inherit", "pipe", "inherit"],
      env: { ...process.env, ...(publicBaseUrl ? { PUBLIC_BASE_URL: publicBaseUrl } : {}) },
    },
  );
  // The pipe breaks when the host dies abruptly: that is reported by "exit", not thrown here.
  host.stdout.on("error", () => undefined);
  const exited = new Promise<number>((resolve) => host.once("exit", (code) => resolve(code ?? 0)));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => host.kill(signal));

  const url = await Promise.race([readyUrl(host), exited.then(() => undefined)]);
  if (url === undefined) return exited; // the host could not start; it said why
  try {
    const adminKey = effectiveSetting("ADMIN_API_KEY", process.env, file) ?? "";
    printDemo(url, await demoPartner(url, adminKey, options.dataDir));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint = /\b40[013]\b|ADMIN_API_KEY/.test(reason)
      ? "\nThe host uses ADMIN_API_KEY from the environment when it is set there, else from local.settings.json."
      : "";
    console.error(
      `\nnpm start: the demo partner could not be set up: ${reason}${hint}\nStopping the host.\n`,
    );
    host.kill("SIGINT");
    await exited;
    return 1;
  }
  return exited;
}

/** Echoes the host's output and resolves with the URL of its "ready on" line. */
function readyUrl(host: Host): Promise<string> {
  return new Promise((resolve) => {
    createInterface({ input: host.stdout }).on("line", (line) => {
      console.log(line);
      const ready = /ready on (http:\/\/\S+)/.exec(line);
      if (ready?.[1]) resolve(ready[1]);
    });
  });
}

async function demoPartner(
  url: string,
  adminKey: string,
  dataDir: string,
): Promise<{ partnerId: string; apiKey: string }> {
  const demoFile = path.join(dataDir, "demo-partner.json");
  if (existsSync(demoFile)) {
    const saved = JSON.parse(readFileSync(demoFile, "utf8")) as { partnerId: string; apiKey: string };
    if (await keyWorks(url, saved.apiKey)) return saved;
  }
  const created = await createPartner(url, adminKey, {
    name: "Demo Partner Ltd",
    partnerLocationId: "4871234",
  });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(demoFile, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return created;
}

function printDemo(url: string, demo: { partnerId: string; apiKey: string }): void {
  console.log(
    [
      "",
      `demo partner: ${demo.partnerId} (partner location ID 4871234)`,
      `API key:      ${demo.apiKey}`,
      `dashboard:    ${url}/ (sign in with the API key)`,
      `try:          curl -H "Authorization: ApiKey ${demo.apiKey}" ${url}/api/v1/associations`,
      `OpenAPI:      ${url}/api/v1/openapi.json`,
      "",
    ].join("\n"),
  );
}

// Output piped to a reader that went away must not turn into an unhandled EPIPE.
process.stdout.on("error", () => undefined);
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
