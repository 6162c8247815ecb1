import { describe, expect, it } from "vitest";
import { HistoryCache } from "../../src/durable/historyCache";
import { EventType, event } from "../../src/durable/events";
import type { LoadedHistory } from "../../src/durable/taskHub";

function history(events: number): LoadedHistory {
  const now = new Date().toISOString();
  return {
    sentinel: { executionId: "x", committedSeq: events, nextId: 0, actionCount: 0 },
    etag: "etag",
    events: Array.from({ length: events }, () => event(EventType.GenericEvent, { Timestamp: now })),
  };
}

describe("the history cache", () => {
  it("answers what was set, and nothing once deleted", () => {
    const cache = new HistoryCache(100);
    const a = history(3);
    cache.set("a", a);
    expect(cache.get("a")).toBe(a);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
  });

  it("drops the least recently used instances once it holds more events than its bound", () => {
    const cache = new HistoryCache(10); // each entry below weighs 4: three events and the sentinel
    cache.set("a", history(3));
    cache.set("b", history(3));
    cache.get("a"); // a is now more recently used than b
    cache.set("c", history(3));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it("counts a replaced entry once", () => {
    const cache = new HistoryCache(10);
    for (let i = 0; i < 5; i++) cache.set("a", history(8));
    cache.set("b", history(0));
    expect(cache.size).toBe(2);
  });
});
