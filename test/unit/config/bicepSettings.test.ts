import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/config/settings";

/**
 * infra/main.bicep held to the app's settings schema. No Bicep compiler runs in this repository's CI,
 * so the template is read as text, with small regular expressions that rely on its layout: one
 * declaration per line at the left margin, and one `{ name: '…', value: … }` app setting per line.
 * A template that drifts from that layout fails here loudly rather than passing unread.
 *
 * What it holds:
 * (a) the app settings, with stand-ins for what only Azure knows (Key Vault secrets, resource names),
 *     pass `loadSettings` and give production behaviour: identity-based storage, ACS email, Graph usage;
 *     and every setting the template sets is one the app or the Functions host reads (no typos);
 * (b) every setting whose name says secret is a Key Vault reference to a secret in the template's
 *     vault, and no `@secure()` parameter reaches a setting any other way;
 * (c) every Key Vault secret is fed by `@secure()` parameters or a resource's `listKeys()` only, and
 *     every `@secure()` parameter is kept in Key Vault;
 * plus the vault's protections and the identity's roles. The `%SETTING%`s the triggers bind are held
 * by triggerSettings.test.ts.
 */

/** One Bicep string literal (quotes escaped with a backslash), or a comment: `//` to the line's end, or `/* … *\/`. */
const stringOrComment = /'(?:[^'\\]|\\.)*'|\/\/[^\n]*|\/\*[\s\S]*?\*\//g;

/** The template without comments; strings are kept whole, so an apostrophe in a comment opens none. */
const template = readFileSync("infra/main.bicep", "utf8").replace(stringOrComment, (token) =>
  token.startsWith("'") ? token : "",
);

/** `{ "parameters": { "<name>": { "value": … } } }`: ARM's deployment parameters file. */
const parametersFile = JSON.parse(readFileSync("infra/main.parameters.json", "utf8")) as {
  $schema: string;
  parameters: Record<string, { value: unknown }>;
};

/**
 * The part of `text` from `open` (the index of a `{` or `[`) to its closing bracket. Strings are
 * skipped whole: their `${…}` interpolations and any bracket in them do not count.
 */
function bracketed(text: string, open: number): string {
  const token = /'(?:[^'\\]|\\.)*'|[{}[\]]/g;
  token.lastIndex = open;
  let depth = 0;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    if (match[0].startsWith("'")) continue;
    depth += match[0] === "{" || match[0] === "[" ? 1 : -1;
    if (depth === 0) return text.slice(open, token.lastIndex);
  }
  throw new Error(`unbalanced brackets after: ${text.slice(open, open + 80)}`);
}

interface Param {
  secure: boolean;
  /** The default's Bicep expression, if any. */
  default: string | undefined;
}

/** `@decorator(…)` lines, then `param <name> <type>[ = <default>]`, all at the left margin. */
const paramDeclaration = /^((?:@.*\n)*)param (\w+) \w+(?: = (.+))?$/gm;

const params = new Map<string, Param>(
  [...template.matchAll(paramDeclaration)].map((m) => [
    m[2] ?? "",
    { secure: /^@secure\(\)$/m.test(m[1] ?? ""), default: m[3] },
  ]),
);

interface Resource {
  symbol: string;
  /** Such as `Microsoft.KeyVault/vaults/secrets` (the API version left out). */
  type: string;
  /** The expression of `= if (<condition>) {`, for a conditional resource. */
  condition: string | undefined;
  /** From the opening `{` (or `[` of a loop) to its closing bracket. */
  body: string;
}

