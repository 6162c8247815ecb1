import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { ensureLocalSettings } from "./localSettings";
import { createPartner, keyWorks } from "./partnerClient";

/**
 * `npm start`: runs the built app on the local host (Azurite with data under .data/), then makes
 * sure a demo partner exists and prints its API key, so the README's curl walk-through works at
 * once. Options after `--` go to the host (`npm start -- --port 7072`).
 */
const demoFile = ".data/demo-partner.json";

async function main(): Promise<void> {
  const settings = ensureLocalSettings();
  const args = process.argv.slice(2);
  const host = spawn(process.execPath, ["dist/src/devhost/cli.js", ".", "--data", ".data", ...args], {
    stdio: ["inherit", "pipe", "inherit"],
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => host.kill(signal));
  host.on("exit", (code) => process.exit(code ?? 0));
  const url = await new Promise<string>((resolve) => {
    createInterface({ input: host.stdout }).on("line", (line) => {
      console.log(line);
      const ready = /ready on (http:\/\/\S+)/.exec(line);
      if (ready?.[1]) resolve(ready[1]);
    });
  });
  const adminKey = settings.Values["ADMIN_API_KEY"] ?? "";
  const demo = await demoPartner(url, adminKey);
  console.log(
    [
      "",
      `demo partner: ${demo.partnerId} (partner location ID 4871234)`,
      `API key:      ${demo.apiKey}`,
      `try:          curl -H "Authorization: ApiKey ${demo.apiKey}" ${url}/api/v1/associations`,
      `OpenAPI:      ${url}/api/v1/openapi.json`,
      "",
    ].join("\n"),
  );
}

async function demoPartner(url: string, adminKey: string): Promise<{ partnerId: string; apiKey: string }> {
  if (existsSync(demoFile)) {
    const saved = JSON.parse(readFileSync(demoFile, "utf8")) as { partnerId: string; apiKey: string };
    if (await keyWorks(url, saved.apiKey)) return saved;
  }
  const created = await createPartner(url, adminKey, {
    name: "Demo Partner Ltd",
    partnerLocationId: "4871234",
  });
  mkdirSync(".data", { recursive: true });
  writeFileSync(demoFile, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return created;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
