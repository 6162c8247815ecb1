import { describe, expect, it } from "vitest";
import { pcsProgramOn, pcsPrograms } from "../../../src/config/pcsPrograms";
import { pcsConfig, type PcsConfig } from "../../../src/domain/pcs/config";
import type { PcsInputs, PcsReading } from "../../../src/domain/pcs/inputs";
import { customerEligibility, scorePartner } from "../../../src/domain/pcs/score";

const today = "2026-12-15";
const fy27 = pcsProgramOn(today);

const t = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const read = (workload: PcsReading["workload"], day: string, paidSeats: number, activeUsers: number) => ({
  workload,
  reportRefreshDate: day,
  paidSeats,
  activeUsers,
});

/**
 * The fixture partner, scored by hand below (window: 2025-12-15 to 2026-12-15; last month 2026-11,
 * a year earlier 2025-11):
 * - T1 CPOR since 2026-03-01, Teams 400 seats, 100 → 200 active: enterprise add, +100 users, deployed (50%).
 * - T2 CSP since 2026-06-01, Exchange 50 seats, 10 → 30 active: SMB add, +20 users, deployed (60%).
 * - T3 DPOR since 2026-01-10, SharePoint 100 seats, 10 active, one reading: DPOR counts only above 300.
 * - T4 CPOR since 2025-06-01, Teams 500 seats, 50 (2025-06) → 150 (2026-01) → 250 active: older than
 *   the window; +100 users since the window's start; deployed now, not a year ago (10%).
 * - T5 CPOR 2025-01-01 to 2026-05-01, Teams 20 seats: lost (SMB, counts against).
 * - T6 PAL since 2025-01-01, Azure $1,500 in 2026-11 (SQL $800 + VMs $700), $500 in 2025-11.
 * - T7 CSP since 2024-01-01, Azure $2,000 in 2026-11, $3,000 in 2025-11.
 */
function fixture(overrides: Partial<PcsInputs> = {}): PcsInputs {
  return {
    today,
    associations: [
      { kind: "cpor-osu-modern-work-security", customerTenantId: t(1), since: "2026-03-01" },
      { kind: "csp-direct-bill", customerTenantId: t(2), since: "2026-06-01" },
      { kind: "dpor", customerTenantId: t(3), since: "2026-01-10" },
      { kind: "cpor-osu-modern-work-security", customerTenantId: t(4), since: "2025-06-01" },
      {
        kind: "cpor-osu-modern-work-security",
        customerTenantId: t(5),
        since: "2025-01-01",
        until: "2026-05-01",
      },
      { kind: "pal", customerTenantId: t(6), since: "2025-01-01" },
      { kind: "csp-direct-bill", customerTenantId: t(7), since: "2024-01-01" },
    ],
    readings: new Map([
      [t(1), [read("teams", "2026-03-05", 400, 100), read("teams", "2026-12-10", 400, 200)]],
      [t(2), [read("exchange", "2026-06-02", 50, 10), read("exchange", "2026-12-01", 50, 30)]],
      [t(3), [read("sharepoint", "2026-12-01", 100, 10)]],
      [
        t(4),
        [
          read("teams", "2025-06-02", 500, 50),
          read("teams", "2026-01-05", 500, 150),
          read("teams", "2026-12-01", 500, 250),
        ],
      ],
      [t(5), [read("teams", "2025-01-05", 20, 5)]],
    ]),
    skilling: { "modern-work": { intermediate: 3, advanced: 1 } },
    revenue: [
      { customerTenantId: t(6), month: "2026-11", amount: 800, service: "Azure SQL Database" },
      { customerTenantId: t(6), month: "2026-11", amount: 700, service: "Virtual Machines" },
      { customerTenantId: t(6), month: "2025-11", amount: 500 },
      { customerTenantId: t(7), month: "2026-11", amount: 2000 },
      { customerTenantId: t(7), month: "2025-11", amount: 3000 },
    ],
    lastQualifiedOn: {},
    ...overrides,
  };
}

const areaOf = (score: ReturnType<typeof scorePartner>, id: string) =>
  score.areas.find((a) => a.area === id)!;

