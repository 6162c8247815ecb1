import { describe, expect, it } from "vitest";
import { getIncentiveProgram } from "../../../src/config/incentivePrograms";
import { cspSeatsByWorkload } from "../../../src/config/skuWorkloads";
import type { Association } from "../../../src/domain/association";
import type { AssociationKind } from "../../../src/domain/associationTypes";
import type { LifecycleDurations } from "../../../src/domain/lifecycle";
import {
  claimValueOf,
  findOpportunities,
  opportunityDeadlineWindowMs,
  type OpportunityInputs,
  type TenantWorkloadUsage,
} from "../../../src/domain/opportunities";
import type { AssociationStatus } from "../../../src/domain/status";
import type { WorkloadId } from "../../../src/domain/workloads";
import { cporRequest } from "../../support/builders";

/**
 * A hand-checked fixture partner under the seed's FY20 milestone program (src/config/programs/
 * fy20-osu-milestones.v1.json: Teams 15% smb 1000 / enterprise 4000, 40% smb 2000 / enterprise 8000;
 * Exchange and SharePoint 15% 500 / 2000; Teams Meetings 15% 400 / 1500; Viva Engage 15% 300 / 1200;
 * Microsoft 365 Apps 15% 800 / 3000, 40% 1500 / 6000; Intune 15% 1500, 40% 3000 (security band,
 * ≥ 25 seats); Entra ID P1 15% 1000). Seat bands: smb 11–300, enterprise 301+, security 25+.
 */
const program = getIncentiveProgram("fy20-osu-milestones", 1);
const now = "2026-12-02T12:00:00.000Z";
const day = 86_400_000;
const durations: LifecycleDurations = {
  poeDeadlineMs: 30 * day,
  refusalWindowMs: 14 * day,
  partnerActionWindowMs: 5 * day,
  disputeWindowMs: 30 * day,
};

const tenant = (c: string) => `${c.repeat(8)}-0000-4000-8000-000000000000`;
const contoso = tenant("a"); // CSP Direct Bill, Office 365 E1 × 400; a Teams claim; Exchange 25% active
const fabrikam = tenant("b"); // PAL; readings only; another partner holds Microsoft 365 Apps
const northwind = tenant("c"); // DPOR; nothing tells its seats
const adatum = tenant("d"); // TPOR; a Draft claim on Teams and Exchange, PoE due in 3 days
const litware = tenant("e"); // CSP Indirect Reseller, Intune × 50; a claim awaiting the partner's answer
const relecloud = tenant("f"); // drifted PAL; a Draft claim far from its deadline
const ended = tenant("9"); // an Ended CSP relationship and a removed PAL: no longer worked with
const tailspin = tenant("1"); // only a RejectedFinal claim, whose readings the partner still sees