/** `resource <symbol> '<type>@<version>' = [if (<condition>) ]{` or `= [` (a loop). */
const resourceDeclaration = /^resource (\w+) '([^'@]+)@[^']+' = (?:if \((.+)\) )?[{[]/gm;

const resources: Resource[] = [...template.matchAll(resourceDeclaration)].map((m) => ({
  symbol: m[1] ?? "",
  type: m[2] ?? "",
  condition: m[3],
  body: bracketed(template, m.index + m[0].length - 1),
}));

function resourcesOfType(type: string): Resource[] {
  return resources.filter((r) => r.type === type);
}

function onlyResource(type: string): Resource {
  const [found, ...more] = resourcesOfType(type);
  if (!found || more.length > 0) throw new Error(`expected one ${type} resource`);
  return found;
}

const app = onlyResource("Microsoft.Web/sites");
const vault = onlyResource("Microsoft.KeyVault/vaults");
const secrets = new Map(resourcesOfType("Microsoft.KeyVault/vaults/secrets").map((r) => [r.symbol, r]));

/** The function app's `appSettings: [ … ]`, each entry `{ name: '<NAME>', value: <expression> }` on one line. */
const appSettings: { name: string; value: string }[] = (() => {
  const start = app.body.indexOf("appSettings: [");
  if (start < 0) throw new Error("the function app has no appSettings");
  const list = bracketed(app.body, start + "appSettings: ".length);
  return list
    .slice(1, -1)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const m = /^\{ name: '([^']+)', value: (.+) \}$/.exec(line);
      if (!m) throw new Error(`an app setting not on one line as { name: '…', value: … }: ${line}`);
      return { name: m[1] ?? "", value: m[2] ?? "" };
    });
})();

/** A Key Vault reference to a secret resource of this template: `'@Microsoft.KeyVault(SecretUri=${<secret>.properties.secretUri})'`. */
const keyVaultReference = /^'@Microsoft\.KeyVault\(SecretUri=\$\{(\w+)\.properties\.secretUri\}\)'$/;
/** The same for an optional secret: empty (unset, to the app) when its parameter is: `empty(<param>) ? '' : <reference>`. */
const optionalKeyVaultReference =
  /^empty\((\w+)\) \? '' : '@Microsoft\.KeyVault\(SecretUri=\$\{(\w+)\.properties\.secretUri\}\)'$/;

/** The secret a setting's value refers to, and the parameter that guards an optional one. */
function keyVaultSecretOf(value: string): { secret: string; guard: string | undefined } | undefined {
  const plain = keyVaultReference.exec(value);
  if (plain) return { secret: plain[1] ?? "", guard: undefined };
  const optional = optionalKeyVaultReference.exec(value);
  if (optional) return { secret: optional[2] ?? "", guard: optional[1] };
  return undefined;
}

/** A Bicep string literal, `${…}` interpolations included. */
const stringLiteral = /'(?:[^'\\]|\\.)*'/g;

/**
 * The identifiers an expression uses as values (parameters, variables, resources): not a function's
 * name, not a property after `.`, not a string's text; but those inside a string's `${…}`.
 */
function valueIdentifiers(expression: string): string[] {
  const code = expression.replace(stringLiteral, (literal) =>
    [...literal.matchAll(/\$\{([^}]*)\}/g)].map((m) => ` (${m[1] ?? ""}) `).join(""),
  );
  return [...code.matchAll(/(?<![.\w])([A-Za-z_]\w*)(?!\w|\s*\()/g)].map((m) => m[1] ?? "");
}

/** A Key Vault secret's value: `properties: { value: <expression> }`, on one line or two. */
function secretValue(secret: Resource): string {
  const value = /\bvalue: (.+?)(?: \})?$/m.exec(secret.body)?.[1];
  if (value === undefined) throw new Error(`${secret.symbol} has no value`);
  return value;
}

const secureParams = [...params].filter(([, p]) => p.secure).map(([name]) => name);

/**
 * Names that say secret. Not every such name is one: APPLICATIONINSIGHTS_CONNECTION_STRING names
 * where telemetry goes and the resource's instrumentation key, which Azure treats as an identifier,
 * not a credential (it shows it to every reader of the resource); and with local authentication
 * disabled on the component, ingestion takes an Entra ID token anyway (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
 */
const secretName = /(^|_)(KEY|SECRET|PASSWORD|TOKEN)(_|$)|CONNECTION_?STRING/i;
const notSecrets = new Set(["APPLICATIONINSIGHTS_CONNECTION_STRING"]);

