import { createHash } from "node:crypto";

/**
 * A UUID-shaped digest of `parts`: the same request always derives the same ID, so a retry (same
 * partner, same Idempotency-Key; same customer message) recognises what its first attempt wrote.
 */
export function derivedId(...parts: readonly string[]): string {
  const hex = createHash("sha256").update(parts.join("\n")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
