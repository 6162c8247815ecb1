import type { Prices, Transactions } from "./cost";

/**
 * One daily usage cycle of a large estate on Azure, computed from the bench's per-association and
 * per-tenant figures (docs/scaling.md explains each bound). Nothing here is measured on Azure: it
 * is arithmetic on what the bench measured here and on Microsoft's published limits, which change.
 */
export interface Estate {
  associations: number;
  tenants: number;
}

export interface ProjectionInput {
  estate: Estate;
  /** One association's share of a cycle, by service (bench:usage). */
  perAssociation: Transactions;
  /** Graph (and Defender) calls one tenant's reading costs. */
  callsPerTenant: number;
  /** Associations one 2-core local host got through per second in the bench's cycle. */
  associationsPerSecondPerHost: number;
  prices: Prices;
}

/** Microsoft Graph: any request, per app across all tenants (throttling limits, global). */
export const graphRequestsPer10sPerApp = 130_000;
/** A standard general-purpose v2 storage account's request rate target (per second). */
export const storageRequestsPerSecond = 20_000;

export interface Projection {
  graphCalls: number;
  transactions: number;
  usd: number;
  /** The shortest cycle Graph's per-app limit allows. */
  graphBoundSeconds: number;
  /** The shortest cycle one storage account's request rate allows. */
  storageBoundSeconds: number;
  /** Hosts of the bench's size needed to finish within an hour, and within the bounds above. */
  hostsForOneHour: number;
}

export function projectCycle(input: ProjectionInput): Projection {
  const { estate, perAssociation: per, prices } = input;
  const graphCalls = estate.tenants * input.callsPerTenant;
  const table = estate.associations * per.table;
  const queue = estate.associations * per.queue;
  const blob = estate.associations * per.blob;
  const transactions = table + queue + blob;
  const usd = (table * prices.tablePer10k + queue * prices.queuePer10k + blob * prices.blobPer10k) / 10_000;
  return {
    graphCalls,
    transactions: Math.round(transactions),
    usd: Number(usd.toFixed(2)),
    graphBoundSeconds: Math.ceil(graphCalls / (graphRequestsPer10sPerApp / 10)),
    storageBoundSeconds: Math.ceil(transactions / storageRequestsPerSecond),
    hostsForOneHour: Math.ceil(estate.associations / 3600 / input.associationsPerSecondPerHost),
  };
}
