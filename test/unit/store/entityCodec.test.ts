import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NonRetriableError } from "../../../src/domain/errors";
import { entityCodec } from "../../../src/store/entityCodec";

const schema = z.object({ partitionKey: z.string(), rowKey: z.string(), tagsJson: z.string() }).strict();

function codecCounting(reuse?: number) {
  const calls = { parsed: 0 };
  const codec = entityCodec({
    what: "thing",
    schema,
    toEntity: (v: { id: string; tags: string[] }) => ({
      partitionKey: "p",
      rowKey: v.id,
      tagsJson: JSON.stringify(v.tags),
    }),
    fromEntity: (stored) => {
      calls.parsed++;
      return { id: stored.rowKey, tags: JSON.parse(stored.tagsJson) as string[] };
    },
    ...(reuse === undefined ? {} : { reuse }),
  });
  return { codec, calls };
}

const raw = (rowKey: string, etag: string | undefined, tags = ["a"]) => ({
  partitionKey: "p",
  rowKey,
  tagsJson: JSON.stringify(tags),
  ...(etag === undefined ? {} : { etag }),
  timestamp: "2026-01-01T00:00:00Z",
});

describe("entityCodec", () => {
  it("parses every read when it reuses nothing", () => {
    const { codec, calls } = codecCounting();
    expect(codec.fromRaw(raw("1", "e1"))).toEqual({ id: "1", tags: ["a"] });
    codec.fromRaw(raw("1", "e1"));
    expect(calls.parsed).toBe(2);
  });

  it("gives the value read before for the same row at the same ETag, frozen", () => {
    const { codec, calls } = codecCounting(10);
    const first = codec.fromRaw(raw("1", "e1"));
    const again = codec.fromRaw(raw("1", "e1"));
    expect(again).toBe(first);
    expect(calls.parsed).toBe(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first.tags)).toBe(true);
    expect(() => first.tags.push("b")).toThrow(TypeError);
  });

  it("parses again when the ETag or the row differs, or there is no ETag", () => {
    const { codec, calls } = codecCounting(10);
    codec.fromRaw(raw("1", "e1"));
    expect(codec.fromRaw(raw("1", "e2", ["b"]))).toEqual({ id: "1", tags: ["b"] });
    codec.fromRaw(raw("2", "e1"));
    codec.fromRaw(raw("3", undefined));
    codec.fromRaw(raw("3", undefined));
    expect(calls.parsed).toBe(5);
  });

  it("forgets the least recently read value beyond its size", () => {
    const { codec, calls } = codecCounting(2);
    codec.fromRaw(raw("1", "e"));
    codec.fromRaw(raw("2", "e"));
    codec.fromRaw(raw("1", "e")); // 1 is now the most recent
    codec.fromRaw(raw("3", "e")); // forgets 2
    codec.fromRaw(raw("1", "e"));
    expect(calls.parsed).toBe(3);
    codec.fromRaw(raw("2", "e"));
    expect(calls.parsed).toBe(4);
  });

  it("still refuses a row that does not match its schema", () => {
    const { codec } = codecCounting(10);
    expect(() => codec.fromRaw({ ...raw("1", "e1"), extra: 1 })).toThrow(NonRetriableError);
  });
});
