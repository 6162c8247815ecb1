import { randomBytes } from "node:crypto";
import { generateApiKey, hashApiKey } from "../auth/apiKeys";
import { ValidationError } from "../domain/errors";
import { withoutWebhook } from "../domain/partner";
import { registrationRefusal, type ResolveHost } from "../integrations/webhooks/destinationGuard";
import type { Store } from "../store/store";

/** Partners and their webhooks: onboarding, registration, removal. */
export interface PartnerPorts {
  store: Pick<Store, "partners" | "apiKeys">;
  clock: () => Date;
}

export interface NewPartner {
  name: string;
  partnerLocationId: string;
  otherLocationIds?: readonly string[] | undefined;
  contactEmail?: string | undefined;
}

/**
 * Onboards a partner and answers its API key: the only time the key exists in clear (only its
 * hash is stored). The partner ID is the name's letters and a random suffix.
 */
export async function onboardPartner(
  ports: PartnerPorts,
  input: NewPartner,
): Promise<{ partnerId: string; apiKey: string }> {
  const now = ports.clock().toISOString();
  const partnerId = slug(input.name);
  const apiKey = generateApiKey();
  await ports.store.partners.put({
    id: partnerId,
    name: input.name,
    partnerLocationIds: [input.partnerLocationId, ...(input.otherLocationIds ?? [])],
    ...(input.contactEmail ? { contactEmail: input.contactEmail } : {}),
    createdAt: now,
  });
  await ports.store.apiKeys.add(hashApiKey(apiKey), partnerId, now);
  return { partnerId, apiKey };
}

/**
 * Registers (or replaces) the partner's webhook with a new signing secret (32 random bytes,
 * base64url), answered once. The URL must be a public https receiver unless its host is allowed
 * (src/domain/webhookDestination.ts); a refusal is a ValidationError naming `url`.
 */
export async function registerWebhook(
  ports: PartnerPorts & { allowedHosts: readonly string[]; resolve: ResolveHost },
  partnerId: string,
  url: string,
): Promise<{ url: string; secret: string }> {
  const refusal = await registrationRefusal(url, ports.allowedHosts, ports.resolve);
  if (refusal) throw new ValidationError([{ path: "url", message: refusal }]);
  const secret = randomBytes(32).toString("base64url");
  await ports.store.partners.update(partnerId, (current) => ({
    ...current,
    webhookUrl: url,
    webhookSecret: secret,
  }));
  return { url, secret };
}

/** Removes the webhook (URL and secret); `onlyUrl`: only while it is still that URL (a 410 from it). */
export async function removeWebhook(
  ports: { store: Pick<Store, "partners"> },
  partnerId: string,
  onlyUrl?: string,
): Promise<void> {
  await ports.store.partners.update(partnerId, (current) =>
    onlyUrl === undefined || current.webhookUrl === onlyUrl ? withoutWebhook(current) : current,
  );
}

function slug(name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "partner";
  return `${base}-${randomBytes(3).toString("hex")}`;
}
