/** How the association page writes shares, times, sizes and money. */

const percentFormat = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });

/** A share (0–1) as a percentage, to a tenth at most: 0.075 → "7.5%", 0.15 → "15%". */
export const percent = (share: number): string => percentFormat.format(share);

/** A UTC timestamp as the page shows it: "2026-11-02 10:00 UTC". */
export const when = (iso: string): string => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** An amount in its currency: "USD 1,500.00" style, as the browser's English locale writes it. */
export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** A document's size: "812 bytes", "1.5 KB", "2.3 MB". */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