/**
 * Settings the Functions host reads, not the app: the identity-based connection's credential and
 * telemetry. Others the host reads through host.json's `%SETTING%`s, found there.
 */
const hostSettings = new Set([
  "AzureWebJobsStorage__credential",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  ...[...readFileSync("host.json", "utf8").matchAll(/%(\w+)%/g)].map((m) => m[1] ?? ""),
]);
/** The app's own settings: the keys of the zod object in settings.ts, two spaces in. */
const appSettingNames = new Set(
  [...readFileSync("src/config/settings.ts", "utf8").matchAll(/^ {2}(\w+): /gm)].map((m) => m[1] ?? ""),
);

/**
 * Stand-ins for what Azure supplies at run time, each a plausible value of its kind. Key Vault
 * references resolve to the secrets' values (the optional ones given, so their checks run too).
 */
const keyVaultStandIns: Record<string, string> = {
  CONSENT_SIGNING_KEY: "c".repeat(32),
  CONSENT_SIGNING_KEY_PREVIOUS: "p".repeat(32),
  ADMIN_API_KEY: "a".repeat(24),
  SECRETS_KEY: Buffer.alloc(32, 7).toString("base64"),
  GRAPH_CLIENT_SECRET: "graph-client-secret",
  PARTNER_CENTER_CLIENT_SECRET: "partner-center-client-secret",
  ACS_CONNECTION_STRING: "endpoint=https://porprod-acs.communication.azure.com/;accesskey=c3RhbmQtaW4=",
};
/** Values the template computes from resources it creates. */
const computedStandIns: Record<string, string> = {
  AzureWebJobsStorage__accountName: "porprodabc123",
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
  PUBLIC_BASE_URL: "https://porprod-app-abc123.azurewebsites.net",
  EMAIL_FROM: "DoNotReply@00000000-0000-0000-0000-000000000000.azurecomm.net",
};
/** Required, non-secret parameters given on the command line (README.md), not in the parameters file. */
const commandLineStandIns: Record<string, string> = {
  graphClientId: "11111111-2222-4333-8444-555555555555",
};

/** What a parameter is at deployment: the parameters file's value, else its default, else the command line's. */
function parameterValue(name: string): string | undefined {
  const given = parametersFile.parameters[name];
  if (given !== undefined) return typeof given.value === "string" ? given.value : JSON.stringify(given.value);
  const fallback = params.get(name)?.default;
  if (fallback !== undefined) return /^'(.*)'$/.exec(fallback)?.[1] ?? fallback;
  return commandLineStandIns[name];
}

/** A setting's value as the app would see it: literal, parameter, Key Vault secret or computed stand-in. */
function runtimeValue(setting: { name: string; value: string }): string | undefined {
  const literal = /^'([^'\\$]*)'$/.exec(setting.value);
  if (literal) return literal[1];
  if (keyVaultSecretOf(setting.value)) return keyVaultStandIns[setting.name];
  const param = /^(?:string\((\w+)\)|(\w+))$/.exec(setting.value);
  const paramName = param?.[1] ?? param?.[2];
  if (paramName && params.has(paramName)) return parameterValue(paramName);
  return computedStandIns[setting.name];
}

