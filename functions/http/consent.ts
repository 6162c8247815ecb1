import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { deliverCustomerAction, type CustomerActionOutcome } from "../../src/app/customerActions";
import { verifyConsentTokenWithKeys, type ConsentTokenResult } from "../../src/auth/consentToken";
import { NotFoundError } from "../../src/domain/errors";
import {
  claimView,
  consentActionInput,
  consentPageHeaders,
  errorPage,
  renderClaimPage,
  renderResultPage,
  type ActionOutcome,
  type CustomerAction,
  type ErrorPageKind,
} from "../../src/http/consentPage";
import { consentKeysOf, customerChannelPorts, type CustomerChannelPorts } from "../composition";
import { withDurableClient } from "../workflows";

export const consentPageShowName = "consentPageShow";
export const consentPageActName = "consentPageAct";

/**
 * The customer's consent page, anonymous, authorised by the signed token in its URL:
 * `GET /api/consent/{token}` shows the claim and `POST` the same URL refuses or cancels it. The
 * function route is `consent/{token}`; the host puts host.json's routePrefix ("api") in front, and
 * the links in emails (src/auth/consentToken.ts `createConsentLinks`) include it.
 *
 * GET never changes anything: mail link scanners fetch every link in a message. POST hands the
 * decision to `deliverCustomerAction` (src/app/customerActions.ts), which applies it before the page
 * says "recorded"; a second POST of the same decision gets the "already recorded" page. When the
 * decision cannot be applied now (storage or the workflow engine failing) the page says so with a
 * 503 and Retry-After, and the customer may simply try again: nothing was recorded.
 */

export type ConsentPorts = CustomerChannelPorts;

/** Form posts are a reason and an action: anything near this size is not from our page. */
const maxBodyBytes = 16 * 1024;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function createConsentHandlers(getConsentPorts: () => ConsentPorts): { show: Handler; act: Handler } {
  /** Ports, key and token checks shared by GET and POST; a response when the request stops here. */
  async function authorise(
    request: HttpRequest,
    context: InvocationContext,
  ): Promise<
    | { response: HttpResponseInit }
    | { ports: ConsentPorts; now: Date; token: Extract<ConsentTokenResult, { ok: true }> }
  > {
    let ports: ConsentPorts;
    try {
      ports = getConsentPorts();
    } catch (err) {
      context.error(`consent: configuration error: ${message(err)}`);
      return { response: htmlError("unavailable") };
    }
    let keys: string[];
    try {
      keys = await consentKeysOf(ports);
    } catch (err) {
      context.error(`consent: the signing keys could not be read: ${message(err)}`);
      return { response: htmlError("unavailable") };
    }
    if (keys.length === 0) {
      context.warn("consent: CONSENT_SIGNING_KEY is not set; consent links cannot be checked");
      return { response: htmlError("not-configured") };
    }
    const now = ports.now?.() ?? new Date();
    const token = verifyConsentTokenWithKeys(keys, request.params["token"] ?? "", now);
    if (!token.ok) {
      // Never log the token: it is a bearer credential.
      context.warn(`consent: ${request.method} with a ${token.reason} token`);
      return { response: htmlError(token.reason === "expired" ? "expired" : "invalid-link") };
    }
    return { ports, now, token };
  }

  async function load(ports: ConsentPorts, partnerId: string, associationId: string) {
    const association = (await ports.store.associations.get(partnerId, associationId)).value;
    const partnerName = await ports.store.partners.get(partnerId).then(
      (p) => p.name,
      (err: unknown) => {
        if (err instanceof NotFoundError) return `Partner ${association.request.partnerLocationId}`;
        throw err;
      },
    );
    return { association, partnerName };
  }

  const show: Handler = async (request, context) => {
    const auth = await authorise(request, context);
    if ("response" in auth) return auth.response;
    const { ports, token } = auth;
    try {
      const { association, partnerName } = await load(ports, token.partnerId, token.associationId);
      return html(200, renderClaimPage(claimView(association, partnerName, token.expiresAt)));
    } catch (err) {
      return failure(err, context, token.associationId);
    }
  };

  const act: Handler = async (request, context) => {
    const auth = await authorise(request, context);
    if ("response" in auth) return auth.response;
    const { ports, now, token } = auth;

    try {
      const input = await readAction(request);
      if ("error" in input) return htmlError(input.error, input.detail);
      const { association, partnerName } = await load(ports, token.partnerId, token.associationId);
      const outcome = await decide(ports, association, input.value, now, context);
      context.log(
        `consent: association ${association.id} (${association.status}): ${input.value.action} → ${outcome.kind}`,
      );
      return html(200, renderResultPage(partnerName, outcome));
    } catch (err) {
      return failure(err, context, token.associationId);
    }
  };

  return { show, act };
}

