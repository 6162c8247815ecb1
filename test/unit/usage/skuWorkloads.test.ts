import { describe, expect, it } from "vitest";
import {
  paidSeatsByWorkload,
  parseSkuWorkloadTable,
  skuWorkloads,
  workloadsForSku,
} from "../../../src/config/skuWorkloads";
import bundled from "../../../src/config/skuWorkloads.json";
import { workloadIds } from "../../../src/domain/workloads";

describe("the bundled SKU → workload table", () => {
  it("parses, is versioned and says it is configuration", () => {
    expect(skuWorkloads.version).toBe(1);
    expect(skuWorkloads.notes).toMatch(/configuration/i);
    expect(skuWorkloads.skus.size).toBe(Object.keys(bundled.skus).length);
    for (const { workloads } of skuWorkloads.skus.values())
      for (const workload of workloads) expect(workloadIds).toContain(workload);
  });

  it("maps the suites and add-ons the incentives are about", () => {
    expect(workloadsForSku("SPE_E3")).toEqual(
      expect.arrayContaining(["exchange", "sharepoint", "teams", "m365-apps", "intune", "entra-id-p1"]),
    );
    expect(workloadsForSku("SPE_E5")).toEqual(
      expect.arrayContaining([
        "exchange",
        "m365-apps",
        "entra-id-p2",
        "defender-office-365",
        "defender-endpoint",
        "defender-identity",
        "information-protection",
        "teams-phone",
      ]),
    );
    expect(workloadsForSku("ENTERPRISEPACK")).toEqual(
      expect.arrayContaining(["exchange", "sharepoint", "teams", "m365-apps"]),
    );
    expect(workloadsForSku("EMSPREMIUM")).toEqual(
      expect.arrayContaining(["intune", "entra-id-p2", "information-protection"]),
    );
    expect(workloadsForSku("INTUNE_A")).toEqual(["intune"]);
    expect(workloadsForSku("AAD_PREMIUM_P2")).toEqual(["entra-id-p2"]);
    expect(workloadsForSku("ATP_ENTERPRISE")).toEqual(["defender-office-365"]);
    expect(workloadsForSku("MDATP_XPLAT")).toEqual(["defender-endpoint"]);
    expect(workloadsForSku("ATA")).toEqual(["defender-identity"]);
    expect(workloadsForSku("MCOEV")).toEqual(["teams-phone"]);
  });

  it("matches part numbers case-insensitively and knows nothing of unknown SKUs", () => {
    expect(workloadsForSku("spe_e3")).toEqual(workloadsForSku("SPE_E3"));
    expect(workloadsForSku("POWER_BI_STANDARD")).toEqual([]);
    expect(workloadsForSku("")).toEqual([]);
  });
});

describe("paidSeatsByWorkload", () => {
  it("sums enabled prepaid units of Enabled SKUs per workload and ignores unknown SKUs", () => {
    const seats = paidSeatsByWorkload([
      { skuPartNumber: "ENTERPRISEPACK", capabilityStatus: "Enabled", prepaidUnits: { enabled: 400 } },
      { skuPartNumber: "SPE_E5", capabilityStatus: "Enabled", prepaidUnits: { enabled: 100 } },
      { skuPartNumber: "INTUNE_A", capabilityStatus: "Enabled", prepaidUnits: { enabled: 25 } },
      { skuPartNumber: "POWER_BI_STANDARD", capabilityStatus: "Enabled", prepaidUnits: { enabled: 9999 } },
      { skuPartNumber: "EMS", capabilityStatus: "Warning", prepaidUnits: { enabled: 300 } },
      { skuPartNumber: "AAD_PREMIUM", capabilityStatus: "Suspended", prepaidUnits: { enabled: 300 } },
    ]);
    expect(seats).toMatchObject({
      exchange: 500,
      sharepoint: 500,
      teams: 500,
      "m365-apps": 500,
      intune: 125,
      "entra-id-p2": 100,
      "defender-endpoint": 100,
    });
    expect(seats["entra-id-p1"]).toBeUndefined();
  });

  it("has nothing for a tenant without known, enabled SKUs", () => {
    expect(paidSeatsByWorkload([])).toEqual({});
    expect(
      paidSeatsByWorkload([
        { skuPartNumber: "FLOW_FREE", capabilityStatus: "Enabled", prepaidUnits: { enabled: 1 } },
      ]),
    ).toEqual({});
  });
});

describe("parseSkuWorkloadTable", () => {
  const valid = {
    version: 2,
    notes: "configuration",
    skus: { SPB: { name: "Business Premium", workloads: ["intune"] } },
  };

  it("accepts a well-formed table", () => {
    expect(workloadsForSku("spb", parseSkuWorkloadTable(valid))).toEqual(["intune"]);
  });

  it.each([
    ["an unknown workload", { ...valid, skus: { SPB: { name: "x", workloads: ["power-bi"] } } }],
    ["no workloads", { ...valid, skus: { SPB: { name: "x", workloads: [] } } }],
    ["a workload twice", { ...valid, skus: { SPB: { name: "x", workloads: ["intune", "intune"] } } }],
    [
      "a part number twice (case-insensitive)",
      {
        ...valid,
        skus: { SPB: { name: "x", workloads: ["intune"] }, spb: { name: "y", workloads: ["intune"] } },
      },
    ],
    ["no version", { notes: "x", skus: {} }],
    ["an unknown field", { ...valid, extra: true }],
  ])("rejects %s", (_what, table) => {
    expect(() => parseSkuWorkloadTable(table)).toThrow();
  });
});
