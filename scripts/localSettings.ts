import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * `local.settings.json` for running locally: made once from `local.settings.example.json` with
 * fresh secrets (consent signing key, admin key, host master key). Later starts add settings the
 * example gained since (a newer version of the app), and never change the developer's own values.
 */
export const localSettingsFile = "local.settings.json";

export interface LocalSettings {
  Values: Record<string, string>;
}

const secrets = ["CONSENT_SIGNING_KEY", "ADMIN_API_KEY", "DEVHOST_MASTER_KEY"];

export function ensureLocalSettings(): LocalSettings {
  const example = JSON.parse(readFileSync("local.settings.example.json", "utf8")) as LocalSettings &
    Record<string, unknown>;
  const existing = existsSync(localSettingsFile)
    ? (JSON.parse(readFileSync(localSettingsFile, "utf8")) as LocalSettings & Record<string, unknown>)
    : undefined;
  const values: Record<string, string> = { ...example.Values, ...(existing?.Values ?? {}) };
  for (const name of secrets) values[name] ??= randomBytes(32).toString("base64url");
  const added = Object.keys(values).filter((name) => existing?.Values[name] === undefined);
  if (!existing || added.length > 0) {
    writeFileSync(
      localSettingsFile,
      `${JSON.stringify({ ...example, ...existing, Values: values }, null, 2)}\n`,
    );
    console.log(
      existing
        ? `${localSettingsFile}: added ${added.join(", ")}`
        : `created ${localSettingsFile} with fresh secrets`,
    );
  }
  return { Values: values };
}
