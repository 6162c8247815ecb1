import fc, { type Arbitrary } from "fast-check";

/**
 * fast-check arbitraries for the JSON Schemas the OpenAPI document publishes (generated from the
 * zod schemas that validate requests), for the property tier: what a partner tool reading the
 * document could send. The subset zod emits is covered: $ref, allOf, anyOf/oneOf, const, enum,
 * string (lengths, pattern, email, uuid, date, date-time, uri), number and integer (bounds),
 * boolean, null, array (items, bounds) and object (properties, required). Arrays and optional
 * properties are kept small so a thousand bodies stay cheap. Refinements a JSON Schema cannot
 * state (a text without control characters, a date in the past) may still make a body invalid:
 * the property over these bodies is "never a 5xx", not "always 2xx".
 */
export type JsonSchema = Record<string, unknown>;

export function arbitraryOf(schema: JsonSchema, components: Record<string, JsonSchema>): Arbitrary<unknown> {
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const target = components[ref.replace("#/components/schemas/", "")];
    if (!target) throw new Error(`unresolved ${ref}`);
    return arbitraryOf(target, components);
  }
  if ("const" in schema) return fc.constant(schema["const"]);
  const choices = (schema["anyOf"] ?? schema["oneOf"]) as JsonSchema[] | undefined;
  if (choices) return fc.oneof(...choices.map((c) => arbitraryOf(c, components)));
  const all = schema["allOf"] as JsonSchema[] | undefined;
  if (all) return arbitraryOf(Object.assign({}, ...all) as JsonSchema, components);
  const values = schema["enum"] as unknown[] | undefined;
  if (values) return fc.constantFrom(...values);
  const type = schema["type"];
  if (Array.isArray(type))
    return fc.oneof(...type.map((t) => arbitraryOf({ ...schema, type: t }, components)));
  switch (type) {
    case "string":
      return stringOf(schema);
    case "integer":
      return fc.integer({ min: boundOf(schema, "min", -1e6), max: boundOf(schema, "max", 1e6) });
    case "number":
      return fc.double({
        min: boundOf(schema, "min", -1e6),
        max: boundOf(schema, "max", 1e6),
        noNaN: true,
        noDefaultInfinity: true,
      });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(arbitraryOf((schema["items"] as JsonSchema | undefined) ?? {}, components), {
        minLength: Number(schema["minItems"] ?? 0),
        maxLength: Math.min(Number(schema["maxItems"] ?? 3), Math.max(Number(schema["minItems"] ?? 0), 3)),
      });
    case "object":
      return objectOf(schema, components);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectOf(schema: JsonSchema, components: Record<string, JsonSchema>): Arbitrary<unknown> {
  const properties = (schema["properties"] as Record<string, JsonSchema> | undefined) ?? {};
  const required = (schema["required"] as string[] | undefined) ?? [];
  const record: Record<string, Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) record[name] = arbitraryOf(property, components);
  if (Object.keys(record).length === 0) return fc.constant({});
  return fc.record(record, { requiredKeys: required.filter((name) => name in record) });
}

function stringOf(schema: JsonSchema): Arbitrary<string> {
  const minLength = Number(schema["minLength"] ?? 0);
  const maxLength = Math.min(Number(schema["maxLength"] ?? 64), 4000);
  const fits = (text: string) => text.length >= minLength && text.length <= maxLength;
  switch (schema["format"]) {
    case "email":
      return fc.emailAddress().filter(fits);
    case "uuid":
      return fc.uuid({ version: 4 });
    case "date":
      return dateArbitrary().map((d) => d.toISOString().slice(0, 10));
    case "date-time":
      return dateArbitrary().map((d) => d.toISOString());
    case "uri":
      return fc.webUrl({ validSchemes: ["https"] }).filter(fits);
  }
  const pattern = schema["pattern"];
  if (typeof pattern === "string") {
    const regex = new RegExp(pattern);
    const lookahead = /\(\?[=!<]/.test(pattern);
    const source = lookahead ? fc.string({ minLength, maxLength }) : fc.stringMatching(regex);
    return source.filter((text) => regex.test(text) && fits(text));
  }
  return fc.string({ minLength, maxLength, unit: "grapheme" });
}

function boundOf(schema: JsonSchema, side: "min" | "max", fallback: number): number {
  const inclusive = schema[side === "min" ? "minimum" : "maximum"];
  const exclusive = schema[side === "min" ? "exclusiveMinimum" : "exclusiveMaximum"];
  if (typeof inclusive === "number") return inclusive;
  if (typeof exclusive === "number") return side === "min" ? exclusive + 1 : exclusive - 1;
  return fallback;
}

/** Dates around now, so deadlines and "signed within 12 months" rules are met as often as not. */
function dateArbitrary(): Arbitrary<Date> {
  const now = Date.now();
  return fc.date({
    min: new Date(now - 400 * 86_400_000),
    max: new Date(now + 30 * 86_400_000),
    noInvalidDate: true,
  });
}
