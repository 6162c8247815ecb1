import { TableClient, TableServiceClient } from "@azure/data-tables";

/**
 * Every entity of the tables a test app owns (its table prefix and its task hub: associations,
 * jobs, idempotency records, orchestration history), as JSON text per table: for "never stored in
 * clear" checks.
 */
export async function storedEntities(
  connection: string,
  prefixes: readonly string[],
): Promise<{ table: string; text: string }[]> {
  const service = TableServiceClient.fromConnectionString(connection, { allowInsecureConnection: true });
  const wanted = prefixes.filter(Boolean).map((p) => p.toLowerCase());
  const found: { table: string; text: string }[] = [];
  for await (const table of service.listTables()) {
    const name = table.name ?? "";
    if (!wanted.some((prefix) => name.toLowerCase().startsWith(prefix))) continue;
    const client = TableClient.fromConnectionString(connection, name, { allowInsecureConnection: true });
    for await (const entity of client.listEntities())
      found.push({ table: name, text: JSON.stringify(entity) });
  }
  return found;
}

/** The test app's own table prefixes (set by `startApp`). */
export const appTablePrefixes = () => [
  process.env["TABLE_PREFIX"] ?? "",
  process.env["DURABLE_HUB_NAME"] ?? "",
];
