import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/config/settings";
import { ValidationError } from "../../../src/domain/errors";

const storage = "UseDevelopmentStorage=true";

describe("loadSettings", () => {
  it("applies the documented defaults", () => {
    expect(loadSettings({ AzureWebJobsStorage: storage })).toEqual({
      storage: { kind: "connection-string", connectionString: storage },
      tablePrefix: undefined,
      poeMaxAgeMonths: 12,
      disputeWindowDays: 30,
      incentiveProgramId: "fy20-osu-milestones",
    });
  });

  it("reads configured values", () => {
    const settings = loadSettings({
      AzureWebJobsStorage: storage,
      POE_MAX_AGE_MONTHS: "6",
      DISPUTE_WINDOW_DAYS: "10",
      INCENTIVE_PROGRAM: "high-water-mark",
      TABLE_PREFIX: "demo",
    });
    expect(settings).toMatchObject({
      poeMaxAgeMonths: 6,
      disputeWindowDays: 10,
      incentiveProgramId: "high-water-mark",
    });
  });

  it("accepts an identity-based connection, as the Functions host names it", () => {
    expect(loadSettings({ AzureWebJobsStorage__accountName: "porprod01" }).storage).toEqual({
      kind: "identity",
      tableEndpoint: "https://porprod01.table.core.windows.net",
      clientId: undefined,
    });
  });

  it("names every bad variable at once", () => {
    try {
      loadSettings({ POE_MAX_AGE_MONTHS: "twelve", INCENTIVE_PROGRAM: "fy99", TABLE_PREFIX: "9x" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
        "AzureWebJobsStorage",
        "INCENTIVE_PROGRAM",
        "POE_MAX_AGE_MONTHS",
        "TABLE_PREFIX",
      ]);
    }
  });
});