describe("infra/main.bicep", () => {
  it("is read whole: parameters, resources and app settings", () => {
    expect(params.size).toBeGreaterThan(20);
    expect(secureParams).toEqual(expect.arrayContaining(["consentSigningKey", "graphClientSecret"]));
    expect(appSettings.map((s) => s.name)).toEqual(
      expect.arrayContaining(["AzureWebJobsStorage__accountName", "CONSENT_SIGNING_KEY", "SECRETS_KEY"]),
    );
    expect(secrets.size).toBeGreaterThan(0);
    expect(new Set(appSettings.map((s) => s.name)).size).toBe(appSettings.length);
  });

  it("(a) sets what the app needs in production: identity-based storage, ACS email, Graph usage", () => {
    const unresolved = appSettings.filter((s) => runtimeValue(s) === undefined).map((s) => s.name);
    expect(unresolved, "settings without a stand-in in this test").toEqual([]);
    const environment = Object.fromEntries(appSettings.map((s) => [s.name, runtimeValue(s)]));

    const settings = loadSettings(environment);

    expect(settings.storage).toEqual({
      kind: "identity",
      tableEndpoint: "https://porprodabc123.table.core.windows.net",
      clientId: undefined,
    });
    expect(settings.email.transport).toBe("acs");
    expect(settings.email.from).toBe(computedStandIns.EMAIL_FROM);
    expect(settings.usage.provider).toBe("graph");
    expect(settings.usage.graph.clientId).toBe(commandLineStandIns.graphClientId);
    expect(settings.usage.graph.clientSecret).toBe(keyVaultStandIns.GRAPH_CLIENT_SECRET);
    expect(settings.consent.signingKey).toBe(keyVaultStandIns.CONSENT_SIGNING_KEY);
    expect(settings.secretsKey?.length).toBe(32);
    expect(settings.publicBaseUrl).toMatch(/^https:\/\//);
  });

  it("(a) sets the settings production cannot run without, never to a value that may be empty", () => {
    const byName = new Map(appSettings.map((s) => [s.name, s.value]));
    for (const name of [
      "AzureWebJobsStorage__accountName",
      "AzureWebJobsStorage__credential",
      "APPLICATIONINSIGHTS_CONNECTION_STRING",
      "CONSENT_SIGNING_KEY",
      "SECRETS_KEY",
      "PUBLIC_BASE_URL",
      "EMAIL_TRANSPORT",
      "ACS_CONNECTION_STRING",
      "EMAIL_FROM",
      "USAGE_PROVIDER",
      "GRAPH_CLIENT_ID",
      "GRAPH_CLIENT_SECRET",
    ]) {
      const value = byName.get(name);
      expect(value, name).toBeDefined();
      // Not an optional secret (empty when not given), nor a parameter whose default is empty.
      expect(value, name).not.toMatch(optionalKeyVaultReference);
      expect(params.get(value ?? "")?.default, name).not.toBe("''");
    }
    // Shared-key storage stays off: no connection string for the app or the host.
    expect(byName.has("AzureWebJobsStorage")).toBe(false);
  });

  it("(a) sets only settings the app or the Functions host reads", () => {
    const unread = appSettings
      .map((s) => s.name)
      .filter((name) => !appSettingNames.has(name) && !hostSettings.has(name));
    expect(unread).toEqual([]);
  });

  it("(b) gives every secret setting as a Key Vault reference to a secret of the template's vault", () => {
    const secretSettings = appSettings.filter((s) => secretName.test(s.name) && !notSecrets.has(s.name));
    expect(secretSettings.map((s) => s.name)).toEqual(
      expect.arrayContaining(["CONSENT_SIGNING_KEY", "GRAPH_CLIENT_SECRET", "ACS_CONNECTION_STRING"]),
    );
    for (const setting of secretSettings) {
      const reference = keyVaultSecretOf(setting.value);
      expect(reference, `${setting.name} must be a Key Vault reference, not ${setting.value}`).toBeDefined();
      const secret = secrets.get(reference?.secret ?? "");
      expect(secret, `${setting.name}: ${reference?.secret} is no secret resource`).toBeDefined();
      expect(secret?.body, setting.name).toMatch(new RegExp(`^\\s*parent: ${vault.symbol}$`, "m"));
      // An optional secret exists exactly when its setting refers to it.
      const guard = reference?.guard;
      expect(secret?.condition, setting.name).toBe(guard === undefined ? undefined : `!empty(${guard})`);
    }
  });

  it("(b) lets no @secure() parameter reach an app setting but through Key Vault", () => {
    const leaks = appSettings.flatMap((s) => {
      // An optional reference's guard only tests whether the parameter is empty.
      const used = keyVaultSecretOf(s.value)?.guard === undefined ? valueIdentifiers(s.value) : [];
      return used.filter((id) => params.get(id)?.secure).map((id) => `${s.name}: ${id}`);
    });
    expect(leaks).toEqual([]);
    const outputs = [...template.matchAll(/^output \w+ \w+ = (.+)$/gm)].map((m) => m[1] ?? "");
    expect(outputs.flatMap(valueIdentifiers).filter((id) => params.get(id)?.secure)).toEqual([]);
  });

  it("(c) feeds every Key Vault secret from @secure() parameters or listKeys() only", () => {
    for (const secret of secrets.values()) {
      const value = secretValue(secret);
      expect(value.match(stringLiteral)?.filter((l) => l !== "''") ?? [], secret.symbol).toEqual([]);
      const sources = valueIdentifiers(value);
      expect(sources.length, secret.symbol).toBeGreaterThan(0);
      for (const id of sources) {
        const fromListKeys = new RegExp(`(?<![.\\w])${id}\\.listKeys\\(\\)`).test(value);
        expect(params.get(id)?.secure || fromListKeys, `${secret.symbol} is fed by ${id}`).toBe(true);
      }
    }
  });

  it("(c) keeps every @secure() parameter in Key Vault", () => {
    const stored = new Set([...secrets.values()].flatMap((s) => valueIdentifiers(secretValue(s))));
    expect(secureParams.filter((name) => !stored.has(name))).toEqual([]);
  });

  it("protects the vault and lets the app's identity read its secrets and reach its storage", () => {
    expect(app.body).toMatch(/identity: \{ type: 'SystemAssigned' \}/);
    for (const property of ["enableRbacAuthorization", "enableSoftDelete", "enablePurgeProtection"])
      expect(vault.body).toMatch(new RegExp(`^\\s*${property}: true$`, "m"));

    const rolesBlock = /^var roles = (\{[\s\S]*?\n\})/m.exec(template)?.[1] ?? "";
    const roleIds = new Map(
      [...rolesBlock.matchAll(/^\s*(\w+): '([0-9a-f-]{36})'$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    /** Role definition IDs each role assignment on `scope` gives the app's identity. */
    const grantedOn = (scope: string): string[] =>
      resourcesOfType("Microsoft.Authorization/roleAssignments")
        .filter((r) => r.body.includes(`scope: ${scope}\n`))
        .filter((r) => r.body.includes(`principalId: ${app.symbol}.identity.principalId`))
        .flatMap((r) =>
          [...r.body.matchAll(/\broles\.(\w+)/g)].map(
            (m) => roleIds.get(m[1] ?? "") ?? `unknown role ${m[0]}`,
          ),
        );

    expect(grantedOn(vault.symbol)).toContain("4633458b-17de-408a-b874-0445c86b69e6"); // Key Vault Secrets User
    const storage = onlyResource("Microsoft.Storage/storageAccounts");
    expect(grantedOn(storage.symbol)).toEqual(
      expect.arrayContaining([
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
      ]),
    );
    expect(storage.body).toMatch(/^\s*allowSharedKeyAccess: false$/m);
  });

  it("links the email domain to the Communication Service the app sends through", () => {
    const domain = onlyResource("Microsoft.Communication/emailServices/domains");
    const communication = onlyResource("Microsoft.Communication/communicationServices");
    expect(communication.body).toContain(`linkedDomains: [${domain.symbol}.id]`);
    expect(domain.body).toContain("'AzureManagedDomain'");
  });
});

describe("infra/main.parameters.json", () => {
  it("is a deployment parameters file holding only non-secret parameters the template declares", () => {
    expect(parametersFile.$schema).toBe(
      "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    );
    const names = Object.keys(parametersFile.parameters);
    expect(names.filter((name) => !params.has(name))).toEqual([]);
    expect(names.filter((name) => params.get(name)?.secure)).toEqual([]);
    // The secure ones come from the command line (README.md), so the file cannot leak them.
  });
});
