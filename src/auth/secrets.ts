import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { NonRetriableError, NotConfiguredError } from "../domain/errors";

/**
 * Secrets the service must keep to act later (a PAL identity's client secret, for re-verification)
 * are stored sealed: AES-256-GCM with the key from setting SECRETS_KEY, a fresh 96-bit nonce per
 * seal, and `context` bound as additional authenticated data, so a sealed value copied onto another
 * record (another partner's link) does not open there. Format: `v1.<nonce>.<ciphertext>.<tag>`,
 * each base64url. The plaintext is never logged; errors name what failed, never the value.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

const version = "v1";

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("SECRETS_KEY must be 32 bytes (AES-256)");
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [version, nonce, body, cipher.getAuthTag()]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, context) {
      const [v, nonce, body, tag] = sealed.split(".");
      if (v !== version || nonce === undefined || body === undefined || tag === undefined)
        throw new NonRetriableError("a sealed secret is not in the v1 format");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
          "utf8",
        );
      } catch (err) {
        throw new NonRetriableError(
          "a sealed secret could not be opened (another SECRETS_KEY, or another record's secret)",
          { cause: err },
        );
      }
    },
  };
}

/** Where SECRETS_KEY is not set: anything that must keep a secret fails saying so. */
export const missingSecretBox: SecretBox = {
  seal() {
    throw new NotConfiguredError("SECRETS_KEY is not set: secrets cannot be stored");
  },
  open() {
    throw new NotConfiguredError("SECRETS_KEY is not set: stored secrets cannot be opened");
  },
};
