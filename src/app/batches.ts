/**
 * `fn` over `items`, `size` at a time, results in the items' order: reads per customer tenant go
 * out in parallel without opening hundreds of storage requests at once.
 */
export async function mapInBatches<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

/** Customer tenants read at once by the use cases that read every customer of a partner. */
export const tenantsAtOnce = 8;
