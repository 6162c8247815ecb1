import {
  createConsentKeyRing,
  type ConsentKeyRing,
  type RotatingConsentKeyRing,
} from "../src/app/consentKeys";
import { DefaultAzureCredential } from "@azure/identity";
import type { InvocationContext } from "@azure/functions";
import type { LifecyclePorts, Workflows } from "../src/app/lifecycle";
import type { PalPorts } from "../src/app/palLinks";
import type { AppPorts } from "../src/app/ports";
import { loadSettings, type Settings, type StorageSettings } from "../src/config/settings";
import { createConsentLinks, type ConsentLinks } from "../src/auth/consentToken";
import { createSecretBox, missingSecretBox, type SecretBox } from "../src/auth/secrets";
import { createEntraIdVerifier, type EntraIdVerifier } from "../src/auth/entraId";
import { createEmailSender } from "../src/integrations/email/createEmailSender";
import type { EmailSender } from "../src/integrations/email/emailSender";
import {
  createManagementPartnerClient,
  type ManagementPartnerClient,
} from "../src/integrations/managementPartner";
import { createPalVerifyQueue, type PalVerifyQueue } from "../src/integrations/palVerifyQueue";
import { createPartnerCenterAccess, type PartnerCenterAccess } from "../src/integrations/partnerCenter";
import { createGraphUsageProviderFromSettings } from "../src/integrations/usage/graphUsageProvider";
import { createSimulatedUsageProvider } from "../src/integrations/usage/simulatedUsageProvider";
import { createRateLimiter, type RateLimiter } from "../src/http/rateLimiter";
import { createUsagePollQueue, type UsagePollQueue } from "../src/integrations/usage/usagePollQueue";
import type { UsageProvider } from "../src/integrations/usage/usageProvider";
import { createWebhookQueue, type PartnerWebhookQueue } from "../src/integrations/webhooks/webhookQueue";
import { createPoisonQueues, type PoisonQueues } from "../src/integrations/poisonQueues";
import { createStore, type Store } from "../src/store/store";
import type { StorageConnection } from "../src/store/tableStore";
import { durableWorkflows } from "./workflows";

/**
 * The one place that wires real adapters to the functions. Built lazily on first use, so loading
 * the app (for registration) never touches storage, and a settings error names the variable.
 */
export interface Ports {
  settings: Settings;
  store: Store;
  /** The wall clock, for request handlers and activities (never for orchestrators). */
  clock: () => Date;
  emailSender: EmailSender;
  /** Signed consent links for customer emails. */
  links: ConsentLinks;
  /** Partner identity from Entra ID access tokens, when configured (beside API keys). */
  entraId: EntraIdVerifier | undefined;
  /** Each partner's request budget on this instance; undefined = no limit. */
  rateLimiter: RateLimiter | undefined;
  /** Status changes on their way to partners' webhooks (queue `partner-webhooks`). */
  webhookQueue: PartnerWebhookQueue;
  /** Usage readings per customer tenant: Microsoft Graph, or simulated growth for demos. */
  usageProvider: UsageProvider;
  /** The tenants to poll, up to ten to a message (queue `usage-poll`). */
  usagePollQueue: UsagePollQueue;
  /** Seals the secrets the service keeps (SECRETS_KEY); fails saying so when the key is not set. */
  secrets: SecretBox;
  /** Partner Center per partner (CSP imports); NotConfiguredError for a partner without access. */
  partnerCenter: PartnerCenterAccess;
  /** Azure Resource Manager's Partner Admin Link API, called with each link's own identity. */
  managementPartner: ManagementPartnerClient;
  /** One message per PAL link to re-verify (queue PAL_VERIFY_QUEUE). */
  palVerifyQueue: PalVerifyQueue;
  /** The consent-link signing keys: configured, or rotated at run time. */
  consentKeys: RotatingConsentKeyRing;
  /** The `<queue>-poison` queues, for operators. */
  poisonQueues: PoisonQueues;
}

let ports: Ports | undefined;

/**
 * What a customer channel (the consent page, email replies) needs: storage, the key that signs
 * consent links (absent = links are not configured), the lifecycle gateway's ports, the workflow
 * engine of the invocation, and the wall clock.
 */
export interface CustomerChannelPorts {
  store: Store;
  signingKey: string | undefined;
  /** The key before the last rotation: links it signed are still honoured until they expire. */
  previousSigningKey?: string | undefined;
  /** Every key a link may be signed with, newest first (a rotating key ring); replaces the two above. */
  verifyingKeys?: () => Promise<string[]>;
  lifecycle: LifecyclePorts;
  workflows: (context: InvocationContext) => Workflows;
  now?: () => Date;
}

