import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/domain/errors";
import type { IncentiveLedgerEntry } from "../../../src/domain/incentiveLedgerEntry";
import type { OutboxMessage } from "../../../src/domain/outboxMessage";
import { testStore } from "../../support/storage";

const entry = (overrides: Partial<IncentiveLedgerEntry> = {}): IncentiveLedgerEntry => ({
  partnerId: "partner-a",
  associationId: randomUUID(),
  customerTenantId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e",
  workload: "teams",
  milestoneKey: "active-15",
  programId: "fy20-osu-milestones",
  programVersion: 1,
  units: 1,
  amount: 1500,
  currency: "USD",
  reportRefreshDate: "2026-10-28",
  earnedAt: "2026-10-30T08:00:00.000Z",
  payableOn: "2026-11-16",
  ...overrides,
});

const message = (overrides: Partial<OutboxMessage> = {}): OutboxMessage => ({
  partnerId: "partner-a",
  associationId: randomUUID(),
  kind: "consent",
  to: "megan@contoso.com",
  from: "noreply@partner-of-record.example.com",
  subject: "Fabrikam asks to be your partner of record",
  text: "Fabrikam has claimed Teams.",
  html: "<p>Fabrikam has claimed Teams.</p>",
  createdAt: "2026-11-01T10:00:00.000Z",
  status: "pending",
  ...overrides,
});

describe("IncentiveLedgerRepository", () => {
  const store = testStore();

  it("records a milestone exactly once, however many writers race", async () => {
    const value = entry();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.incentiveLedger.recordOnce(value)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const listed = await store.incentiveLedger.list("partner-a", { associationId: value.associationId });
    expect(listed.items).toEqual([value]);
  });

  it("filters by payable month, workload and association; other partners see nothing", async () => {
    const associationId = randomUUID();
    await store.incentiveLedger.recordOnce(entry({ partnerId: "partner-f", associationId }));
    await store.incentiveLedger.recordOnce(
      entry({ partnerId: "partner-f", associationId, milestoneKey: "active-40" }),
    );
    await store.incentiveLedger.recordOnce(
      entry({ partnerId: "partner-f", associationId, workload: "exchange", payableOn: "2026-12-16" }),
    );
    const byMonth = await store.incentiveLedger.list("partner-f", { payableMonth: "2026-11" });
    expect(byMonth.items.map((e) => e.milestoneKey).sort()).toEqual(["active-15", "active-40"]);
    const byWorkload = await store.incentiveLedger.list("partner-f", { workload: "exchange" });
    expect(byWorkload.items.map((e) => e.payableOn)).toEqual(["2026-12-16"]);
    expect((await store.incentiveLedger.list("partner-g")).items).toEqual([]);
  });

  it("filters by the month a milestone was earned, beside the payable month, within the partner", async () => {
    const associationId = randomUUID();
    const at = (earnedAt: string, payableOn: string, milestoneKey: string) =>
      entry({ partnerId: "partner-e", associationId, earnedAt, payableOn, milestoneKey });
    await store.incentiveLedger.recordOnce(at("2026-11-30T23:59:59.999Z", "2026-12-16", "active-15"));
    await store.incentiveLedger.recordOnce(at("2026-12-01T00:00:00.000Z", "2027-01-16", "active-40"));
    await store.incentiveLedger.recordOnce(at("2026-12-31T12:00:00.000Z", "2027-01-16", "hwm-10"));
    await store.incentiveLedger.recordOnce(at("2027-01-01T00:00:00.000Z", "2027-02-16", "hwm-20"));
    await store.incentiveLedger.recordOnce(
      entry({ partnerId: "partner-other", earnedAt: "2026-12-05T00:00:00.000Z" }),
    );
    const keys = async (filter: Parameters<typeof store.incentiveLedger.list>[1]) =>
      (await store.incentiveLedger.list("partner-e", filter)).items.map((e) => e.milestoneKey).sort();
    expect(await keys({ earnedMonth: "2026-12" })).toEqual(["active-40", "hwm-10"]);
    expect(await keys({ earnedMonth: "2026-11" })).toEqual(["active-15"]);
    expect(await keys({ earnedMonth: "2026-12", payableMonth: "2027-01" })).toEqual(["active-40", "hwm-10"]);
    expect(await keys({ earnedMonth: "2026-11", payableMonth: "2027-01" })).toEqual([]);
  });

  it("keeps the claim name and the customer's domain, and still reads rows stored without them", async () => {
    const named = entry({
      partnerId: "partner-n",
      claimName: "Contoso modern work",
      customerDomain: "contoso.onmicrosoft.com",
    });
    await store.incentiveLedger.recordOnce(named);
    const older = entry({ partnerId: "partner-n" });
    const table = await store.tables.table("incentives");
    // A row as the version before them wrote it.
    const { partnerId: _p, ...rest } = older;
    await table.createEntity({
      partitionKey: "partner-n",
      rowKey: `${older.associationId}|${older.workload}|${older.milestoneKey}`,
      payableMonth: older.payableOn.slice(0, 7),
      ...rest,
    });
    const listed = (await store.incentiveLedger.list("partner-n")).items;
    expect(listed).toHaveLength(2);
    expect(listed).toContainEqual(named);
    expect(listed).toContainEqual(older);
  });
});

describe("OutboxRepository", () => {
  const store = testStore();

  it("stores one message per association and kind: the send guard", async () => {
    const value = message();
    expect(await store.outbox.insertOnce(value)).toBe(true);
    expect(await store.outbox.insertOnce({ ...value, subject: "a second attempt" })).toBe(false);
    const stored = await store.outbox.get("partner-a", value.associationId, "consent");
    expect(stored.value.subject).toBe(value.subject);
  });

  it("records the send outcome and lists the partner's messages", async () => {
    const value = message({ partnerId: "partner-o" });
    await store.outbox.insertOnce(value);
    const stored = await store.outbox.get("partner-o", value.associationId, "consent");
    await store.outbox.markSent(stored, { at: "2026-11-01T10:00:05.000Z", providerMessageId: "<abc@smtp>" });
    const [listed] = (await store.outbox.list("partner-o")).items;
    expect(listed).toMatchObject({
      status: "sent",
      sentAt: "2026-11-01T10:00:05.000Z",
      providerMessageId: "<abc@smtp>",
    });
  });

  it("refuses a message over Table Storage's 64 KiB property limit and writes nothing", async () => {
    const value = message({ html: `<p>${"x".repeat(40_000)}</p>` });
    const attempt = store.outbox.insertOnce(value);
    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(attempt).rejects.toThrow(/html/);
    expect((await store.outbox.list("partner-a", { associationId: value.associationId })).items).toEqual([]);
  });
});
