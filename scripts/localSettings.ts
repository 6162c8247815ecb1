import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * `local.settings.json` for running locally: made once from `local.settings.example.json` with
 * fresh secrets (consent signing key, admin key, host master key), then left to the developer.
 */
export const localSettingsFile = "local.settings.json";

export interface LocalSettings {
  Values: Record<string, string>;
}

export function ensureLocalSettings(): LocalSettings {
  if (!existsSync(localSettingsFile)) {
    const example = JSON.parse(readFileSync("local.settings.example.json", "utf8")) as LocalSettings &
      Record<string, unknown>;
    const secret = () => randomBytes(32).toString("base64url");
    example.Values = {
      ...example.Values,
      CONSENT_SIGNING_KEY: secret(),
      ADMIN_API_KEY: secret(),
      DEVHOST_MASTER_KEY: secret(),
    };
    writeFileSync(localSettingsFile, `${JSON.stringify(example, null, 2)}\n`);
    console.log(`created ${localSettingsFile} with fresh secrets`);
  }
  return JSON.parse(readFileSync(localSettingsFile, "utf8")) as LocalSettings;
}
