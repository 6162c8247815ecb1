import { app, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { Association } from "../../../src/domain/association";
import { associationTypes } from "../../../src/domain/associationTypes";
import { ConflictError } from "../../../src/domain/errors";
import { lifecycleEvents, type LifecycleSignal } from "../../../src/domain/lifecycle";
import { checkPoe, poeProblemsAsIssues } from "../../../src/domain/poe";
import { poeSubmission } from "../../../src/domain/schemas/poeSubmission";
import { disputeInput, withdrawInput } from "../../../src/domain/schemas/reasons";
import {
  checkDispute,
  isTerminal,
  statusChange,
  transition,
  type StatusChange,
} from "../../../src/domain/statusMachine";
import { associationView } from "../../../src/http/associationView";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { unprocessable } from "../../../src/http/problem";
import { getPorts, type Ports } from "../../composition";
import { createSetStatus } from "../../activities/setStatus";
import {
  raiseThroughDurableClient,
  workflowRunning,
  type RaiseLifecycleEvent,
} from "../../raiseLifecycleEvent";

/**
 * `POST /api/v1/associations/{id}/poe`: checks the proof of execution as Microsoft's reviewers
 * would, answering 422 with every problem at once (status unchanged); a sound one is stored in blob
 * storage and handed to the lifecycle, which moves the association to Submitted and emails the customer.
 */
export function submitPoeHandler(ports: () => Ports, raise: RaiseLifecycleEvent) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings, clock } = ports();
    const poe = parseBody(poeSubmission, call.body);
    const { value: association } = await store.associations.get(
      call.partnerId,
      call.request.params["id"] ?? "",
    );
    if (!associationTypes[association.kind].poeRequired)
      throw new ConflictError(
        `a ${associationTypes[association.kind].name} association needs no proof of execution`,
      );
    if (association.status !== "Draft" && association.status !== "PartnerActionRequired")
      throw new ConflictError(
        `a proof of execution is accepted in Draft or PartnerActionRequired; this association is ${association.status}`,
      );
    const problems = checkPoe(poe, claimOf(association), {
      today: clock().toISOString().slice(0, 10),
      maxAgeMonths: settings.poeMaxAgeMonths,
    });
    if (problems.length > 0)
      return unprocessable(
        `the proof of execution would be rejected: ${problems.map((p) => p.code).join(", ")}`,
        poeProblemsAsIssues(problems),
      );
    const document = await store.documents.put(
      call.partnerId,
      association.id,
      poe.documentName ?? "poe",
      Buffer.from(poe.documentBase64 ?? "", "base64"),
    );
    await store.auditEvents.append({
      associationId: association.id,
      partnerId: call.partnerId,
      eventId: `poe-${document.sha256.slice(0, 32)}`,
      at: clock().toISOString(),
      kind: "poe-submitted",
      actor: "partner",
      reason: `proof of execution "${poe.documentName ?? ""}" submitted`,
      data: {
        document: document.blobName,
        bytes: document.bytes,
        signer: poe.customerSignerName,
        signedDate: poe.signedDate,
      },
    });
    await raise(association.id, lifecycleEvents.poeSubmitted, { document: document.blobName }, call.context);
    return { status: 202, jsonBody: { ...associationView(association), status: "Submitted" } };
  });
}

/**
 * `POST /api/v1/associations/{id}/withdraw`: the partner ends a live association for good. A running
 * workflow gets the event (it applies the change); without one (kinds with no workflow, a finished or
 * failed one) the change is applied here, through the same idempotent step the workflow uses.
 */
export function withdrawHandler(
  ports: () => Ports,
  raise: RaiseLifecycleEvent,
  running: (context: InvocationContext, associationId: string) => Promise<boolean>,
) {
  return partnerEndpoint(ports, async (call) => {
    const { store, webhookQueue, clock } = ports();
    const { reason } = parseBody(withdrawInput, call.body);
    const { value: association } = await store.associations.get(
      call.partnerId,
      call.request.params["id"] ?? "",
    );
    if (isTerminal(association.status))
      throw new ConflictError(`the association is already ${association.status}`);
    if (await running(call.context, association.id)) {
      const signal: LifecycleSignal = { reason, via: "api" };
      await raise(association.id, lifecycleEvents.partnerWithdrew, signal, call.context);
      return { status: 202, jsonBody: { ...associationView(association), status: "RejectedFinal" } };
    }
    await createSetStatus({ store, webhooks: webhookQueue })({
      associationId: association.id,
      partnerId: call.partnerId,
      to: "RejectedFinal",
      actor: "partner",
      reason,
      changeId: `withdraw-${association.id}`,
      at: clock().toISOString(),
    });
    const { value: updated } = await store.associations.get(call.partnerId, association.id);
    return { status: 200, jsonBody: associationView(updated) };
  });
}

