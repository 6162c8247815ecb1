import { createHash, randomBytes } from "node:crypto";

/**
 * Partner API keys: 32 random bytes, shown once at creation, stored only as a SHA-256 hash (a
 * high-entropy secret needs no slow hash). Sent as `Authorization: ApiKey <key>`.
 */
export function generateApiKey(): string {
  return `por_${randomBytes(32).toString("base64url")}`;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The key in an Authorization header, or undefined when the header is absent or another scheme. */
export function apiKeyFrom(authorization: string | null): string | undefined {
  const match = /^ApiKey\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}
