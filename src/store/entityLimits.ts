import { ValidationError, type FieldIssue } from "../domain/errors";

/**
 * Azure Table Storage limits, checked before every write because Azurite does not enforce them all
 * (e.g. the 255-property limit, Azurite #1446): an entity that passes here is accepted by Azure.
 * Sizes follow Azure's documented formula: strings are UTF-16, two bytes per code unit.
 */
export const entityLimits = {
  entityBytes: 1024 * 1024,
  propertyBytes: 64 * 1024,
  keyBytes: 1024,
  properties: 255,
} as const;

/** Characters Azure forbids in PartitionKey and RowKey: / \\ # ? and control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const forbiddenKeyChars = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

type EntityValue =
  string | number | boolean | Date | Uint8Array | null | undefined | { value: unknown; type: string };

/** Throws ValidationError listing every limit the entity breaks, naming the property at fault. */
export function checkEntityLimits(entity: {
  partitionKey: string;
  rowKey: string;
  [k: string]: unknown;
}): void {
  const issues: FieldIssue[] = [];
  for (const key of ["partitionKey", "rowKey"] as const) {
    if (entity[key].length * 2 > entityLimits.keyBytes)
      issues.push({ path: key, message: `is longer than ${entityLimits.keyBytes} bytes` });
    if (forbiddenKeyChars.test(entity[key]))
      issues.push({
        path: key,
        message: "contains a character Table Storage forbids in keys (/ \\ # ? or control)",
      });
  }
  const properties = Object.entries(entity).filter(
    ([name]) => !["partitionKey", "rowKey", "etag"].includes(name),
  );
  // PartitionKey, RowKey and Timestamp count towards the 255.
  if (properties.length + 3 > entityLimits.properties)
    issues.push({
      path: "(entity)",
      message: `has ${properties.length + 3} properties; at most 255 are allowed`,
    });
  let total = 4 + (entity.partitionKey.length + entity.rowKey.length) * 2;
  for (const [name, value] of properties) {
    const size = valueBytes(value as EntityValue);
    if (size > entityLimits.propertyBytes)
      issues.push({
        path: name,
        message: `is ${size} bytes; a property may hold at most ${entityLimits.propertyBytes}`,
      });
    total += 8 + name.length * 2 + size;
  }
  if (total > entityLimits.entityBytes)
    issues.push({
      path: "(entity)",
      message: `is ${total} bytes; an entity may hold at most ${entityLimits.entityBytes}`,
    });
  if (issues.length > 0) throw new ValidationError(issues);
}

function valueBytes(value: EntityValue): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return 4 + value.length * 2;
  if (typeof value === "number") return 8;
  if (typeof value === "boolean") return 1;
  if (value instanceof Date) return 8;
  if (value instanceof Uint8Array) return 4 + value.byteLength;
  return valueBytes(value.value as EntityValue);
}
