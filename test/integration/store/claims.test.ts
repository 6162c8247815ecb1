import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConflictError } from "../../../src/domain/errors";
import { testStore } from "../../support/storage";

const at = "2026-11-02T09:00:00.000Z";
const holder = (partnerId: string, associationId = randomUUID()) => ({
  partnerId,
  associationId,
  claimedAt: at,
});
const newTenant = () => randomUUID();

describe("ClaimRepository", () => {
  const store = testStore();

  it("lets exactly one of 50 partners racing for one workload win", async () => {
    const tenant = newTenant();
    const partners = Array.from({ length: 50 }, (_, i) => `partner-${i}`);
    const outcomes = await Promise.allSettled(
      partners.map((p) => store.claims.claim(tenant, ["workload:teams"], holder(p))),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    const winner = (await store.claims.holder(tenant, "workload:teams"))?.partnerId;
    for (const err of lost) {
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).unit).toBe("workload:teams");
      expect((err as ConflictError).message).toContain("workload:teams");
      expect((err as ConflictError).message).not.toContain(winner);
      expect((err as ConflictError).existingAssociationId).toBeUndefined();
    }
  });

  it("claims several workloads all or nothing", async () => {
    const tenant = newTenant();
    await store.claims.claim(tenant, ["workload:teams"], holder("partner-a"));
    await expect(
      store.claims.claim(
        tenant,
        ["workload:sharepoint", "workload:teams", "workload:intune"],
        holder("partner-b"),
      ),
    ).rejects.toMatchObject({ unit: "workload:teams" });
    expect((await store.claims.listByTenant(tenant)).map((c) => c.unit)).toEqual(["workload:teams"]);
  });

  it("points a partner at its own association that already holds the unit", async () => {
    const tenant = newTenant();
    const mine = holder("partner-a");
    await store.claims.claim(tenant, ["workload:exchange"], mine);
    await expect(
      store.claims.claim(tenant, ["workload:exchange"], holder("partner-a")),
    ).rejects.toMatchObject({
      unit: "workload:exchange",
      existingAssociationId: mine.associationId,
    });
  });

  it("treats a repeated claim by the same association as done (activities run at least once)", async () => {
    const tenant = newTenant();
    const mine = holder("partner-a");
    await store.claims.claim(tenant, ["workload:teams", "workload:exchange"], mine);
    await expect(
      store.claims.claim(tenant, ["workload:teams", "workload:exchange"], mine),
    ).resolves.toBeUndefined();
  });

  it("releases only the association's own units, idempotently, and frees them for others", async () => {
    const tenant = newTenant();
    const a = holder("partner-a");
    const b = holder("partner-b");
    await store.claims.claim(tenant, ["workload:teams"], a);
    await store.claims.claim(tenant, ["workload:intune"], b);
    await store.claims.release(tenant, ["workload:teams", "workload:intune"], a.associationId);
    await store.claims.release(tenant, ["workload:teams", "workload:intune"], a.associationId);
    expect((await store.claims.listByTenant(tenant)).map((c) => c.unit)).toEqual(["workload:intune"]);
    await store.claims.claim(tenant, ["workload:teams"], b);
    expect((await store.claims.holder(tenant, "workload:teams"))?.associationId).toBe(b.associationId);
  });

  it("keeps tenants apart: the same workload in two tenants has two holders", async () => {
    const [t1, t2] = [newTenant(), newTenant()];
    await store.claims.claim(t1, ["workload:teams"], holder("partner-a"));
    await expect(store.claims.claim(t2, ["workload:teams"], holder("partner-b"))).resolves.toBeUndefined();
  });
});
