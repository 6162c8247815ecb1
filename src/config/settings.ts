import { z } from "zod";
import { ValidationError } from "../domain/errors";
import { defaultIncentiveProgramId, getIncentiveProgram } from "./incentivePrograms";

/**
 * The app's settings, read from the environment (Azure Functions app settings; `local.settings.json`
 * locally) and checked once: a bad value stops the app at start-up with the variable named, rather
 * than failing the first request that needs it. Durations and thresholds are configuration.
 */
const environment = z.object({
  AzureWebJobsStorage: z.string().min(1, "must be the storage connection string"),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,30}$/, "must be letters and digits, starting with a letter")
    .optional(),
  POE_MAX_AGE_MONTHS: z.coerce.number().int().min(1).max(60).default(12),
  DISPUTE_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  INCENTIVE_PROGRAM: z
    .string()
    .default(defaultIncentiveProgramId)
    .refine((id) => isKnownProgram(id), "must name a bundled incentive program"),
});

export interface Settings {
  storageConnectionString: string;
  tablePrefix: string | undefined;
  poeMaxAgeMonths: number;
  disputeWindowDays: number;
  incentiveProgramId: string;
}

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  const values = parsed.data;
  return {
    storageConnectionString: values.AzureWebJobsStorage,
    tablePrefix: values.TABLE_PREFIX,
    poeMaxAgeMonths: values.POE_MAX_AGE_MONTHS,
    disputeWindowDays: values.DISPUTE_WINDOW_DAYS,
    incentiveProgramId: values.INCENTIVE_PROGRAM,
  };
}

function isKnownProgram(id: string): boolean {
  try {
    getIncentiveProgram(id);
    return true;
  } catch {
    return false;
  }
}
