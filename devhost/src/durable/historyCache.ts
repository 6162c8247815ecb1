import type { LoadedHistory } from "./taskHub";

/**
 * The committed histories of recently active instances, kept in process so a turn need not read
 * its history back. An entry is what this process last committed or loaded; it is trusted only as
 * far as the sentinel's ETag: the conditional lock of the next turn fails (412) when another writer
 * committed in between, and the entry is then dropped and the history read again.
 *
 * Bounded by the number of events held (least recently used first out), so many waiting instances
 * cost reads again rather than memory.
 */
export class HistoryCache {
  private readonly entries = new Map<string, LoadedHistory>();
  private events = 0;

  constructor(private readonly maxEvents = 100_000) {}

  get(instanceId: string): LoadedHistory | undefined {
    const entry = this.entries.get(instanceId);
    if (!entry) return undefined;
    this.entries.delete(instanceId); // re-inserted: most recently used last
    this.entries.set(instanceId, entry);
    return entry;
  }

  set(instanceId: string, history: LoadedHistory): void {
    this.delete(instanceId);
    this.entries.set(instanceId, history);
    this.events += cost(history);
    for (const [oldest, entry] of this.entries) {
      if (this.events <= this.maxEvents) break;
      this.entries.delete(oldest);
      this.events -= cost(entry);
    }
  }

  delete(instanceId: string): void {
    const entry = this.entries.get(instanceId);
    if (!entry) return;
    this.entries.delete(instanceId);
    this.events -= cost(entry);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** An entry's weight: its events, plus one for the sentinel. */
function cost(history: LoadedHistory): number {
  return history.events.length + 1;
}