/** The keys a customer channel checks links with, newest first (none: links are not configured). */
export async function consentKeysOf(ports: CustomerChannelPorts): Promise<string[]> {
  if (ports.verifyingKeys) return ports.verifyingKeys();
  return [ports.signingKey, ports.previousSigningKey].filter(
    (k): k is string => typeof k === "string" && k !== "",
  );
}

export function customerChannelPorts(): CustomerChannelPorts {
  const { store, settings, clock } = getPorts();
  return {
    store,
    signingKey: settings.consent.signingKey,
    previousSigningKey: settings.consent.previousSigningKey,
    verifyingKeys: () => getPorts().consentKeys.verifyingKeys(),
    lifecycle: appPorts(),
    workflows: durableWorkflows,
    now: clock,
  };
}

/** The ports the use cases in src/app take, over the real adapters. */
export function appPorts(): AppPorts {
  const { store, clock, webhookQueue, settings } = getPorts();
  return {
    store,
    clock,
    webhooks: webhookQueue,
    durations: settings.lifecycle,
    dporDurations: settings.dpor,
    poeMaxAgeMonths: settings.poeMaxAgeMonths,
  };
}

/** The PAL use cases' ports: the app's, ARM with each link's identity, and the secret box. */
export function palPorts(): PalPorts {
  const { managementPartner, secrets } = getPorts();
  return { ...appPorts(), arm: managementPartner, secrets };
}

export function getPorts(): Ports {
  if (!ports) {
    const settings = loadSettings();
    const clock = () => new Date();
    const store = createStore(storageConnection(settings.storage), { prefix: settings.tablePrefix });
    const secrets = settings.secretsKey ? createSecretBox(settings.secretsKey) : missingSecretBox;
    const consentKeys = createConsentKeyRing({
      store,
      secrets,
      clock,
      configured: { current: settings.consent.signingKey, previous: settings.consent.previousSigningKey },
      linkTtlMs: settings.consent.linkTtlMs,
    });
    ports = {
      settings,
      store,
      clock,
      emailSender: createEmailSender(settings.email),
      links: consentLinks(settings, clock, consentKeys),
      consentKeys,
      webhookQueue: createWebhookQueue(storageConnection(settings.storage), settings.queues.partnerWebhooks),
      usageProvider:
        settings.usage.provider === "graph"
          ? // Names the permissions it needs, once, when the app composes its ports.
            createGraphUsageProviderFromSettings(settings.usage, {}, (line) => console.info(line))
          : createSimulatedUsageProvider({
              seed: settings.usage.simulation.seed,
              daysPerSecond: settings.usage.simulation.daysPerSecond,
              // Each tenant's curve starts at its first read, which its stored readings remember.
              storedReadings: {
                series: (tenant, workload) => getPorts().store.usageSnapshots.series(tenant, workload),
              },
            }),
      usagePollQueue: createUsagePollQueue(storageConnection(settings.storage), settings.queues.usagePoll),
      secrets,
      managementPartner: createManagementPartnerClient({
        armBaseUrl: settings.pal.armBaseUrl,
        authorityHost: settings.authorityHost,
      }),
      palVerifyQueue: createPalVerifyQueue(storageConnection(settings.storage), settings.pal.verifyQueue),
      poisonQueues: createPoisonQueues(storageConnection(settings.storage)),
      partnerCenter: createPartnerCenterAccess(settings.partnerCenter, settings.authorityHost),
      rateLimiter: settings.api.partnerRateLimit
        ? createRateLimiter({ rate: settings.api.partnerRateLimit, clock: () => new Date() })
        : undefined,
      entraId: settings.entraId
        ? createEntraIdVerifier({
            ...settings.entraId,
            // Only the reason and jose's error code: never token content.
            onRejected: (rejection) => console.warn("entra id token rejected", rejection),
          })
        : undefined,
    };
  }
  return ports;
}

/** Without a signing key no consent link can be made: the email activity fails saying so. */
/** Links signed with the key ring's newest key (settings, or a rotation's stored key). */
function consentLinks(settings: Settings, clock: () => Date, keys: ConsentKeyRing): ConsentLinks {
  return createConsentLinks({
    key: () => keys.signingKey(),
    baseUrl: settings.publicBaseUrl,
    ttlMs: settings.consent.linkTtlMs,
    clock,
  });
}

function storageConnection(storage: StorageSettings): StorageConnection {
  if (storage.kind === "connection-string") return storage.connectionString;
  const credential = new DefaultAzureCredential(
    storage.clientId ? { managedIdentityClientId: storage.clientId } : {},
  );
  return { tableEndpoint: storage.tableEndpoint, credential };
}
