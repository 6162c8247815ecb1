import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * What the host reads from the app's `host.json` and `local.settings.json`, with the Functions
 * host's defaults where a value is absent.
 */
export interface HostConfig {
  routePrefix: string;
  /** host.json `functionTimeout`; undefined = unbounded ("-1"). */
  functionTimeoutMs: number | undefined;
  queues: {
    batchSize: number;
    newBatchThreshold: number;
    maxDequeueCount: number;
    visibilityTimeoutMs: number;
    maxPollingIntervalMs: number;
  };
  durable: { hubName: string };
}

/** .NET TimeSpan text as host.json writes it: `[d.]hh:mm:ss[.fff]`. */
export function parseTimeSpan(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a TimeSpan (expected [d.]hh:mm:ss[.fff])`);
  const [, days = "0", hours = "0", minutes = "0", seconds = "0", fraction = "0"] = match;
  const ms = Number(`0.${fraction}`) * 1000;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + ms;
}

const timeSpan = z.string().transform((text, ctx) => {
  try {
    return parseTimeSpan(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

const hostJson = z.looseObject({
  functionTimeout: z.union([z.literal("-1"), timeSpan]).optional(),
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      queues: z
        .looseObject({
          batchSize: z.number().int().min(1).max(32).optional(),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxDequeueCount: z.number().int().min(1).optional(),
          visibilityTimeout: timeSpan.optional(),
          maxPollingInterval: timeSpan.optional(),
        })
        .optional(),
      durableTask: z
        .looseObject({
          hubName: z
            .string()
            // A name, or a %setting% that holds one (resolved when the host starts).
            .regex(/^(?:[A-Za-z][A-Za-z0-9]{2,44}|%[^%]+%)$/)
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

export async function readHostConfig(
  appDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostConfig> {
  const raw = withSettingOverrides((await readJson(path.join(appDir, "host.json"))) ?? {}, env);
  const parsed = hostJson.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `host.json: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const { functionTimeout, extensions } = parsed.data;
  const queues = extensions?.queues;
  const batchSize = queues?.batchSize ?? 16;
  return {
    routePrefix: (extensions?.http?.routePrefix ?? "api").replace(/^\/+|\/+$/g, ""),
    functionTimeoutMs: functionTimeout === "-1" ? undefined : (functionTimeout ?? 30 * 60_000),
    queues: {
      batchSize,
      newBatchThreshold: queues?.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxDequeueCount: queues?.maxDequeueCount ?? 5,
      visibilityTimeoutMs: queues?.visibilityTimeout ?? 0,
      maxPollingIntervalMs: queues?.maxPollingInterval ?? 2_000,
    },
    durable: { hubName: extensions?.durableTask?.hubName ?? "TestHubName" },
  };
}

/**
 * App settings named `AzureFunctionsJobHost__<path>` override host.json values, as in the Functions
 * host (`AzureFunctionsJobHost__extensions__queues__visibilityTimeout=00:00:05`). Numbers and
 * booleans are read as such; everything else stays text.
 */
export function withSettingOverrides(hostJson: unknown, env: NodeJS.ProcessEnv): unknown {
  const root = structuredClone(typeof hostJson === "object" && hostJson !== null ? hostJson : {}) as Record<
    string,
    unknown
  >;
  for (const [name, value] of Object.entries(env)) {
    const match = /^AzureFunctionsJobHost__(.+)$/i.exec(name);
    if (!match?.[1] || value === undefined) continue;
    const keys = match[1].split("__");
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node = (node[key] = typeof next === "object" && next !== null ? next : {}) as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = /^(?:-?\d+(?:\.\d+)?|true|false)$/.test(value)
      ? (JSON.parse(value) as unknown)
      : value;
  }
  return root;
}

/**
 * Copies `local.settings.json` `Values` into `env`; variables already set win, as with Core Tools.
 * Returns the names it set.
 */
export async function applyLocalSettings(
  appDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const raw = await readJson(path.join(appDir, "local.settings.json"));
  const values =
    z
      .object({ Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
      .parse(raw ?? {}).Values ?? {};
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined) continue;
    env[name] = String(value);
    applied.push(name);
  }
  return applied;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
