import { app, type InvocationContext } from "@azure/functions";
import { z } from "zod";
import {
  listPoisonMessages,
  listProblemOrchestrations,
  purgeHistory,
  replayPoisonMessages,
  restartOrchestration,
  type OperationsPorts,
  type PoisonPorts,
} from "../../../src/app/operations";
import { adminEndpoint, parseBody } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";
import { durableOrchestrationAdmin } from "../../orchestrationAdmin";
import { withDurableClient } from "../../workflows";

/**
 * The operators' API (admin key): failed and stuck workflows and their restart, the poison queues
 * and their replay, and the history purge on demand (src/app/operations.ts). Each is route + parse
 * + one use case + answer.
 */

export function operationsPorts(ports: () => Ports, context: InvocationContext): OperationsPorts {
  const { store, clock, settings } = ports();
  return {
    orchestrations: durableOrchestrationAdmin(context),
    store,
    clock,
    stuckAfterMs: settings.operations.stuckAfterMs,
    lifecycle: { durations: settings.lifecycle, dporDurations: settings.dpor },
  };
}

function poisonPorts(ports: () => Ports): PoisonPorts {
  const { poisonQueues, settings } = ports();
  const { inboundEmail, partnerWebhooks, usagePoll } = settings.queues;
  return { poisonQueues, queues: [inboundEmail, partnerWebhooks, usagePoll, settings.pal.verifyQueue] };
}

const problemQuery = z.object({ problem: z.enum(["failed", "stuck"]).optional() }).strict();

/** `GET /api/v1/admin/orchestrations[?problem=failed|stuck]`: `{items: [...]}`, most recent first. */
export function listOrchestrationsHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    const { problem } = parseBody(
      problemQuery,
      JSON.stringify(Object.fromEntries(call.request.query.entries())),
    );
    const items = await listProblemOrchestrations(operationsPorts(ports, call.context), problem);
    return { status: 200, jsonBody: { items } };
  });
}

/** `POST /api/v1/admin/orchestrations/{instanceId}/restart`: 202 with what was restarted, and from where. */
export function restartOrchestrationHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    const restarted = await restartOrchestration(
      operationsPorts(ports, call.context),
      call.request.params["instanceId"] ?? "",
    );
    return { status: 202, jsonBody: restarted };
  });
}

/** `GET /api/v1/admin/poison`: each app queue's poison queue, its count and first messages. */
export function listPoisonHandler(ports: () => Ports) {
  return adminEndpoint(ports, async () => ({
    status: 200,
    jsonBody: await listPoisonMessages(poisonPorts(ports)),
  }));
}

const replayInput = z
  .object({ messageIds: z.array(z.string().min(1).max(100)).min(1).max(1000).optional() })
  .strict();

/** `POST /api/v1/admin/poison/{queue}/replay` `{messageIds?}`: sends them (or all) back to `{queue}`. */
export function replayPoisonHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    const { messageIds } = call.body ? parseBody(replayInput, call.body) : {};
    const replayed = await replayPoisonMessages(
      poisonPorts(ports),
      call.request.params["queue"] ?? "",
      messageIds,
    );
    return { status: 200, jsonBody: replayed };
  });
}

/** `POST /api/v1/admin/history/purge`: what the daily purge does (HISTORY_RETENTION), now. */
export function purgeHistoryHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    const purged = await purgeHistory(
      operationsPorts(ports, call.context),
      ports().settings.operations.historyRetentionMs,
    );
    return { status: 200, jsonBody: purged };
  });
}

/**
 * `POST /api/v1/admin/consent-signing-key/rotate`: a new key signs new consent links; links signed
 * with the key it replaces stay valid until they expire (`previousKeyValidUntil`). Never answers a key.
 */
export function rotateConsentKeyHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    parseBody(z.object({}).strict().optional(), call.body);
    return { status: 200, jsonBody: await ports().consentKeys.rotate() };
  });
}

app.http("rotateConsentSigningKey", {
  route: "api/v1/admin/consent-signing-key/rotate",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: rotateConsentKeyHandler(getPorts),
});

app.http("listOrchestrations", {
  route: "api/v1/admin/orchestrations",
  methods: ["GET"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: listOrchestrationsHandler(getPorts),
});

app.http("restartOrchestration", {
  route: "api/v1/admin/orchestrations/{instanceId}/restart",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: restartOrchestrationHandler(getPorts),
});

app.http("listPoisonMessages", {
  route: "api/v1/admin/poison",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listPoisonHandler(getPorts),
});

app.http("replayPoisonMessages", {
  route: "api/v1/admin/poison/{queue}/replay",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: replayPoisonHandler(getPorts),
});

app.http("purgeHistory", {
  route: "api/v1/admin/history/purge",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: purgeHistoryHandler(getPorts),
});
