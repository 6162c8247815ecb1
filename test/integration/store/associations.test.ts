import { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";
import {
  ConcurrencyError,
  NonRetriableError,
  NotFoundError,
  ValidationError,
} from "../../../src/domain/errors";
import { draftAssociation } from "../../support/builders";
import { testStore } from "../../support/storage";

describe("AssociationRepository", () => {
  const store = testStore();

  it("round-trips an association exactly as written", async () => {
    const value = draftAssociation("partner-a");
    await store.associations.create(value);
    const read = await store.associations.get("partner-a", value.id);
    expect(read.value).toEqual(value);
    expect(read.etag).toMatch(/^W\//);
  });

  it("does not show one partner's association to another", async () => {
    const value = draftAssociation("partner-a");
    await store.associations.create(value);
    await expect(store.associations.get("partner-b", value.id)).rejects.toThrow(NotFoundError);
    expect((await store.associations.list("partner-b")).items.map((a) => a.id)).not.toContain(value.id);
  });

  it("refuses a replace with a stale ETag", async () => {
    const value = draftAssociation("partner-a");
    const first = await store.associations.create(value);
    await store.associations.replace({ ...value, status: "Submitted" }, first);
    await expect(store.associations.replace({ ...value, status: "Expired" }, first)).rejects.toThrow(
      ConcurrencyError,
    );
    expect((await store.associations.get("partner-a", value.id)).value.status).toBe("Submitted");
  });

  it("loses no update when 20 writers race on one association", async () => {
    const value = draftAssociation("partner-race", { units: [] });
    await store.associations.create(value);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.associations.update(
          "partner-race",
          value.id,
          (current) => ({ ...current, units: [...current.units, `workload-${i}`] }),
          { attempts: 40, baseDelayMs: 2 },
        ),
      ),
    );
    const final = await store.associations.get("partner-race", value.id);
    expect([...final.value.units].sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `workload-${i}`).sort(),
    );
  });

  it("pages with continuation tokens and filters by status and tenant", async () => {
    const partnerId = "partner-pages";
    const tenant = "11111111-2222-4333-8444-555555555555";
    const created = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const value = draftAssociation(partnerId, {
          status: i % 2 === 0 ? "Draft" : "Approved",
          customerTenantId: i < 3 ? tenant : "99999999-2222-4333-8444-555555555555",
        });
        await store.associations.create(value);
        return value.id;
      }),
    );
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.associations.list(partnerId, {}, { pageSize: 3, continuationToken: token });
      seen.push(...page.items.map((a) => a.id));
      token = page.continuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...created].sort());
    expect((await store.associations.list(partnerId, { status: "Approved" })).items).toHaveLength(3);
    expect(
      (await store.associations.list(partnerId, { customerTenantId: tenant.toUpperCase() })).items,
    ).toHaveLength(3);
  });

  it("rejects a continuation token it did not issue", async () => {
    await expect(
      store.associations.list("partner-a", {}, { continuationToken: "not a token!" }),
    ).rejects.toThrow(ValidationError);
  });

  it("refuses to read back an entity that no longer matches the schema", async () => {
    const value = draftAssociation("partner-corrupt");
    await store.associations.create(value);
    const raw = TableClient.fromConnectionString(
      inject("storageConnectionString"),
      store.tables.tableNameOf("associations"),
      { allowInsecureConnection: true },
    );
    await raw.updateEntity({ partitionKey: "partner-corrupt", rowKey: value.id, status: "Pending" }, "Merge");
    await expect(store.associations.get("partner-corrupt", value.id)).rejects.toThrow(NonRetriableError);
  });
});