/** Applies the decision through the one customer-action use case; the page's outcome. */
async function decide(
  ports: ConsentPorts,
  association: Parameters<typeof deliverCustomerAction>[2]["association"],
  input: { action: CustomerAction; reason: string | undefined },
  now: Date,
  context: InvocationContext,
): Promise<ActionOutcome> {
  const outcome = await deliverCustomerAction(ports.lifecycle, ports.workflows(context), {
    association,
    requested: input.action,
    reason: input.reason,
    via: "consent-page",
    at: now.toISOString(),
  });
  return pageOutcome(outcome);
}

function pageOutcome(outcome: CustomerActionOutcome): ActionOutcome {
  switch (outcome.kind) {
    case "recorded":
      return { kind: "recorded", action: outcome.action, requested: outcome.requested };
    case "already-recorded":
      return { kind: "already-recorded", action: outcome.action };
    default:
      return { kind: "closed", status: outcome.association.status };
  }
}

type ReadAction =
  | { value: { action: CustomerAction; reason: string | undefined } }
  | { error: ErrorPageKind; detail?: string };

async function readAction(request: HttpRequest): Promise<ReadAction> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) return { error: "too-large" };
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const body = await request.text();
  if (Buffer.byteLength(body, "utf8") > maxBodyBytes) return { error: "too-large" };

  let raw: unknown;
  if (type === "application/x-www-form-urlencoded") {
    raw = Object.fromEntries(new URLSearchParams(body));
  } else if (type === "application/json") {
    try {
      raw = JSON.parse(body);
    } catch {
      return { error: "bad-request", detail: "The request body is not valid JSON." };
    }
  } else {
    return { error: "unsupported-media-type" };
  }
  const parsed = consentActionInput.safeParse(raw);
  if (!parsed.success)
    return {
      error: "bad-request",
      detail: parsed.error.issues.map((i) => `${i.path.join(".") || "(form)"}: ${i.message}`).join("; "),
    };
  return { value: parsed.data };
}

function failure(err: unknown, context: InvocationContext, associationId: string): HttpResponseInit {
  if (err instanceof NotFoundError) {
    context.warn(`consent: association ${associationId} was not found`);
    return htmlError("not-found");
  }
  context.error(`consent: association ${associationId}: ${message(err)}`);
  return { ...htmlError("unavailable"), headers: { ...consentPageHeaders, "retry-after": "30" } };
}

function html(status: number, body: string): HttpResponseInit {
  return { status, headers: { ...consentPageHeaders }, body };
}

function htmlError(kind: ErrorPageKind, detail?: string): HttpResponseInit {
  const page = errorPage(kind, detail);
  return html(page.status, page.html);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const handlers = createConsentHandlers(customerChannelPorts);

app.http(consentPageShowName, {
  route: "api/consent/{token}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: handlers.show,
});

app.http(consentPageActName, {
  route: "api/consent/{token}",
  methods: ["POST"],
  authLevel: "anonymous",
  ...withDurableClient,
  handler: handlers.act,
});
