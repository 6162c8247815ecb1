import { app, type HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import {
  PoeRejectedError,
  dispute,
  recordReview,
  submitClaim,
  submitPoe,
  withdraw,
  type ClaimAction,
} from "../../../src/app/claimActions";
import { confirmDpor } from "../../../src/app/dpor";
import type { Workflows } from "../../../src/app/lifecycle";
import type { AppPorts } from "../../../src/app/ports";
import type { Association } from "../../../src/domain/association";
import { reviewOutcomeInput } from "../../../src/domain/review";
import { dporConfirmationInput } from "../../../src/domain/schemas/dporConfirmation";
import { poeSubmission } from "../../../src/domain/schemas/poeSubmission";
import { disputeInput, withdrawInput } from "../../../src/domain/schemas/reasons";
import { associationView } from "../../../src/http/associationView";
import { parseBody, partnerEndpoint, type PartnerCall } from "../../../src/http/partnerEndpoint";
import { unprocessable } from "../../../src/http/problem";
import { appPorts, getPorts, type Ports } from "../../composition";
import { durableWorkflows, withDurableClient } from "../../workflows";
import { operationIdOf } from "./associations";

/**
 * The partner's actions on one association, `POST /api/v1/associations/{id}/<action>`: each is
 * route + parse + one use case (src/app/claimActions.ts) + answer. The status change is applied
 * before the answer, which shows it; 202 where the workflow carries on by itself (the consent email
 * and the review after a submission), 200 otherwise. Another partner's association is a 404.
 */
type Run = (
  ports: AppPorts,
  workflows: Workflows,
  action: ClaimAction,
  call: PartnerCall,
) => Promise<Association>;

function actionEndpoint(ports: () => Ports, status: 200 | 202, run: Run) {
  return partnerEndpoint(ports, async (call) => {
    const action: ClaimAction = {
      partnerId: call.partnerId,
      associationId: call.request.params["id"] ?? "",
      changeId: operationIdOf(call),
    };
    try {
      const association = await run(appPorts(), durableWorkflows(call.context), action, call);
      return { status, jsonBody: associationView(association, ports().settings) };
    } catch (err) {
      if (err instanceof PoeRejectedError) return poeRejected(err);
      throw err;
    }
  });
}

/** 422 with every problem Microsoft's reviewers would reject the PoE for. */
function poeRejected(err: PoeRejectedError): HttpResponseInit {
  return unprocessable(`the proof of execution would be rejected: ${err.message}`, err.issues);
}

/** A body is optional here (`{}` or nothing). */
const emptyBody = z.object({}).strict().optional();

const disputeBody = disputeInput.extend({ poe: poeSubmission.optional() }).strict();

const actions: readonly { name: string; route: string; status: 200 | 202; run: Run }[] = [
  {
    name: "submitPoe",
    route: "poe",
    status: 202,
    run: (ports, workflows, action, call) =>
      submitPoe(ports, workflows, { ...action, poe: parseBody(poeSubmission, call.body) }),
  },
  {
    name: "submitAssociation",
    route: "submit",
    status: 202,
    run: (ports, workflows, action, call) => {
      parseBody(emptyBody, call.body);
      return submitClaim(ports, workflows, action);
    },
  },
  {
    name: "withdrawAssociation",
    route: "withdraw",
    status: 200,
    run: (ports, workflows, action, call) =>
      withdraw(ports, workflows, { ...action, reason: parseBody(withdrawInput, call.body).reason }),
  },
  {
    name: "disputeAssociation",
    route: "dispute",
    status: 200,
    run: (ports, workflows, action, call) => {
      const body = parseBody(disputeBody, call.body);
      return dispute(ports, workflows, { ...action, reason: body.reason, poe: body.poe });
    },
  },
  {
    name: "confirmDpor",
    route: "confirm",
    status: 200,
    run: (ports, workflows, action, call) =>
      confirmDpor(ports, workflows, { ...action, ...parseBody(dporConfirmationInput, call.body) }),
  },
  {
    name: "reviewAssociation",
    route: "review",
    status: 200,
    run: (ports, workflows, action, call) =>
      recordReview(ports, workflows, { ...action, review: parseBody(reviewOutcomeInput, call.body) }),
  },
];

for (const action of actions)
  app.http(action.name, {
    route: `api/v1/associations/{id}/${action.route}`,
    methods: ["POST"],
    authLevel: "anonymous",
    ...withDurableClient,
    handler: actionEndpoint(getPorts, action.status, action.run),
  });

const outboxQuery = z
  .object({
    associationId: z.string().min(1).max(64).optional(),
    continuationToken: z.string().max(4096).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

/** `GET /api/v1/outbox`: the emails sent for the partner's associations (the local outbox adapter). */
export function outboxHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(outboxQuery, JSON.stringify(Object.fromEntries(call.request.query.entries())));
    const page = await ports().store.outbox.list(
      call.partnerId,
      query.associationId ? { associationId: query.associationId } : {},
      {
        ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
        ...(query.pageSize ? { pageSize: query.pageSize } : {}),
      },
    );
    return { status: 200, jsonBody: page };
  });
}

app.http("listOutbox", {
  route: "api/v1/outbox",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: outboxHandler(getPorts),
});
