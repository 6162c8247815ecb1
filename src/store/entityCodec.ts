import { z } from "zod";
import { NonRetriableError } from "../domain/errors";

/**
 * Reading entities back: every entity is parsed with its zod schema, so a row written by an older
 * version or edited by hand fails loudly here instead of deep inside a workflow.
 */

/** A value with the ETag it was read at; an update must present it. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Table Storage metadata the SDK adds to every read entity; not part of our schemas. */
const metadataKeys = new Set(["etag", "timestamp", "odata.metadata", "odata.etag"]);

export function readEntity<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
  what: string,
): z.output<S> {
  const data = Object.fromEntries(Object.entries(raw).filter(([key]) => !metadataKeys.has(key)));
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(entity)"}: ${i.message}`)
      .join("; ");
    throw new NonRetriableError(`stored ${what} does not match its schema: ${detail}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** A property holding JSON text, parsed and validated on read. */
export function jsonColumn<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "is not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** The ETag the SDK reports on reads and writes. */
export function etagOf(raw: { etag?: string }): string {
  if (!raw.etag) throw new NonRetriableError("storage returned an entity without an ETag");
  return raw.etag;
}

/**
 * The two directions between a domain value and its entity, in one place per repository:
 * `toEntity` for writes, `fromRaw` for reads (metadata stripped, schema-checked, mapped back).
 *
 * `reuse: n` keeps the last n values read, by PartitionKey, RowKey and ETag: the ETag changes with
 * every write, so a row read again at the same ETag holds the same properties, and its value is the
 * one parsed before instead of being checked and mapped again (the API reads the same associations
 * and timelines over and over). The read itself always goes to storage. Reused values are deeply
 * frozen, so no reader can change what another one gets.
 */
export function entityCodec<
  S extends z.ZodType,
  T,
  E extends { partitionKey: string; rowKey: string },
>(spec: {
  what: string;
  schema: S;
  toEntity: (value: T) => E;
  fromEntity: (stored: z.output<S>) => T;
  reuse?: number;
}) {
  const parse = (raw: Record<string, unknown>): T => spec.fromEntity(readEntity(spec.schema, raw, spec.what));
  const reuse = spec.reuse ?? 0;
  if (reuse <= 0) return { toEntity: spec.toEntity, fromRaw: parse };
  const parsed = new Map<string, T>();
  return {
    toEntity: spec.toEntity,
    fromRaw: (raw: Record<string, unknown>): T => {
      const { partitionKey, rowKey, etag } = raw;
      if (typeof partitionKey !== "string" || typeof rowKey !== "string" || typeof etag !== "string" || !etag)
        return parse(raw);
      const key = `${partitionKey}\n${rowKey}\n${etag}`;
      const known = parsed.get(key);
      if (known !== undefined) {
        parsed.delete(key); // re-inserted last: the Map's order is the age order
        parsed.set(key, known);
        return known;
      }
      const value = deepFreeze(parse(raw));
      if (parsed.size >= reuse) {
        const oldest = parsed.keys().next();
        if (!oldest.done) parsed.delete(oldest.value);
      }
      parsed.set(key, value);
      return value;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
