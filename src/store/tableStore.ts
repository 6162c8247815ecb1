import type { TokenCredential } from "@azure/identity";
import {
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TableServiceClientOptions,
} from "@azure/data-tables";
import { checkEntityLimits } from "./entityLimits";
import { isStatus } from "./storageErrors";

/** The tables this service owns, one per aggregate (one table per aggregate). */
export const tableNames = [
  "partners",
  "associations",
  "claims",
  "auditEvents",
  "usageSnapshots",
  "incentives",
  "outbox",
  "idempotencyKeys",
  "apiKeys",
  "jobs",
  "jobResults",
  "jobItems",
  "pcsInputs",
  "pcsSnapshots",
  "webhookDeliveries",
  "signingKeys",
] as const;
export type TableName = (typeof tableNames)[number];

/**
 * How to reach the storage account: a connection string (Azurite, keys), or the table endpoint and
 * an Entra ID credential (production: the app's managed identity, no keys in settings).
 */
export type StorageConnection = string | { tableEndpoint: string; credential: TokenCredential };

export interface TableStoreOptions {
  /** Prepended to every table name (letters and digits): isolates tests and side-by-side deployments. */
  prefix?: string;
}

/**
 * Hands out table clients for one storage account and creates each table on first use, once per
 * process (a concurrent first use shares the same creation).
 */
export class TableStore {
  private readonly clients = new Map<TableName, Promise<TableClient>>();

  constructor(
    private readonly connection: StorageConnection,
    private readonly options: TableStoreOptions = {},
  ) {
    if (options.prefix !== undefined && !/^[A-Za-z][A-Za-z0-9]{0,30}$/.test(options.prefix))
      throw new Error(`table prefix "${options.prefix}" must be letters and digits, starting with a letter`);
  }

  table(name: TableName): Promise<TableClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.create(name);
      this.clients.set(name, client);
      // A failed creation must not poison the cache: the next use tries again.
      client.catch(() => this.clients.delete(name));
    }
    return client;
  }

  /** The service client, for administration and probes; `maxRetries: 0` for a fast answer. */
  service(options: { maxRetries?: number } = {}): TableServiceClient {
    const clientOptions: TableServiceClientOptions = {
      ...this.clientOptions(),
      ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
    };
    return typeof this.connection === "string"
      ? TableServiceClient.fromConnectionString(this.connection, clientOptions)
      : new TableServiceClient(this.connection.tableEndpoint, this.connection.credential, clientOptions);
  }

  tableNameOf(name: TableName): string {
    return `${this.options.prefix ?? ""}${name}`;
  }

  private async create(name: TableName): Promise<TableClient> {
    const tableName = this.tableNameOf(name);
    const client =
      typeof this.connection === "string"
        ? TableClient.fromConnectionString(this.connection, tableName, this.clientOptions())
        : new TableClient(
            this.connection.tableEndpoint,
            tableName,
            this.connection.credential,
            this.clientOptions(),
          );
    try {
      await client.createTable();
    } catch (err) {
      if (!isStatus(err, 409)) throw err; // 409: TableAlreadyExists, which is what we want.
    }
    return client;
  }

  /** Azurite and other development endpoints speak plain http on loopback. */
  private clientOptions(): TableServiceClientOptions {
    const endpoint = typeof this.connection === "string" ? this.connection : this.connection.tableEndpoint;
    return {
      allowInsecureConnection: /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true|^http:/i.test(
        endpoint,
      ),
    };
  }
}

/** Every write goes through here so Table Storage's limits are checked in code first. */
export function checked<T extends TableEntity>(entity: T): T {
  checkEntityLimits(entity);
  return entity;
}
