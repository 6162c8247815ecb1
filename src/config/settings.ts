import { z } from "zod";
import { ValidationError, type FieldIssue } from "../domain/errors";
import { defaultIncentiveProgramId, getIncentiveProgram } from "./incentivePrograms";

/**
 * The app's settings, read from the environment (Azure Functions app settings; `local.settings.json`
 * locally) and checked once: a bad value stops the app at start-up with the variable named, rather
 * than failing the first request that needs it. Durations and thresholds are configuration.
 */
const environment = z.object({
  /** A connection string (Azurite, account keys)… */
  AzureWebJobsStorage: z.string().min(1).optional(),
  /** …or an identity-based connection, named as the Functions host names them. */
  AzureWebJobsStorage__accountName: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name")
    .optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: z.string().optional(),
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

/** Where state lives: a connection string, or an endpoint reached with the app's Entra ID identity. */
export type StorageSettings =
  | { kind: "connection-string"; connectionString: string }
  | { kind: "identity"; tableEndpoint: string; clientId: string | undefined };

export interface Settings {
  storage: StorageSettings;
  tablePrefix: string | undefined;
  poeMaxAgeMonths: number;
  disputeWindowDays: number;
  incentiveProgramId: string;
}

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = environment.safeParse(env);
  const issues: FieldIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  if (
    !env.AzureWebJobsStorage &&
    !env.AzureWebJobsStorage__accountName &&
    !env.AzureWebJobsStorage__tableServiceUri
  )
    issues.push({
      path: "AzureWebJobsStorage",
      message: "must be a connection string, or set AzureWebJobsStorage__accountName for a managed identity",
    });
  if (!parsed.success || issues.length > 0) throw new ValidationError(issues);
  const values = parsed.data;
  return {
    storage: storageSettings(values),
    tablePrefix: values.TABLE_PREFIX,
    poeMaxAgeMonths: values.POE_MAX_AGE_MONTHS,
    disputeWindowDays: values.DISPUTE_WINDOW_DAYS,
    incentiveProgramId: values.INCENTIVE_PROGRAM,
  };
}

/** A connection string wins when both are set, as it does in the Functions host. */
function storageSettings(values: z.infer<typeof environment>): StorageSettings {
  if (values.AzureWebJobsStorage)
    return { kind: "connection-string", connectionString: values.AzureWebJobsStorage };
  const tableEndpoint =
    values.AzureWebJobsStorage__tableServiceUri ??
    `https://${values.AzureWebJobsStorage__accountName}.table.core.windows.net`;
  return { kind: "identity", tableEndpoint, clientId: values.AzureWebJobsStorage__clientId };
}

function isKnownProgram(id: string): boolean {
  try {
    getIncentiveProgram(id);
    return true;
  } catch {
    return false;
  }
}
