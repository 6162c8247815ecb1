import { app } from "@azure/functions";
import { z } from "zod";
import { registerWebhook, removeWebhook } from "../../../src/app/partners";
import {
  redeliverWebhook,
  redeliverWebhooksSince,
  type RedeliveryPorts,
} from "../../../src/app/webhookDeliveries";
import {
  bulkRedeliverInput,
  listWebhookDeliveriesQuery,
  putWebhookInput,
} from "../../../src/domain/schemas/webhook";
import { webhookDeliveryView } from "../../../src/domain/webhookDelivery";
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

/**
 * `GET /api/v1/webhook/deliveries`: the partner's deliveries, newest first, each
 * `{id, event, attempts, lastStatus, nextAttemptAt, state, …}`; `?state=pending|delivered|failed`,
 * `?since=<time>` (created at or after), `pageSize`, `continuationToken`.
 */
export function listWebhookDeliveriesHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(
      listWebhookDeliveriesQuery,
      JSON.stringify(Object.fromEntries(call.request.query.entries())),
    );
    const page = await ports().store.webhookDeliveries.list(
      call.partnerId,
      { state: query.state, since: query.since && new Date(query.since).toISOString() },
      {
        ...(query.pageSize ? { pageSize: query.pageSize } : {}),
        ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
      },
    );
    return {
      status: 200,
      jsonBody: {
        items: page.items.map(webhookDeliveryView),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      },
    };
  });
}

/**
 * `POST /api/v1/webhook/deliveries/{id}/redeliver` (no body): the delivery is due now, in a new
 * retry window, whatever its state; 202 with the delivery. 404 for an unknown or another
 * partner's delivery; 409 without a registered webhook.
 */
export function redeliverWebhookHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    const delivery = await redeliverWebhook(
      redeliveryPorts(ports),
      call.partnerId,
      call.request.params["id"] ?? "",
    );
    return { status: 202, jsonBody: webhookDeliveryView(delivery) };
  });
}

/**
 * `POST /api/v1/webhook/deliveries/redeliver` `{since, includeDelivered?}`: every delivery created
 * at or after `since` that is not delivered (with `includeDelivered`, those too) is due now;
 * 202 `{redelivered: <count>, ids: [...]}`, newest first.
 */
export function bulkRedeliverHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const input = parseBody(bulkRedeliverInput, call.body);
    const ids = await redeliverWebhooksSince(redeliveryPorts(ports), call.partnerId, {
      since: new Date(input.since).toISOString(),
      includeDelivered: input.includeDelivered,
    });
    return { status: 202, jsonBody: { redelivered: ids.length, ids } };
  });
}

function redeliveryPorts(ports: () => Ports): RedeliveryPorts {
  const { store, clock, webhookQueue } = ports();
  return { store, clock, queue: webhookQueue };
}

app.http("listWebhookDeliveries", {
  route: "api/v1/webhook/deliveries",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listWebhookDeliveriesHandler(getPorts),
});

app.http("redeliverWebhook", {
  route: "api/v1/webhook/deliveries/{id}/redeliver",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: redeliverWebhookHandler(getPorts),
});

app.http("bulkRedeliverWebhooks", {
  route: "api/v1/webhook/deliveries/redeliver",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: bulkRedeliverHandler(getPorts),
});

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
