import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * `local.settings.json` for running locally: made once from `local.settings.example.json` with
 * fresh secrets (consent signing key, admin key, host master key, the key sealing stored secrets). Later starts add settings the
 * example gained since (a newer version of the app), and never change the developer's own values.
 */
export const localSettingsFile = "local.settings.json";

export interface LocalSettings {
  Values: Record<string, string>;
}

/** Each generated secret and how it is made: SECRETS_KEY is an AES-256 key, base64 of 32 bytes. */
const secrets: Readonly<Record<string, () => string>> = {
  CONSENT_SIGNING_KEY: () => randomBytes(32).toString("base64url"),
  ADMIN_API_KEY: () => randomBytes(32).toString("base64url"),
  DEVHOST_MASTER_KEY: () => randomBytes(32).toString("base64url"),
  SECRETS_KEY: () => randomBytes(32).toString("base64"),
};

export function ensureLocalSettings(): LocalSettings {
  const example = JSON.parse(readFileSync("local.settings.example.json", "utf8")) as LocalSettings &
    Record<string, unknown>;
  const existing = existsSync(localSettingsFile)
    ? (JSON.parse(readFileSync(localSettingsFile, "utf8")) as LocalSettings & Record<string, unknown>)
    : undefined;
  const values: Record<string, string> = { ...example.Values, ...(existing?.Values ?? {}) };
  for (const [name, generate] of Object.entries(secrets)) values[name] ??= generate();
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
