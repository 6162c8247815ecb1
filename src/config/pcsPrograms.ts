import { pcsConfig, type PcsConfig } from "../domain/pcs/config";
import fy27 from "./pcs/fy27.json";

/**
 * The Partner Capability Score rules bundled with the app, one JSON file per Microsoft program year
 * (`pcs/fy<yy>.json`). Parsed at module load, so a bad file fails at start-up. A new program year is
 * a new file with its own `effectiveFrom`; the rules in force on a day are the latest that began.
 */
const bundled: readonly (readonly [file: string, json: unknown])[] = [["fy27.json", fy27]];

export const pcsPrograms: readonly PcsConfig[] = Object.freeze(
  bundled
    .map(([file, json]) => load(file, json))
    .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)),
);

/** The rules in force on `day` (YYYY-MM-DD); before the first program year, the first. */
export function pcsProgramOn(day: string): PcsConfig {
  const begun = pcsPrograms.filter((p) => p.effectiveFrom <= day);
  return begun[begun.length - 1] ?? pcsPrograms[0]!;
}

function load(file: string, json: unknown): PcsConfig {
  const parsed = pcsConfig.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `bundled PCS rules ${file} are invalid: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
    );
  return Object.freeze(parsed.data);
}