describe("the bundled PCS rules", () => {
  it("parse, give every area 100 points, and mark Security's customer-success split unconfirmed", () => {
    expect(pcsPrograms.length).toBeGreaterThan(0);
    expect(fy27.areas.map((a) => a.id)).toEqual([
      "modern-work",
      "security",
      "business-applications",
      "data-ai",
      "infrastructure",
      "digital-app-innovation",
    ]);
    const maxima = (id: string) => fy27.areas.find((a) => a.id === id)!.metrics.map((m) => [m.id, m.max]);
    expect(maxima("modern-work")).toEqual([
      ["net-customer-adds", 20],
      ["intermediate-certifications", 10],
      ["advanced-certifications", 15],
      ["usage-growth", 30],
      ["deployments", 25],
    ]);
    expect(maxima("business-applications").map(([, max]) => max)).toEqual([15, 20, 15, 30, 20]);
    const security = fy27.areas.find((a) => a.id === "security")!;
    expect(security.metrics.map((m) => m.id)).not.toContain("advanced-certifications");
    expect(security.metrics.find((m) => m.id === "usage-growth")).toMatchObject({
      max: 20,
      confirmed: false,
    });
    expect(maxima("data-ai")[0]).toEqual(["net-customer-adds", 30]);
  });

  it("name the next step in plain numbers, thousands separated", () => {
    const empty = scorePartner(fy27, fixture({ associations: [], revenue: [], skilling: {} }));
    expect(areaOf(empty, "modern-work").metrics[3]!.next).toBe(
      "1,000 more active users on customers' Modern Work workloads: +30 points",
    );
    expect(areaOf(empty, "data-ai").metrics.find((m) => m.metric === "usage-growth")!.next).toBe(
      "$10,000 more monthly Azure consumed revenue than a year earlier: +25 points",
    );
  });

  it("refuse an area whose maxima do not add to 100", () => {
    const broken = structuredClone<PcsConfig>(fy27);
    broken.areas[0]!.metrics[0]!.max = 19;
    const parsed = pcsConfig.safeParse(broken);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain("add to 99");
  });
});

describe("scorePartner, Modern Work of the fixture partner (by hand)", () => {
  const mw = areaOf(scorePartner(fy27, fixture()), "modern-work");

  it("scores every metric number by number", () => {
    expect(mw.metrics).toEqual([
      // T1 enterprise +1 (20/5 = 4), T2 SMB +1 (20/10 = 2), T5 lost SMB -1 (-2): 4 points.
      {
        metric: "net-customer-adds",
        points: 4,
        max: 20,
        next: "4 more customers above 300 paid seats (with a CPOR or DPOR): +16 points",
      },
      // 3 of 4 → 7.5; 1 of 2 → 7.5.
      {
        metric: "intermediate-certifications",
        points: 7.5,
        max: 10,
        next: "1 more intermediate certification: +2.5 points",
      },
      {
        metric: "advanced-certifications",
        points: 7.5,
        max: 15,
        next: "1 more advanced certification: +7.5 points",
      },
      // +100 (T1) +20 (T2) +100 (T4) = 220 of 1,000 → 6.6; the rest is 780 users.
      {
        metric: "usage-growth",
        points: 6.6,
        max: 30,
        next: "780 more active users on customers' Modern Work workloads: +23.4 points",
      },
      // T1, T2, T4 deployed now and not a year ago: 3 of 5 → 15.
      {
        metric: "deployments",
        points: 15,
        max: 25,
        next: "2 more deployments (11+ paid seats, 40% active): +10 points",
      },
    ]);
    expect(mw.total).toBe(40.6);
    expect(mw).toMatchObject({ qualified: false, qualifiedToday: false, lastQualifiedOn: null });
  });

  it("says, per customer, which metrics it counts toward and why not", () => {
    const view = new Map(
      customerEligibility(fy27, "modern-work", fixture()).map((c) => [c.customerTenantId, c]),
    );
    expect(view.get(t(1))).toEqual({
      customerTenantId: t(1),
      metrics: ["net-customer-adds", "usage-growth", "deployments"],
      reasons: [],
    });
    expect(view.get(t(3))!.metrics).toEqual([]);
    expect(view.get(t(3))!.reasons).toEqual([
      {
        metric: "net-customer-adds",
        reason:
          "below the seat band for its association type (100 paid seats: 11-300 paid seats count CPOR, CSP)",
      },
      {
        metric: "usage-growth",
        reason: "below the usage line (fewer than two usage readings since 2026-01-10)",
      },
      {
        metric: "deployments",
        reason: "below the usage line (10% of paid seats active; a deployment needs 40%)",
      },
    ]);
    expect(view.get(t(4))).toEqual({
      customerTenantId: t(4),
      metrics: ["usage-growth", "deployments"],
      reasons: [
        {
          metric: "net-customer-adds",
          reason:
            "association older than the window (counting since 2025-06-01; net adds count from 2025-12-15)",
        },
      ],
    });
    expect(view.get(t(5))!.reasons[0]).toEqual({
      metric: "net-customer-adds",
      reason: "lost: its association stopped counting on 2026-05-01 (counts against net adds)",
    });
    expect(view.get(t(6))!.reasons).toContainEqual({
      metric: "net-customer-adds",
      reason: "no association of a counting type (CPOR, CSP, DPOR)",
    });
  });
});