/**
 * `POST /api/v1/associations/{id}/dispute`: once, within the dispute window of a rejection. The
 * dispute itself is Microsoft's to decide; this records it (ETag-guarded) on the timeline.
 */
export function disputeHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings, clock } = ports();
    const { reason } = parseBody(disputeInput, call.body);
    const id = call.request.params["id"] ?? "";
    const timeline = await store.auditEvents.timeline(call.partnerId, id);
    const changes: StatusChange[] = timeline.flatMap((e) => {
      const parsed = statusChange.safeParse({
        from: e.from,
        to: e.to,
        actor: e.actor,
        reason: e.reason,
        at: e.at,
      });
      return e.kind === "status-changed" && parsed.success ? [parsed.data] : [];
    });
    const now = clock().toISOString();
    checkDispute(changes, now, settings.disputeWindowDays);
    const changeId = `dispute-${id}`;
    const updated = await store.associations.update(call.partnerId, id, (current) => {
      if (current.lastChangeId === changeId) return current;
      const change = transition(current.status, "Dispute", { actor: "partner", reason, at: now });
      return { ...current, status: change.to, updatedAt: now, statusChangedAt: now, lastChangeId: changeId };
    });
    await store.auditEvents.append({
      associationId: id,
      partnerId: call.partnerId,
      eventId: changeId,
      at: now,
      kind: "status-changed",
      actor: "partner",
      reason,
      from: "Rejected",
      to: "Dispute",
    });
    return { status: 200, jsonBody: associationView(updated.value) };
  });
}

/** `GET /api/v1/outbox`: the emails sent for the partner's associations (the local outbox adapter). */
export function outboxHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const associationId = call.request.query.get("associationId") ?? undefined;
    const token = call.request.query.get("continuationToken") ?? undefined;
    const page = await ports().store.outbox.list(
      call.partnerId,
      associationId ? { associationId } : {},
      token ? { continuationToken: token } : {},
    );
    return { status: 200, jsonBody: page };
  });
}

function claimOf(association: Association) {
  const request = association.request;
  return {
    workloads: request.type === "cpor" ? (request.workloads ?? []) : [],
    customerTenantId: association.customerTenantId,
    customerDomain: "customerDomain" in request && request.customerDomain ? request.customerDomain : "",
  };
}

/** Partner actions need a running workflow: a finished one answers 409 instead of an event nobody reads. */
const raiseWhileRunning: RaiseLifecycleEvent = async (associationId, event, payload, context) => {
  const status = await df
    .getClient(context)
    .getStatus(associationId)
    .catch(() => undefined);
  if (!status || ["Completed", "Failed", "Terminated"].includes(String(status.runtimeStatus)))
    throw new ConflictError("the association's workflow is not running");
  await raiseThroughDurableClient(associationId, event, payload, context);
};

const durable = { extraInputs: [df.input.durableClient()] };

app.http("submitPoe", {
  route: "v1/associations/{id}/poe",
  methods: ["POST"],
  authLevel: "anonymous",
  ...durable,
  handler: submitPoeHandler(getPorts, raiseWhileRunning),
});

app.http("withdrawAssociation", {
  route: "v1/associations/{id}/withdraw",
  methods: ["POST"],
  authLevel: "anonymous",
  ...durable,
  handler: withdrawHandler(getPorts, raiseThroughDurableClient, workflowRunning),
});

app.http("disputeAssociation", {
  route: "v1/associations/{id}/dispute",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: disputeHandler(getPorts),
});

app.http("listOutbox", {
  route: "v1/outbox",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: outboxHandler(getPorts),
});
