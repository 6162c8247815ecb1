import type { IncentiveEntry } from "../types";

/** An amount as the dashboard writes money everywhere: two decimals, grouped, then the currency code. */
export function money(amount: number, currency: string): string {
  const figure = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(
    amount,
  );
  return `${figure} ${currency}`;
}

/** Several currencies' amounts on one line (a ledger rarely holds more than one). */
export function moneyList(amounts: readonly { amount: number; currency: string }[]): string {
  return amounts.length === 0 ? "nothing" : amounts.map((a) => money(a.amount, a.currency)).join(", ");
}

/**
 * One currency's earnings by the month they were earned (UTC, from `earnedAt`) and by workload:
 * `amounts[w][m]` is what workload `workloads[w]` earned in `months[m]`. The chart draws exactly
 * these figures and the table beside it lists them.
 */
export interface EarnedGrid {
  currency: string;
  months: string[];
  workloads: string[];
  amounts: number[][];
  monthTotals: number[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort();

/** The entries' grids, one per currency, by currency code. */
export function earnedGrids(entries: readonly IncentiveEntry[]): EarnedGrid[] {
  return sortedUnique(entries.map((e) => e.currency)).map((currency) => {
    const mine = entries.filter((e) => e.currency === currency);
    const months = sortedUnique(mine.map((e) => e.earnedAt.slice(0, 7)));
    const workloads = sortedUnique(mine.map((e) => e.workload));
    const amounts = workloads.map((w) =>
      months.map((m) =>
        round2(
          mine
            .filter((e) => e.workload === w && e.earnedAt.startsWith(m))
            .reduce((sum, e) => sum + e.amount, 0),
        ),
      ),
    );
    const monthTotals = months.map((_, m) => round2(amounts.reduce((sum, row) => sum + (row[m] ?? 0), 0)));
    return { currency, months, workloads, amounts, monthTotals };
  });
}

/** What a screen reader hears for a grid's chart: each month's total. */
export function gridSummary(grid: EarnedGrid): string {
  const months = grid.months.map((m, i) => `${m}: ${money(grid.monthTotals[i] ?? 0, grid.currency)}`);
  return `Incentives earned in ${grid.currency} by month and workload. ${months.join("; ")}.`;
}
