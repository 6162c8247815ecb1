import { randomBytes, randomUUID } from "node:crypto";
import { getIncentiveProgram } from "../src/config/incentivePrograms";
import { startAzurite } from "devhost";
import { ConflictError } from "../src/domain/errors";
import { evaluateMilestones } from "../src/domain/milestones";
import { checkPoe } from "../src/domain/poe";
import { createStore } from "../src/store/store";
import { draftAssociation } from "../test/support/builders";
import { measure, report, type Measurement } from "./measure";

/**
 * `npm run bench`: the foundation's figures. Pure domain rules (milestone evaluation, PoE check)
 * and the Table Storage repositories against an in-memory Azurite started here, measured in the
 * same run (Azurite's speed varies by machine, so only same-run figures compare).
 */
async function main(): Promise<void> {
  const rows: Measurement[] = [];
  rows.push(...(await domainBenchmarks()));
  const azurite = await startAzurite();
  try {
    rows.push(...(await storageBenchmarks(azurite.connectionString)));
  } finally {
    await azurite.stop();
  }
  console.log(report(rows));
  console.log(
    `\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, node ${process.version}`,
  );
}

async function domainBenchmarks(): Promise<Measurement[]> {
  const milestone = getIncentiveProgram("fy20-osu-milestones");
  const hwm = getIncentiveProgram("high-water-mark");
  const input = (program: typeof milestone, i: number) => ({
    program,
    claimedWorkloads: ["teams", "exchange", "intune", "m365-apps"] as const,
    baseline: {
      approvedAt: "2026-01-10",
      workloads: { teams: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 } },
    },
    reading: {
      reportRefreshDate: "2026-03-01",
      workloads: {
        teams: { paidSeats: 400 + (i % 50), activeUsers: 100 + (i % 200) },
        exchange: { paidSeats: 400, activeUsers: 70 },
        intune: { paidSeats: 30, activeUsers: 14 },
        "m365-apps": { paidSeats: 400, activeUsers: 10 },
      },
    },
    recorded: [{ workload: "teams" as const, key: "active-15" }],
  });
  const poe = {
    documentName: "sow.pdf",
    documentBase64: "JVBERi0xLjQK",
    customerSignerName: "Megan Bowen",
    customerSignerEmail: "megan@contoso.com",
    signedDate: "2026-06-01",
    servicesDescription: "Teams rollout",
    workloads: ["teams" as const],
  };
  const claim = {
    workloads: ["teams" as const],
    customerTenantId: randomUUID(),
    customerDomain: "contoso.onmicrosoft.com",
  };
  return [
    await measure("evaluateMilestones, milestone program (4 workloads)", 100_000, 1, (i) =>
      evaluateMilestones(input(milestone, i)),
    ),
    await measure("evaluateMilestones, high-water-mark program (4 workloads)", 100_000, 1, (i) =>
      evaluateMilestones(input(hwm, i)),
    ),
    await measure("checkPoe", 100_000, 1, () => checkPoe(poe, claim, { today: "2026-11-22" })),
  ];
}

async function storageBenchmarks(connectionString: string): Promise<Measurement[]> {
  const store = createStore(connectionString, { prefix: `b${randomBytes(4).toString("hex")}` });
  await store.claims.listByTenant(randomUUID()); // create the table outside the timings
  await store.associations.list("warm-up");
  const at = new Date().toISOString();
  const holder = (partnerId: string) => ({ partnerId, associationId: randomUUID(), claimedAt: at });
  const rows: Measurement[] = [];

  rows.push(
    await measure("claim 1 workload, new tenant each (sequential)", 500, 1, () =>
      store.claims.claim(randomUUID(), ["workload:teams"], holder("p")),
    ),
  );
  rows.push(
    await measure("claim 4 workloads in one transaction (16 in flight)", 500, 16, () =>
      store.claims.claim(
        randomUUID(),
        ["workload:teams", "workload:exchange", "workload:intune", "workload:m365-apps"],
        holder("p"),
      ),
    ),
  );
  const tenants = Array.from({ length: 20 }, () => randomUUID());
  let conflicts = 0;
  rows.push(
    await measure("contended claim: 50 partners × 20 units (50 in flight)", 1000, 50, async (i) => {
      try {
        await store.claims.claim(tenants[i % 20] ?? "", ["workload:teams"], holder(`partner-${i}`));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        conflicts++;
      }
    }),
  );
  if (conflicts !== 1000 - 20) throw new Error(`expected 980 conflicts, saw ${conflicts}`);

  const ids: string[] = [];
  rows.push(
    await measure("create association (16 in flight)", 500, 16, async () => {
      const value = draftAssociation("partner-bench");
      ids.push(value.id);
      await store.associations.create(value);
    }),
  );
  rows.push(
    await measure("ETag-guarded update, no contention (16 in flight)", 500, 16, (i) =>
      store.associations.update("partner-bench", ids[i] ?? "", (a) => ({ ...a, status: "Submitted" })),
    ),
  );
  const hot = draftAssociation("partner-bench", { units: [] });
  await store.associations.create(hot);
  rows.push(
    await measure("ETag-guarded update, 20 writers on one row", 200, 20, (i) =>
      store.associations.update("partner-bench", hot.id, (a) => ({ ...a, units: [...a.units, `u${i}`] }), {
        attempts: 100,
        baseDelayMs: 2,
      }),
    ),
  );
  const final = await store.associations.get("partner-bench", hot.id);
  if (final.value.units.length !== 200) throw new Error(`lost updates: ${200 - final.value.units.length}`);
  rows.push(
    await measure("list associations, pages of 100", 5, 1, async () => {
      let token: string | undefined;
      do
        token = (
          await store.associations.list("partner-bench", {}, { pageSize: 100, continuationToken: token })
        ).continuationToken;
      while (token);
    }),
  );
  return rows;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
