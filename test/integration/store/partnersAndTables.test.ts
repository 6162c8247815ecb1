import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../../src/domain/errors";
import type { Partner } from "../../../src/domain/partner";
import { testStore } from "../../support/storage";

const fabrikam: Partner = {
  id: "fabrikam",
  name: "Fabrikam Consulting",
  partnerLocationIds: ["4871234", "4871235"],
  contactEmail: "ops@fabrikam-partner.com",
  webhookUrl: "https://hooks.fabrikam-partner.com/por",
  createdAt: "2026-11-01T00:00:00.000Z",
};

describe("PartnerRepository", () => {
  const store = testStore();

  it("round-trips and lists partners", async () => {
    await store.partners.put(fabrikam);
    expect(await store.partners.get("fabrikam")).toEqual(fabrikam);
    expect((await store.partners.list()).items).toEqual([fabrikam]);
    await expect(store.partners.get("contoso")).rejects.toThrow(NotFoundError);
  });
});

describe("TableStore", () => {
  it("creates each table on first use, once, even when first uses race", async () => {
    const store = testStore();
    const before = await tableNames(store);
    expect(before.filter((n) => n.startsWith(store.tables.tableNameOf("partners")))).toEqual([]);
    await Promise.all(Array.from({ length: 5 }, () => store.partners.list()));
    expect(await tableNames(store)).toContain(store.tables.tableNameOf("partners"));
  });
});

async function tableNames(store: ReturnType<typeof testStore>): Promise<string[]> {
  const names: string[] = [];
  for await (const table of store.tables.service().listTables()) if (table.name) names.push(table.name);
  return names;
}
