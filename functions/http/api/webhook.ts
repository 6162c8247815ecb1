import { randomBytes } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { app } from "@azure/functions";
import { ValidationError } from "../../../src/domain/errors";
import { withoutWebhook } from "../../../src/domain/partner";
import { putWebhookInput } from "../../../src/domain/schemas/webhook";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { problem } from "../../../src/http/problem";
import { getPorts, type Ports } from "../../composition";

/**
 * The calling partner's webhook: one URL that receives every status change of its associations,
 * signed with a secret only the partner and this service know (src/integrations/webhooks).
 */

/**
 * `PUT /api/v1/webhook` `{url}`: registers (or replaces) the webhook and answers `{url, secret}`
 * with a new signing secret (32 random bytes, base64url). This answer is the only time the secret
 * is shown: a PUT rotates it, and deliveries still queued are signed with the new one.
 */
export function putWebhookHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings } = ports();
    const { url } = parseBody(putWebhookInput, call.body);
    assertNotInternal(url, settings.publicBaseUrl);
    const secret = randomBytes(32).toString("base64url");
    await store.partners.update(call.partnerId, (current) => ({
      ...current,
      webhookUrl: url,
      webhookSecret: secret,
    }));
    return { status: 200, headers: { "cache-control": "no-store" }, jsonBody: { url, secret } };
  });
}

/** `GET /api/v1/webhook`: `{url}` (never the secret), or 404 when none is registered. */
export function getWebhookHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const partner = await ports().store.partners.get(call.partnerId);
    if (!partner.webhookUrl)
      return problem(404, "Not found", "no webhook is registered; PUT /api/v1/webhook registers one");
    return { status: 200, jsonBody: { url: partner.webhookUrl } };
  });
}

/** `DELETE /api/v1/webhook`: removes the URL and the secret; 204 whether or not there was one. */
export function deleteWebhookHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    await ports().store.partners.update(call.partnerId, withoutWebhook);
    return { status: 204 };
  });
}

/**
 * Loopback, private and link-local addresses are for local runs only: a deployed service (its
 * PUBLIC_BASE_URL not on such an address) refuses them, so no partner can make it POST into its own
 * machine or network (server-side request forgery). Checked on the URL as written; a public name
 * that resolves to a private address is not caught here.
 */
function assertNotInternal(url: string, publicBaseUrl: string): void {
  if (isInternalHost(new URL(publicBaseUrl).hostname)) return;
  if (isInternalHost(new URL(url).hostname))
    throw new ValidationError([
      { path: "url", message: "must not point at a loopback, private or link-local address" },
    ]);
}

const internalRanges = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const)
  internalRanges.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 127], // :: and ::1
  ["::ffff:0:0", 96], // IPv4-mapped
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  internalRanges.addSubnet(network, prefix, "ipv6");

function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const family = isIP(host);
  if (family === 0) return false;
  return internalRanges.check(host, family === 4 ? "ipv4" : "ipv6");
}

app.http("putWebhook", {
  route: "v1/webhook",
  methods: ["PUT"],
  authLevel: "anonymous",
  handler: putWebhookHandler(getPorts),
});

app.http("getWebhook", {
  route: "v1/webhook",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getWebhookHandler(getPorts),
});

app.http("deleteWebhook", {
  route: "v1/webhook",
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: deleteWebhookHandler(getPorts),
});
