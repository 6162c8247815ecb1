import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { glob } from "tinyglobby";
import { createFunctionsCore, installFunctionsCore, type CoreState } from "./functionsCore";
import { FunctionRegistry } from "./registry";

/**
 * Loads an Azure Functions v4 Node.js app: its `package.json` `main` (a file or globs), with
 * `@azure/functions-core` resolvable first, so every `app.*` / `df.app.*` registration is captured
 * with its real binding metadata.
 */
export interface LoadedApp {
  dir: string;
  files: string[];
  registry: FunctionRegistry;
  core: CoreState;
}

let loaded: string | undefined;

export async function loadApp(appDir: string, log: (line: string) => void): Promise<LoadedApp> {
  const dir = path.resolve(appDir);
  // `@azure/functions` keeps the first core module it found, and Node caches the app's modules.
  if (loaded) throw new Error(`an app (${loaded}) is already loaded in this process: one app per process`);
  loaded = dir;
  const files = await entryFiles(dir);
  const registry = new FunctionRegistry();
  const core = createFunctionsCore(registry, log);
  installFunctionsCore(core.api);
  const load = createRequire(path.join(dir, "package.json"));
  for (const file of files) load(file);
  if (registry.all().length === 0)
    throw new Error(`the app in ${dir} registered no functions (main: ${files.join(", ")})`);
  return { dir, files, registry, core };
}

/** `main` may be one file or a glob (`dist/src/functions/*.js`), as the Functions host allows. */
async function entryFiles(dir: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { main?: unknown };
  if (typeof pkg.main !== "string" || pkg.main === "")
    throw new Error(`${dir}/package.json has no "main": the host cannot find the app's functions`);
  const files = (await glob(pkg.main, { cwd: dir, absolute: true, onlyFiles: true })).sort();
  if (files.length === 0)
    throw new Error(`package.json "main" (${pkg.main}) matches no file in ${dir}; is the app built?`);
  return files;
}
