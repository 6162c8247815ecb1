import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/config/settings";
import { ValidationError } from "../../../src/domain/errors";

const storage = "UseDevelopmentStorage=true";

describe("loadSettings", () => {
  it("reads the API's limits, a rate of 0 turning the partner rate limit off, and names a bad one", () => {
    const base = { AzureWebJobsStorage: storage };
    expect(
      loadSettings({
        ...base,
        MAX_REQUEST_BYTES: "2048",
        PARTNER_RATE_LIMIT_PER_SECOND: "2.5",
        PARTNER_RATE_LIMIT_BURST: "5",
      }).api,
    ).toEqual({ maxRequestBytes: 2048, partnerRateLimit: { perSecond: 2.5, burst: 5 } });
    expect(
      loadSettings({ ...base, PARTNER_RATE_LIMIT_PER_SECOND: "0" }).api.partnerRateLimit,
    ).toBeUndefined();
    for (const [name, value] of [
      ["MAX_REQUEST_BYTES", "12"],
      ["MAX_REQUEST_BYTES", "lots"],
      ["PARTNER_RATE_LIMIT_PER_SECOND", "-1"],
      ["PARTNER_RATE_LIMIT_BURST", "0"],
    ] as const)
      expect(() => loadSettings({ ...base, [name]: value })).toThrow(new RegExp(name));
  });

  it("applies the documented defaults", () => {
    expect(loadSettings({ AzureWebJobsStorage: storage })).toEqual({
      storage: { kind: "connection-string", connectionString: storage },
      tablePrefix: undefined,
      poeMaxAgeMonths: 12,
      incentiveProgramId: "fy20-osu-milestones",
      lifecycle: {
        poeDeadlineMs: 30 * 86_400_000,
        refusalWindowMs: 14 * 86_400_000,
        partnerActionWindowMs: 7 * 86_400_000,
        disputeWindowMs: 30 * 86_400_000,
      },
      consent: { signingKey: undefined, previousSigningKey: undefined, linkTtlMs: 60 * 86_400_000 },
      adminApiKey: undefined,
      api: { maxRequestBytes: 15 * 1024 * 1024, partnerRateLimit: { perSecond: 100, burst: 1000 } },
      publicBaseUrl: "http://127.0.0.1:7071",
      email: { from: "no-reply@partner-of-record.local", replyTo: undefined, transport: "outbox" },
      queues: { inboundEmail: "inbound-email", partnerWebhooks: "partner-webhooks", usagePoll: "usage-poll" },
      webhookAllowedHosts: [],
      webhookRetry: { firstDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 86_400_000 },
      operations: {
        stuckAfterMs: 3_600_000,
        historyRetentionMs: 7_776_000_000,
        purgeSchedule: "0 30 3 * * *",
      },
      usage: {
        provider: "simulated",
        pollSchedule: "0 0 6 * * *",
        reportPeriod: "D7",
        simulation: { seed: "partner-of-record", daysPerSecond: 0 },
        graph: {
          clientId: undefined,
          clientSecret: undefined,
          authorityHost: "https://login.microsoftonline.com",
          baseUrl: "https://graph.microsoft.com/v1.0",
          defenderBaseUrl: "https://api.securitycenter.microsoft.com",
        },
        forecastReadings: 8,
      },
      entraId: undefined,
      secretsKey: undefined,
      authorityHost: "https://login.microsoftonline.com",
      dpor: { remindersMs: [7 * 86_400_000, 14 * 86_400_000], requestWindowMs: 30 * 86_400_000 },
      pal: {
        armBaseUrl: "https://management.azure.com",
        verifySchedule: "0 0 5 * * 1",
        verifyQueue: "pal-verify",
      },
      partnerCenter: {
        baseUrl: "https://api.partnercenter.microsoft.com",
        clientId: undefined,
        clientSecret: undefined,
        tenantId: undefined,
        partnerTenants: {},
        importSchedule: "0 0 4 * * *",
      },
      pcs: { snapshotSchedule: "0 30 6 * * *" },
    });
  });

  it.each([
    ["DPOR_REMINDERS", { DPOR_REMINDERS: "P14D,P7D" }],
    ["DPOR_REMINDERS", { DPOR_REMINDERS: "P7D,soon" }],
    ["DPOR_REMINDERS", { DPOR_REMINDERS: "P31D" }],
    ["SECRETS_KEY", { SECRETS_KEY: Buffer.alloc(16).toString("base64") }],
    ["SECRETS_KEY", { SECRETS_KEY: "not base64 at all!" }],
    ["PARTNER_CENTER_PARTNER_TENANTS", { PARTNER_CENTER_PARTNER_TENANTS: '{"fabrikam": "not-a-guid"}' }],
  ])("refuses a bad %s, naming it", (name, env) => {
    expect(() => loadSettings({ AzureWebJobsStorage: storage, ...env })).toThrow(name);
  });

  it("counts an empty value as unset, as Azure app settings left blank are", () => {
    const blank = { ADMIN_API_KEY: "", EMAIL_REPLY_TO: "", PARTNER_CENTER_TENANT_ID: "", SECRETS_KEY: "" };
    const settings = loadSettings({ AzureWebJobsStorage: storage, ...blank });
    expect(settings.adminApiKey).toBeUndefined();
    expect(settings.email.replyTo).toBeUndefined();
    expect(settings.partnerCenter.tenantId).toBeUndefined();
    expect(settings.secretsKey).toBeUndefined();
  });

  it("takes DPOR_REMINDERS=none for no reminders", () => {
    expect(loadSettings({ AzureWebJobsStorage: storage, DPOR_REMINDERS: "none" }).dpor.remindersMs).toEqual(
      [],
    );
  });

  it("reads the DPOR, PAL and Partner Center settings", () => {
    const key = Buffer.alloc(32, 7);
    const tenant = "00000000-0000-4000-8000-000000000001";
    const settings = loadSettings({
      AzureWebJobsStorage: storage,
      SECRETS_KEY: key.toString("base64"),
      DPOR_REMINDERS: "PT2S, PT4S",
      DPOR_REQUEST_WINDOW: "PT6S",
      ARM_BASE_URL: "https://127.0.0.1:8443/",
      PARTNER_CENTER_PARTNER_TENANTS: JSON.stringify({ fabrikam: tenant }),
    });
    expect(settings.secretsKey).toEqual(key);
    expect(settings.dpor).toEqual({ remindersMs: [2000, 4000], requestWindowMs: 6000 });
    expect(settings.pal.armBaseUrl).toBe("https://127.0.0.1:8443");
    expect(settings.partnerCenter.partnerTenants).toEqual({ fabrikam: tenant });
  });

  it("reads configured values", () => {
    const settings = loadSettings({
      AzureWebJobsStorage: storage,
      POE_MAX_AGE_MONTHS: "6",
      INCENTIVE_PROGRAM: "high-water-mark",
      TABLE_PREFIX: "demo",
    });
    expect(settings).toMatchObject({
      poeMaxAgeMonths: 6,
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
      LIFECYCLE_PARTNER_ACTION_WINDOW: "PT3S",
      LIFECYCLE_DISPUTE_WINDOW: "PT4S",
    });
    expect(settings.lifecycle).toEqual({
      poeDeadlineMs: 5_000,
      refusalWindowMs: 2_500,
      partnerActionWindowMs: 3_000,
      disputeWindowMs: 4_000,
    });
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

describe("loadSettings: WEBHOOK_ALLOWED_HOSTS", () => {
  it("reads host names and IP addresses, case-insensitively, in the form webhook URLs are compared", () => {
    const settings = loadSettings({
      AzureWebJobsStorage: storage,
      WEBHOOK_ALLOWED_HOSTS: "127.0.0.1, Hooks.Corp.Internal,[::1],",
    });
    expect(settings.webhookAllowedHosts).toEqual(["127.0.0.1", "hooks.corp.internal", "::1"]);
  });

  it("refuses an entry that is not a bare host, naming the variable and the entry", () => {
    try {
      loadSettings({
        AzureWebJobsStorage: storage,
        WEBHOOK_ALLOWED_HOSTS: "127.0.0.1,https://hooks.example",
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const issues = (err as ValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual(["WEBHOOK_ALLOWED_HOSTS"]);
      expect(issues[0]?.message).toContain('"https://hooks.example"');
    }
  });
});

describe("loadSettings: Entra ID", () => {
  const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const entra = {
    AzureWebJobsStorage: storage,
    ENTRA_ISSUER: `https://login.microsoftonline.com/${tid}/v2.0`,
    ENTRA_AUDIENCE: "api://partner-of-record",
    ENTRA_JWKS_URI: `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`,
    ENTRA_TENANT_PARTNERS: JSON.stringify({ [tid]: "fabrikam-1a2b3c" }),
  };
  const issuesOf = (env: Record<string, string>) => {
    try {
      loadSettings(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    }
    return expect.unreachable();
  };

  it("is off unless configured", () => {
    expect(loadSettings({ AzureWebJobsStorage: storage }).entraId).toBeUndefined();
  });

  it("reads the issuer, audience, key set, tenant map and required scope", () => {
    expect(loadSettings({ ...entra, ENTRA_REQUIRED_SCOPE: "Associations.ReadWrite" }).entraId).toEqual({
      issuer: entra.ENTRA_ISSUER,
      audience: "api://partner-of-record",
      jwksUri: entra.ENTRA_JWKS_URI,
      tenantPartners: { [tid]: "fabrikam-1a2b3c" },
      requiredScope: "Associations.ReadWrite",
      dashboard: undefined,
    });
    expect(loadSettings(entra).entraId?.requiredScope).toBeUndefined();
  });

  it("offers the dashboard Entra ID sign-in with its client ID, defaulting the authority and scopes", () => {
    const clientId = "3c1d9a7e-5b2f-4e8a-9c6d-1f0e2d3c4b5a";
    expect(loadSettings({ ...entra, ENTRA_DASHBOARD_CLIENT_ID: clientId }).entraId?.dashboard).toEqual({
      clientId,
      authority: "https://login.microsoftonline.com/organizations",
      scopes: ["api://partner-of-record/.default"],
    });
    expect(
      loadSettings({
        ...entra,
        ENTRA_DASHBOARD_CLIENT_ID: clientId,
        ENTRA_DASHBOARD_AUTHORITY: `https://login.microsoftonline.com/${tid}/`,
        ENTRA_DASHBOARD_SCOPES: "api://partner-of-record/Associations.ReadWrite openid",
      }).entraId?.dashboard,
    ).toEqual({
      clientId,
      authority: `https://login.microsoftonline.com/${tid}`,
      scopes: ["api://partner-of-record/Associations.ReadWrite", "openid"],
    });
    const { ENTRA_ISSUER: _issuer, ...rest } = entra;
    expect(issuesOf({ ...rest, ENTRA_DASHBOARD_CLIENT_ID: clientId }).map((i) => i.path)).toEqual([
      "ENTRA_ISSUER",
    ]);
    expect(
      issuesOf({
        ...entra,
        ENTRA_DASHBOARD_CLIENT_ID: "spa",
        ENTRA_DASHBOARD_AUTHORITY: "http://login.example",
      })
        .map((i) => i.path)
        .sort(),
    ).toEqual(["ENTRA_DASHBOARD_AUTHORITY", "ENTRA_DASHBOARD_CLIENT_ID"]);
  });

  it("lower-cases tenant IDs, as Entra writes them in tid", () => {
    const settings = loadSettings({
      ...entra,
      ENTRA_TENANT_PARTNERS: JSON.stringify({ [tid.toUpperCase()]: "fabrikam-1a2b3c" }),
    });
    expect(settings.entraId?.tenantPartners).toEqual({ [tid]: "fabrikam-1a2b3c" });
  });

  it("names every companion variable missing beside ENTRA_ISSUER", () => {
    expect(
      issuesOf({ AzureWebJobsStorage: storage, ENTRA_ISSUER: entra.ENTRA_ISSUER })
        .map((i) => i.path)
        .sort(),
    ).toEqual(["ENTRA_AUDIENCE", "ENTRA_JWKS_URI", "ENTRA_TENANT_PARTNERS"]);
  });

  it("names ENTRA_ISSUER when only its companions are set", () => {
    const { ENTRA_ISSUER: _issuer, ...rest } = entra;
    const issues = issuesOf({ ...rest, ENTRA_REQUIRED_SCOPE: "Associations.ReadWrite" });
    expect(issues.map((i) => i.path)).toEqual(["ENTRA_ISSUER"]);
    expect(issues[0]?.message).toContain("ENTRA_TENANT_PARTNERS");
  });

  it("allows a plain-http key set on loopback hosts only", () => {
    for (const uri of [
      "http://127.0.0.1:4455/discovery/v2.0/keys",
      "http://localhost/keys",
      "http://[::1]:80/k",
    ])
      expect(loadSettings({ ...entra, ENTRA_JWKS_URI: uri }).entraId?.jwksUri).toBe(uri);
    for (const uri of [
      "http://login.microsoftonline.com/common/discovery/v2.0/keys",
      "ftp://127.0.0.1/keys",
      "keys",
    ])
      expect(issuesOf({ ...entra, ENTRA_JWKS_URI: uri }).map((i) => i.path)).toEqual(["ENTRA_JWKS_URI"]);
  });

  it("refuses a tenant map that is not JSON, not GUIDs to partner IDs, or empty, naming the variable", () => {
    for (const map of [
      "{not json",
      '["72f988bf-86f1-41af-91ab-2d7cd011db47"]',
      JSON.stringify({ contoso: "fabrikam-1a2b3c" }),
      JSON.stringify({ [tid]: "Fabrikam Consulting" }),
      JSON.stringify({ [tid]: 42 }),
      JSON.stringify({ [tid]: "fabrikam-1a2b3c", [tid.toUpperCase()]: "contoso-4d5e6f" }),
      "{}",
    ]) {
      const issues = issuesOf({ ...entra, ENTRA_TENANT_PARTNERS: map });
      expect(issues.length).toBeGreaterThan(0);
      expect(new Set(issues.map((i) => i.path))).toEqual(new Set(["ENTRA_TENANT_PARTNERS"]));
    }
  });

  it("refuses a non-http issuer, an empty audience and a scope with spaces", () => {
    expect(
      issuesOf({
        ...entra,
        ENTRA_ISSUER: "urn:entra",
        ENTRA_AUDIENCE: "",
        ENTRA_REQUIRED_SCOPE: "Associations.Read Associations.Write",
      })
        .map((i) => i.path)
        .sort(),
    ).toEqual(["ENTRA_AUDIENCE", "ENTRA_ISSUER", "ENTRA_REQUIRED_SCOPE"]);
  });
});
