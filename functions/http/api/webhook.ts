import { app } from "@azure/functions";
import { registerWebhook, removeWebhook } from "../../../src/app/partners";
import { putWebhookInput } from "../../../src/domain/schemas/webhook";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { problem } from "../../../src/http/problem";
import { systemResolver, type ResolveHost } from "../../../src/integrations/webhooks/destinationGuard";
import { getPorts, type Ports } from "../../composition";

/**
 * The calling partner's webhook: one URL that receives every status change of its associations,
 * signed with a secret only the partner and this service know (src/integrations/webhooks).
 */

/**
 * `PUT /api/v1/webhook` `{url}`: registers (or replaces) the webhook and answers `{url, secret}`
 * with a new signing secret (32 random bytes, base64url). This answer is the only time the secret
 * is shown: a PUT rotates it, and deliveries still queued are signed with the new one.
 * The URL must be a public https receiver (src/domain/webhookDestination.ts): no loopback,
 * private, link-local or other internal address, written as such or resolved from its name,
 * unless its host is in WEBHOOK_ALLOWED_HOSTS. A refusal is a 400 naming `url`. Deliveries check
 * again, on the address they connect to: a name may resolve elsewhere later.
 */
export function putWebhookHandler(ports: () => Ports, resolve: ResolveHost = systemResolver) {
  return partnerEndpoint(ports, async (call) => {
    const { store, clock, settings } = ports();
    const { url } = parseBody(putWebhookInput, call.body);
    const registered = await registerWebhook(
      { store, clock, allowedHosts: settings.webhookAllowedHosts, resolve },
      call.partnerId,
      url,
    );
    return { status: 200, headers: { "cache-control": "no-store" }, jsonBody: registered };
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
    await removeWebhook(ports(), call.partnerId);
    return { status: 204 };
  });
}

app.http("putWebhook", {
  route: "api/v1/webhook",
  methods: ["PUT"],
  authLevel: "anonymous",
  handler: putWebhookHandler(getPorts),
});

app.http("getWebhook", {
  route: "api/v1/webhook",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getWebhookHandler(getPorts),
});

app.http("deleteWebhook", {
  route: "api/v1/webhook",
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: deleteWebhookHandler(getPorts),
});