describe("scorePartner, the Azure areas and Security (by hand)", () => {
  it("counts T6 as a net Azure customer and T6's one non-VM service as a deployment", () => {
    const dataAi = areaOf(scorePartner(fy27, fixture()), "data-ai");
    const points = Object.fromEntries(dataAi.metrics.map((m) => [m.metric, m.points]));
    // T6: $1,500 ≥ $1,000 now, $500 a year earlier: +1 → 10 of 30. T7 was eligible both times.
    // Growth: T6 +1,000, T7 -1,000 → 0. Deployments: T6 SQL (VMs excluded), none a year earlier: 1 of 3.
    expect(points).toEqual({
      "net-customer-adds": 10,
      "intermediate-certifications": 0,
      "advanced-certifications": 0,
      "usage-growth": 0,
      deployments: 6.67,
    });
    expect(dataAi.metrics[0]!.next).toBe(
      "2 more customers with $1,000+ Azure consumed revenue last month (net of a year earlier): +20 points",
    );
    const view = customerEligibility(fy27, "data-ai", fixture()).find((c) => c.customerTenantId === t(7))!;
    expect(view.reasons).toEqual([
      { metric: "net-customer-adds", reason: "already eligible a year earlier (2025-11): not a net add" },
      {
        metric: "usage-growth",
        reason: "below the usage line (Azure consumed revenue $2,000 in 2026-11, $3,000 in 2025-11)",
      },
      {
        metric: "deployments",
        reason:
          "below the usage line (0 Azure services with revenue by service in 2026-11, 0 in 2025-11; Virtual Machines do not count)",
      },
    ]);
  });

  it("reports Business Applications' revenue metrics as not measured here, at 0 with the reason", () => {
    const ba = areaOf(scorePartner(fy27, fixture()), "business-applications");
    const growth = ba.metrics.find((m) => m.metric === "usage-growth")!;
    expect(growth.points).toBe(0);
    expect(growth.next).toBeNull();
    expect(growth.note).toContain("Partner Center shows these points");
  });
});

/** Two certification metrics, 80 + 20 points: totals to the hundredth are easy to reach. */
const tiny: PcsConfig = pcsConfig.parse({
  programYear: "FY27",
  effectiveFrom: "2026-07-01",
  windowMonths: 12,
  qualification: { minTotal: 70, keepMonths: 5, source: "test", confirmed: true },
  areas: [
    {
      id: "modern-work",
      name: "Modern Work",
      workloads: [],
      metrics: [
        {
          id: "intermediate-certifications",
          max: 80,
          parts: [{ kind: "certifications", level: "intermediate", fullAt: 10 }],
          source: "test",
          confirmed: true,
        },
        {
          id: "advanced-certifications",
          max: 20,
          parts: [{ kind: "certifications", level: "advanced", fullAt: 1000 }],
          source: "test",
          confirmed: true,
        },
      ],
    },
  ],
});

const qualification = (intermediate: number, advanced: number, lastQualifiedOn?: string) =>
  scorePartner(
    tiny,
    fixture({
      associations: [],
      revenue: [],
      skilling: { "modern-work": { intermediate, advanced } },
      lastQualifiedOn: lastQualifiedOn ? { "modern-work": lastQualifiedOn } : {},
    }),
  ).areas[0]!;

describe("qualification", () => {
  it("needs 70 points: 69.9 is not enough, 70 is", () => {
    expect(qualification(8, 295)).toMatchObject({ total: 69.9, qualifiedToday: false, qualified: false });
    expect(qualification(8, 300)).toMatchObject({
      total: 70,
      qualifiedToday: true,
      qualified: true,
      lastQualifiedOn: today,
    });
  });

  it("needs more than 0 in every metric: 80 points with one metric at 0 do not qualify", () => {
    expect(qualification(10, 0)).toMatchObject({ total: 80, qualifiedToday: false, qualified: false });
  });

  it("keeps a partner qualified on a day of this month or the five before, not six months back", () => {
    expect(qualification(0, 0, "2026-07-01")).toMatchObject({
      qualified: true,
      lastQualifiedOn: "2026-07-01",
    });
    expect(qualification(0, 0, "2026-06-30")).toMatchObject({
      qualified: false,
      lastQualifiedOn: "2026-06-30",
    });
  });
});
