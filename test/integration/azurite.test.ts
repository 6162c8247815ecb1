import { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";

describe("integration storage", () => {
  it("is a real Azurite that stores and returns entities", async () => {
    const table = TableClient.fromConnectionString(inject("storageConnectionString"), "smoke", {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: "p", rowKey: "r", value: 42 });
    const read = await table.getEntity<{ value: number }>("p", "r");
    expect(read.value).toBe(42);
  });
});
