import { NotFoundError } from "../domain/errors";
import { parseIncentiveProgram } from "../domain/incentiveProgram";
import type { IncentiveProgram } from "../domain/incentiveProgram";
import fy20OsuMilestonesV1 from "./programs/fy20-osu-milestones.v1.json";
import highWaterMarkV1 from "./programs/high-water-mark.v1.json";

/**
 * The incentive programs bundled with the app, one JSON file per program version
 * (`programs/<id>.v<version>.json`). Parsed once at module load, so a bad file fails at start-up,
 * not on the first usage reading. A new fiscal year's rules are a new file (a new version or a new
 * id), never an edit of a file associations were already evaluated against.
 */
const bundled: readonly (readonly [file: string, json: unknown])[] = [
  ["fy20-osu-milestones.v1.json", fy20OsuMilestonesV1],
  ["high-water-mark.v1.json", highWaterMarkV1],
];

/** The seed's model; domain.md keeps both selectable. */
export const defaultIncentiveProgramId = "fy20-osu-milestones";

/** Every bundled program version, frozen: callers share these objects. */
export const incentivePrograms: readonly IncentiveProgram[] = Object.freeze(loadAll(bundled));

/**
 * The program with this id: the given version, or the highest one when `version` is left out.
 * Throws NotFoundError naming the id and listing the known ones.
 */
export function getIncentiveProgram(id: string, version?: number): IncentiveProgram {
  const found = incentivePrograms
    .filter((p) => p.id === id && (version === undefined || p.version === version))
    .reduce<IncentiveProgram | undefined>(
      (best, p) => (best && best.version >= p.version ? best : p),
      undefined,
    );
  if (found) return found;
  const wanted = version === undefined ? `"${id}"` : `"${id}" version ${version}`;
  const known = incentivePrograms.map((p) => `${p.id} v${p.version}`).join(", ");
  throw new NotFoundError(`incentive program ${wanted} not found; known programs: ${known}`);
}

function loadAll(files: readonly (readonly [string, unknown])[]): IncentiveProgram[] {
  const programs = files.map(([file, json]) => load(file, json));
  const seen = new Set<string>();
  for (const { id, version } of programs) {
    const key = `${id} v${version}`;
    if (seen.has(key)) throw new Error(`incentive program ${key} is bundled twice`);
    seen.add(key);
  }
  return programs;
}

function load(file: string, json: unknown): IncentiveProgram {
  try {
    return deepFreeze(parseIncentiveProgram(json));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`bundled incentive program ${file} is invalid: ${reason}`, { cause: err });
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
