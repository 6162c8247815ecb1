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
      lifecycle: { poeDeadlineMs: 30 * 86_400_000, refusalWindowMs: 14 * 86_400_000 },
      consent: { signingKey: undefined, linkTtlMs: 60 * 86_400_000 },
      adminApiKey: undefined,
      publicBaseUrl: "http://127.0.0.1:7071",
      email: { from: "no-reply@partner-of-record.local", transport: "outbox" },
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

  it("reads lifecycle durations as ISO 8601, so tests and demos run in seconds", () => {
    const settings = loadSettings({
      AzureWebJobsStorage: storage,
      LIFECYCLE_POE_DEADLINE: "PT5S",
      LIFECYCLE_REFUSAL_WINDOW: "PT2.5S",
    });
    expect(settings.lifecycle).toEqual({ poeDeadlineMs: 5_000, refusalWindowMs: 2_500 });
  });

  it("refuses month-based durations and incomplete SMTP settings", () => {
    expect(() =>
      loadSettings({ AzureWebJobsStorage: storage, LIFECYCLE_POE_DEADLINE: "P1M", EMAIL_TRANSPORT: "smtp" }),
    ).toThrow(/LIFECYCLE_POE_DEADLINE.*SMTP_HOST|SMTP_HOST.*LIFECYCLE_POE_DEADLINE/s);
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
