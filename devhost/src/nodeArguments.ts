/**
 * The Node.js arguments a local host process is started with (`npm start`, the tests' and the
 * benchmarks' host processes), from two settings (environment first, then local.settings.json):
 * - `DEVHOST_MAX_OLD_SPACE_MB` caps the host's V8 old space, as the memory of an instance of the
 *   Flex Consumption plan caps a worker there: left alone on a large machine, V8 lets garbage
 *   accumulate up to gigabytes before it collects, so the host's footprint says nothing about what
 *   the app needs. The default fits a host with its caches in a 512 MiB instance.
 * - `DEVHOST_MAX_SEMI_SPACE_MB` sizes each semi-space of V8's young generation, where a request's
 *   short-lived objects live. The host allocates a few hundred kilobytes per API request (the
 *   Storage SDK's pipeline, the Functions model's request and response); with V8's default on a
 *   small machine it collects the young generation several times a second under load, each pause
 *   held by every request in flight. 32 MB makes those pauses rarer at the cost of at most a few
 *   tens of MB of memory.
 */
export const maxOldSpaceSetting = "DEVHOST_MAX_OLD_SPACE_MB";
export const maxSemiSpaceSetting = "DEVHOST_MAX_SEMI_SPACE_MB";
export const defaultMaxOldSpaceMb = 256;
export const defaultMaxSemiSpaceMb = 32;

/** `setting` answers a setting's configured value (environment first, then local.settings.json). */
export function hostNodeArguments(setting: (name: string) => string | undefined): string[] {
  const oldSpace = megabytes(maxOldSpaceSetting, setting(maxOldSpaceSetting), defaultMaxOldSpaceMb, 64);
  const semiSpace = megabytes(maxSemiSpaceSetting, setting(maxSemiSpaceSetting), defaultMaxSemiSpaceMb, 1);
  return [`--max-old-space-size=${oldSpace}`, `--max-semi-space-size=${semiSpace}`];
}

function megabytes(name: string, configured: string | undefined, fallback: number, least: number): number {
  if (configured === undefined || configured.trim() === "") return fallback;
  const mb = Number(configured);
  if (!Number.isInteger(mb) || mb < least)
    throw new Error(`${name} must be a whole number of megabytes, at least ${least} (got "${configured}")`);
  return mb;
}