let seq = 0;
function association(
  kind: AssociationKind,
  status: AssociationStatus,
  customerTenantId: string,
  extra: Partial<Association> = {},
): Association {
  const at = "2026-11-01T12:00:00.000Z";
  const common = { partnerLocationId: "4871234", customerTenantId };
  const request: Association["request"] =
    kind === "csp-direct-bill" || kind === "csp-indirect-reseller"
      ? {
          type: "csp",
          ...common,
          customerDomain: "contoso.onmicrosoft.com",
          ...(kind === "csp-direct-bill"
            ? { model: "direct-bill" }
            : { model: "indirect-reseller", indirectProviderLocationId: "5123456" }),
        }
      : kind === "pal"
        ? {
            type: "pal",
            ...common,
            credential: { kind: "service-principal", objectId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d20" },
          }
        : kind === "dpor"
          ? {
              type: "dpor",
              ...common,
              customerDomain: "contoso.onmicrosoft.com",
              subscriptionId: "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d21",
              customerContact: { name: "Megan Bowen", title: "CIO", email: "megan@contoso.com" },
              partnerContact: { name: "Alex Wilber", email: "alex@fabrikam.com" },
            }
          : kind === "tpor"
            ? { type: "tpor", ...common, role: "licensing-solution-provider", enrollmentNumber: "12345678" }
            : cporRequest({ customerTenantId });
  return {
    id: `assoc-${++seq}`,
    partnerId: "partner-1",
    kind,
    status,
    customerTenantId,
    units: [],
    request,
    createdAt: at,
    updatedAt: at,
    statusChangedAt: at,
    ...extra,
  };
}

const claim = (
  customerTenantId: string,
  status: AssociationStatus,
  workloads: WorkloadId[],
  extra: Partial<Association> = {},
) =>
  association("cpor-osu-modern-work-security", status, customerTenantId, {
    request: cporRequest({ customerTenantId, workloads }),
    units: workloads.map((w) => `workload:${w}`),
    ...extra,
  });

const subscriptions = (...subs: { offerName: string; quantity: number; status: string }[]) =>
  subs.map((s, i) => ({ id: `sub-${i}`, ...s }));

const csp = (
  kind: "csp-direct-bill" | "csp-indirect-reseller",
  status: AssociationStatus,
  customerTenantId: string,
  subs: ReturnType<typeof subscriptions>,
) =>
  association(kind, status, customerTenantId, {
    csp: { source: "import", subscriptions: subs, subscriptionCount: subs.length },
  });

const reading = (
  customerTenantId: string,
  workload: WorkloadId,
  paidSeats: number,
  activeUsers: number,
): TenantWorkloadUsage => ({ customerTenantId, workload, paidSeats, activeUsers });

const adatumDraft = claim(adatum, "Draft", ["teams", "exchange"], {
  id: "adatum-draft",
  createdAt: "2026-11-05T12:00:00.000Z", // + 30 days = 2026-12-05T12:00Z: 3 days from now
});
const litwareReview = claim(litware, "PartnerActionRequired", ["intune"], {
  id: "litware-par",
  statusChangedAt: "2026-11-29T12:00:00.000Z", // + 5 days = 2026-12-04T12:00Z
  review: { outcome: "partner-action-required", reasons: ["missing-poe"], at: "2026-11-29T12:00:00.000Z" },
});

const fixture: OpportunityInputs = {
  associations: [
    csp("csp-direct-bill", "Active", contoso, [
      ...subscriptions(
        { offerName: "Office 365 E1", quantity: 400, status: "active" },
        { offerName: "Microsoft 365 E3", quantity: 100, status: "suspended" },
        { offerName: "Some add-on nobody mapped", quantity: 900, status: "active" },
      ),
    ]),
    claim(contoso, "Approved", ["teams"]),
    association("pal", "Active", fabrikam),
    association("dpor", "Active", northwind),
    association("tpor", "Active", adatum),
    adatumDraft,
    csp("csp-indirect-reseller", "Active", litware, [
      ...subscriptions({ offerName: "Microsoft Intune Plan 1", quantity: 50, status: "active" }),
    ]),
    litwareReview,
    association("pal", "Drifted", relecloud),
    claim(relecloud, "Draft", ["teams"], { createdAt: "2026-12-01T12:00:00.000Z" }),
    csp("csp-direct-bill", "Ended", ended, [
      ...subscriptions({ offerName: "Office 365 E1", quantity: 400, status: "active" }),
    ]),
    association("pal", "Removed", ended),
    claim(tailspin, "RejectedFinal", ["teams"]),
  ],
  readings: [
    reading(contoso, "exchange", 400, 100), // 25%: the 15% milestone is already met
    reading(fabrikam, "teams", 200, 50), // smb, 25%: only the 40% milestone can pay
    reading(fabrikam, "m365-apps", 200, 10), // smb, 5%: both milestones can pay
    reading(fabrikam, "entra-id-p1", 20, 0), // below the security band's 25 seats
    reading(adatum, "teams", 500, 50), // enterprise, 10%
    reading(adatum, "exchange", 500, 0),
    reading(relecloud, "teams", 100, 0),
    reading(relecloud, "sharepoint", 100, 0),
    reading(tailspin, "teams", 350, 0),
    reading(tenant("7"), "teams", 999, 0), // a tenant the partner has no association with: never seen
  ],
  cspSeatsOf: (subs) => cspSeatsByWorkload(subs),
  heldByOthers: [{ customerTenantId: fabrikam, workload: "m365-apps" }],
  program,
  durations,
  now,
};

const fileClaim = (w: string) => `File a CPOR claim for ${w} with a signed PoE: POST /api/v1/associations`;
const alreadyAbove15 = "already above 15% active: usage at claim time earns nothing";

describe("findOpportunities", () => {
  const items = findOpportunities(fixture);

  it("ranks every opportunity of the fixture partner by value, then tenant, then workload", () => {
    expect(items.map((i) => [i.value, i.customerTenantId, i.workload, i.kind])).toEqual([
      [12000, tailspin, "teams", "unclaimed"], // enterprise 350: 4000 + 8000
      [12000, adatum, "teams", "deadline"], // enterprise 500 at 10%: 4000 + 8000
      [4500, litware, "intune", "deadline"], // security 50: 1500 + 3000
      [2300, fabrikam, "m365-apps", "claimed-by-another-partner"], // smb 200 at 5%: 800 + 1500
      [2000, contoso, "sharepoint", "unclaimed"], // enterprise 400 (CSP): 2000
      [2000, fabrikam, "teams", "unclaimed"], // smb 200 at 25%: the 40% milestone, 2000
      [2000, adatum, "exchange", "deadline"], // enterprise 500: 2000
      [1500, contoso, "teams-meetings", "unclaimed"], // enterprise 400: 1500
      [1200, contoso, "viva-engage", "unclaimed"], // enterprise 400: 1200
      [500, relecloud, "sharepoint", "unclaimed"], // smb 100: 500
      [0, contoso, "exchange", "unclaimed"], // 25% active: the only milestone is already met
      [0, fabrikam, "entra-id-p1", "unclaimed"], // 20 seats: below the security band
      [0, northwind, null, "seats-unknown"],
    ]);
    for (const item of items) expect(item.currency).toBe("USD");
  });

  it("says how the partner works with the customer and that nothing is claimed", () => {
    const find = (t: string, w: string | null) =>
      items.find((i) => i.customerTenantId === t && i.workload === w);
    expect(find(contoso, "sharepoint")).toEqual({
      customerTenantId: contoso,
      workload: "sharepoint",
      reason: "CSP customer (Direct Bill), usage readings; no claim on sharepoint",
      value: 2000,
      currency: "USD",
      action: fileClaim("sharepoint"),
      kind: "unclaimed",
    });
    expect(find(contoso, "exchange")?.reason).toBe(
      `CSP customer (Direct Bill), usage readings; no claim on exchange; ${alreadyAbove15}`,
    );
    expect(find(fabrikam, "teams")?.reason).toBe(
      `PAL link, usage readings; no claim on teams; ${alreadyAbove15}`,
    );
    expect(find(fabrikam, "entra-id-p1")?.reason).toBe(
      "PAL link, usage readings; no claim on entra-id-p1; 20 paid seats fit none of its seat bands (security 25+)",
    );
    expect(find(relecloud, "sharepoint")?.reason).toBe(
      "PAL link (drifted), usage readings; no claim on sharepoint",
    );
    expect(find(tailspin, "teams")).toMatchObject({
      reason: "usage readings; no claim on teams",
      action: fileClaim("teams"),
    });
  });

  it("lists a workload another partner holds without naming it, with an honest action", () => {
    const held = items.find((i) => i.kind === "claimed-by-another-partner");
    expect(held?.reason).toBe("PAL link, usage readings; m365-apps is claimed by another partner");
    expect(held?.action).toMatch(/^Agree with the customer/);
    expect(held?.action).toContain(
      "a new PoE replaces the other partner's claim only if Microsoft accepts it",
    );
    expect(JSON.stringify(held)).not.toContain("partner-2");
  });

  it("lists Draft and PartnerActionRequired claims due within 7 days, valued at what they would lose", () => {
    expect(opportunityDeadlineWindowMs).toBe(7 * day);
    const due = items.filter((i) => i.kind === "deadline");
    expect(due).toEqual([
      {
        customerTenantId: adatum,
        workload: "teams",
        reason: "PoE due in 3 days (2026-12-05)",
        value: 12000,
        currency: "USD",
        action: "Submit the customer-signed proof of execution (POST /poe) by 2026-12-05T12:00:00.000Z.",
        kind: "deadline",
        associationId: "adatum-draft",
      },
      {
        customerTenantId: litware,
        workload: "intune",
        reason: "reviewers asked for changes (missing-poe); respond by 2026-12-04",
        value: 4500,
        currency: "USD",
        action:
          "Answer the reviewer (missing-poe) with a corrected proof of execution (POST /poe) by 2026-12-04T12:00:00.000Z.",
        kind: "deadline",
        associationId: "litware-par",
      },
      expect.objectContaining({ workload: "exchange", value: 2000, associationId: "adatum-draft" }),
    ]);
  });

  it("leaves out what the partner's live claims hold, far deadlines, ended relationships and strangers", () => {
    const listed = (t: string) => items.filter((i) => i.customerTenantId === t).map((i) => i.workload);
    expect(listed(contoso)).not.toContain("teams"); // Approved claim
    expect(listed(relecloud)).toEqual(["sharepoint"]); // its Teams Draft is due in 29 days
    expect(listed(ended)).toEqual([]);
    expect(listed(tenant("7"))).toEqual([]);
  });

  it("lists a customer whose seats nothing tells once, with workload null and value 0", () => {
    const unknown = items.filter((i) => i.customerTenantId === northwind);
    expect(unknown.map(({ action: _a, ...rest }) => rest)).toEqual([
      {
        customerTenantId: northwind,
        workload: null,
        reason:
          "DPOR; seats unknown: import its CSP subscriptions (POST /api/v1/csp/imports) or poll its usage",
        value: 0,
        currency: "USD",
        kind: "seats-unknown",
      },
    ]);
    expect(unknown[0]?.action).toContain("POST /api/v1/csp/imports");
  });

  it("counts a claim due exactly at the window's end and not a second later; an overdue one says so", () => {
    const at = (createdAt: string) =>
      findOpportunities({
        ...fixture,
        associations: [claim(adatum, "Draft", ["teams"], { createdAt })],
      }).filter((i) => i.kind === "deadline");
    // Deadline = createdAt + 30 days; the window is 7 days from 2026-12-02T12:00Z.
    expect(at("2026-11-09T12:00:00.000Z").map((i) => i.reason)).toEqual(["PoE due in 7 days (2026-12-09)"]);
    expect(at("2026-11-09T12:00:01.000Z")).toEqual([]);
    expect(at("2026-11-01T12:00:00.000Z").map((i) => i.reason)).toEqual(["PoE overdue since 2026-12-01"]);
  });

  it("has nothing to say for a partner without associations", () => {
    expect(findOpportunities({ ...fixture, associations: [] })).toEqual([]);
  });
});

describe("claimValueOf", () => {
  it.each([
    ["smb, no usage: both Teams milestones", "teams", 200, 0, 3000, []],
    ["enterprise at 39%: only the 40% milestone", "teams", 1000, 390, 8000, [alreadyAbove15]],
    [
      "at 40%: nothing",
      "teams",
      1000,
      400,
      0,
      ["already above 15% and 40% active: usage at claim time earns nothing"],
    ],
    [
      "10 seats: no band",
      "exchange",
      10,
      0,
      0,
      ["10 paid seats fit none of its seat bands (smb 11–300, enterprise 301+)"],
    ],
  ] as const)("%s", (_case, workload, paidSeats, activeUsers, value, notes) => {
    expect(claimValueOf(program, workload, { paidSeats, activeUsers }, now)).toEqual({ value, notes });
  });

  it("under the high-water-mark model: no seats above today's earn at claim time, and 40% active earns nothing", () => {
    const hwm = getIncentiveProgram("high-water-mark", 1);
    expect(claimValueOf(hwm, "teams", { paidSeats: 400, activeUsers: 0 }, now)).toEqual({
      value: 0,
      notes: [
        "the high-water-mark model pays 4 USD per paid seat added after approval, none for today's 400",
      ],
    });
    expect(claimValueOf(hwm, "teams", { paidSeats: 400, activeUsers: 160 }, now)).toEqual({
      value: 0,
      notes: ["already above 40% active: usage at claim time earns nothing"],
    });
  });
});

describe("cspSeatsByWorkload", () => {
  it("sums active subscriptions of known offers, by name or part number, into each workload", () => {
    expect(
      cspSeatsByWorkload([
        { offerName: "Office 365 E1", quantity: 10, status: "active" },
        { offerName: "ENTERPRISEPACK", quantity: 5, status: "Active" },
        { offerName: "office 365 e1", quantity: 1 },
        { offerName: "Microsoft 365 E3", quantity: 100, status: "suspended" },
        { offerName: "Office 365 E1" },
        { offerName: "Unknown offer", quantity: 7, status: "active" },
      ]),
    ).toEqual({
      exchange: 16,
      sharepoint: 16,
      teams: 16,
      "teams-meetings": 16,
      "viva-engage": 16,
      "m365-apps": 5,
    });
    expect(cspSeatsByWorkload([])).toEqual({});
  });
});
