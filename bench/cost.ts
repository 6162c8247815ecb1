/**
 * What one association costs a year in storage transactions, and in money at list prices.
 *
 * Prices are USD per 10,000 operations, pay-as-you-go, locally redundant storage, as ASSUMED from the
 * Azure Storage pricing pages when this was written (they change, and differ by region and account
 * kind; pass your own with `--prices table,queue,blob`):
 * - Table Storage: one price for every transaction, 0.00036;
 * - Queue Storage (general-purpose v2): every operation priced as Class 1 (writes: put, update,
 *   delete), the dearer class, though a receive is Class 2: 0.065;
 * - Blob Storage (hot): writes, the dearer class, 0.065.
 * Storage capacity (a few KB per association) and the Functions plan are not transactions and not
 * counted here; docs/scaling.md adds them.
 */
export interface Prices {
  tablePer10k: number;
  queuePer10k: number;
  blobPer10k: number;
}

export const assumedListPrices: Prices = { tablePer10k: 0.00036, queuePer10k: 0.065, blobPer10k: 0.065 };

/** Transactions by service. */
export interface Transactions {
  table: number;
  queue: number;
  blob: number;
}

export interface AssociationYear {
  /** Storage transactions of one association in one year. */
  transactions: Transactions & { total: number };
  usd: number;
}

/**
 * One association for a year: 365 daily usage cycles (each at `perCycle`, the association's share of
 * a cycle) and one full lifecycle (`perLifecycle`: claim, PoE, consent, review, baseline).
 */
export function associationYear(
  perCycle: Transactions,
  perLifecycle: Transactions,
  prices: Prices,
): AssociationYear {
  const year: Transactions = {
    table: 365 * perCycle.table + perLifecycle.table,
    queue: 365 * perCycle.queue + perLifecycle.queue,
    blob: 365 * perCycle.blob + perLifecycle.blob,
  };
  const usd =
    (year.table * prices.tablePer10k + year.queue * prices.queuePer10k + year.blob * prices.blobPer10k) /
    10_000;
  return { transactions: { ...year, total: year.table + year.queue + year.blob }, usd };
}

/** `--prices 0.00036,0.065,0.065` (table, queue, blob per 10,000). */
export function parsePrices(text: string | undefined): Prices {
  if (text === undefined) return assumedListPrices;
  const [tablePer10k, queuePer10k, blobPer10k] = text.split(",").map(Number);
  if ([tablePer10k, queuePer10k, blobPer10k].some((n) => n === undefined || !Number.isFinite(n) || n < 0))
    throw new Error(`--prices wants three numbers, table,queue,blob per 10,000 operations: ${text}`);
  return {
    tablePer10k: tablePer10k as number,
    queuePer10k: queuePer10k as number,
    blobPer10k: blobPer10k as number,
  };
}
