/**
 * The Node.js arguments a local host process is started with (`npm start`, the tests' and the
 * benchmarks' host processes). The host's V8 old space is capped, as the memory of an instance of
 * the Flex Consumption plan caps a worker there: left alone on a large machine, V8 lets garbage
 * accumulate up to gigabytes before it collects, so the host's footprint says nothing about what
 * the app needs. `DEVHOST_MAX_OLD_SPACE_MB` (environment first, then local.settings.json) sets the
 * cap; the default fits a host with its caches in a 512 MiB instance.
 */
export const maxOldSpaceSetting = "DEVHOST_MAX_OLD_SPACE_MB";
export const defaultMaxOldSpaceMb = 256;

export function hostNodeArguments(configured: string | undefined = undefined): string[] {
  return [`--max-old-space-size=${maxOldSpaceMb(configured)}`];
}

function maxOldSpaceMb(configured: string | undefined): number {
  if (configured === undefined || configured.trim() === "") return defaultMaxOldSpaceMb;
  const mb = Number(configured);
  if (!Number.isInteger(mb) || mb < 64)
    throw new Error(
      `${maxOldSpaceSetting} must be a whole number of megabytes, at least 64 (got "${configured}")`,
    );
  return mb;
}
