import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/domain/errors";
import { checkEntityLimits } from "../../../src/store/entityLimits";

const base = { partitionKey: "partner-a", rowKey: "a1" };

function issues(entity: Record<string, unknown>): string[] {
  try {
    checkEntityLimits({ ...base, ...entity });
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.issues.map((i) => i.path);
  }
}

describe("checkEntityLimits", () => {
  it("accepts an ordinary entity", () => {
    expect(issues({ status: "Draft", count: 3, ok: true, at: new Date(0) })).toEqual([]);
  });

  it.each([
    ["a string property just under 64 KiB", { text: "x".repeat(32_766) }, []],
    ["a string property over 64 KiB, named", { text: "x".repeat(32_767) }, ["text"]],
    ["binary over 64 KiB", { blob: new Uint8Array(65_533) }, ["blob"]],
    ["a RowKey with a slash", { rowKey: "a/b" }, ["rowKey"]],
    ["a PartitionKey with a control character", { partitionKey: "a\u0001" }, ["partitionKey"]],
    ["a key over 1 KiB", { rowKey: "k".repeat(513) }, ["rowKey"]],
  ])("%s", (_case, entity, expected) => {
    expect(issues(entity)).toEqual(expected);
  });

  it("counts PartitionKey, RowKey and Timestamp towards the 255 properties (Azurite does not)", () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    expect(issues(props(252))).toEqual([]);
    expect(issues(props(253))).toEqual(["(entity)"]);
  });

  it("refuses an entity over 1 MiB even when every property fits", () => {
    const props = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`chunk${i}`, "x".repeat(32_000)]));
    expect(issues(props)).toEqual(["(entity)"]);
  });

  it("names every problem at once", () => {
    expect(issues({ rowKey: "a?b", text: "x".repeat(40_000) })).toEqual(["rowKey", "text"]);
  });
});
