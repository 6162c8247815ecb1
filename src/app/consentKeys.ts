import { randomBytes } from "node:crypto";
import type { SecretBox } from "../auth/secrets";
import { ConflictError } from "../domain/errors";
import type { Store } from "../store/store";
import { retryOnConcurrency } from "../store/retry";

/**
 * The keys consent links are signed and checked with. The settings give the first ones
 * (CONSENT_SIGNING_KEY, CONSENT_SIGNING_KEY_PREVIOUS); a rotation at run time stores a new current
 * key and keeps the one it replaces as previous, both sealed with SECRETS_KEY; from then on the
 * stored pair governs and the settings' keys are no longer used. New links are signed with the
 * current key; a link verifies under the current or the previous one, so links already sent stay
 * valid until they expire (unless a second rotation retires their key). Each instance reads the stored pair at most every
 * `cacheMs` (30 s): until it does, it signs with the key before, which is still honoured.
 */
export interface ConsentKeyRing {
  /** The key new links are signed with; undefined when none is configured or stored. */
  signingKey(): Promise<string | undefined>;
  /** Every key a link may be signed with, newest first. */
  verifyingKeys(): Promise<string[]>;
}

export interface ConsentKeyRingPorts {
  store: Pick<Store, "signingKeys">;
  secrets: SecretBox;
  clock: () => Date;
  configured: { current: string | undefined; previous: string | undefined };
  /** How long consent links live (CONSENT_LINK_TTL): the previous key is needed that long. */
  linkTtlMs: number;
  cacheMs?: number;
}

const purpose = "consent-links";

export function createConsentKeyRing(ports: ConsentKeyRingPorts) {
  let cached: { at: number; keys: { current?: string; previous?: string } } | undefined;
  const cacheMs = ports.cacheMs ?? 30_000;

  async function stored(): Promise<{ current?: string; previous?: string }> {
    const now = Date.now();
    if (cached && now - cached.at < cacheMs) return cached.keys;
    const row = await ports.store.signingKeys.get(purpose);
    const keys = row
      ? {
          current: ports.secrets.open(row.value.sealedCurrent, sealContext("current")),
          ...(row.value.sealedPrevious
            ? { previous: ports.secrets.open(row.value.sealedPrevious, sealContext("previous")) }
            : {}),
        }
      : {};
    cached = { at: now, keys };
    return keys;
  }

  const ring: ConsentKeyRing = {
    async signingKey() {
      return (await stored()).current ?? ports.configured.current;
    },
    async verifyingKeys() {
      const keys = await stored();
      // Once rotated, the stored pair governs: a configured key retired by rotation stops verifying.
      const { current, previous } = keys.current ? keys : ports.configured;
      return [
        ...new Set([current, previous].filter((key): key is string => typeof key === "string" && key !== "")),
      ];
    },
  };

  /**
   * Makes a new signing key; the key it replaces verifies links until they expire. A link signed
   * two rotations ago no longer verifies (two keys: current and previous). Answers when, and until
   * when the replaced key's links stay valid; never a key. NotConfiguredError without SECRETS_KEY.
   */
  async function rotate() {
    const rotatedAt = ports.clock().toISOString();
    await retryOnConcurrency(async () => {
      const row = await ports.store.signingKeys.get(purpose);
      const replaced = row
        ? ports.secrets.open(row.value.sealedCurrent, sealContext("current"))
        : ports.configured.current;
      if (!replaced)
        throw new ConflictError("no consent signing key is configured (CONSENT_SIGNING_KEY) to rotate from");
      const next = randomBytes(32).toString("base64url");
      await ports.store.signingKeys.put(
        {
          purpose,
          sealedCurrent: ports.secrets.seal(next, sealContext("current")),
          currentSince: rotatedAt,
          sealedPrevious: ports.secrets.seal(replaced, sealContext("previous")),
          previousSince: row?.value.currentSince ?? rotatedAt,
        },
        row?.etag,
      );
    });
    cached = undefined;
    return {
      rotatedAt,
      previousKeyValidUntil: new Date(Date.parse(rotatedAt) + ports.linkTtlMs).toISOString(),
    };
  }

  return { ...ring, rotate };
}

export type RotatingConsentKeyRing = ReturnType<typeof createConsentKeyRing>;

/** Each sealed key is bound to its slot: a previous key cannot be passed off as the current one. */
function sealContext(slot: "current" | "previous"): string {
  return `${purpose}:${slot}`;
}
