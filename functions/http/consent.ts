import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { verifyConsentToken, type ConsentTokenResult } from "../../src/auth/consentToken";
import type { Association } from "../../src/domain/association";
import { NotFoundError } from "../../src/domain/errors";
import { lifecycleEvents, lifecycleSignal } from "../../src/domain/lifecycle";
import {
  claimView,
  consentActionInput,
  consentPageHeaders,
  errorPage,
  renderClaimPage,
  renderResultPage,
  resolveCustomerAction,
  type ActionOutcome,
  type CustomerAction,
  type ErrorPageKind,
} from "../../src/http/consentPage";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";
import { raiseThroughDurableClient, type RaiseLifecycleEvent } from "../raiseLifecycleEvent";

export const consentPageShowName = "consentPageShow";
export const consentPageActName = "consentPageAct";

/**
 * The customer's consent page, anonymous, authorised by the signed token in its URL:
 * `GET /api/consent/{token}` shows the claim and `POST` the same URL refuses or cancels it. The
 * function route is `consent/{token}`; the host puts host.json's routePrefix ("api") in front, and
 * the links in emails (src/auth/consentToken.ts `createConsentLinks`) include it.
 *
 * GET never changes anything: mail link scanners fetch every link in a message. POST raises
 * CustomerRefused or CustomerCancelled on the association's orchestration (instance ID =
 * association ID) at most once per decision: an idempotency row (`consent-page:<partner>`,
 * `<association>|<action>`) records that it was raised, and an association already rejected or
 * over gets the "already recorded" page without a new event.
 */

export interface ConsentPorts {
  store: Store;
  /** HMAC key of consent links; absent = links are not configured (503). */
  signingKey: string | undefined;
  raise: RaiseLifecycleEvent;
  now?: () => Date;
}

/** Form posts are a reason and an action: anything near this size is not from our page. */
const maxBodyBytes = 16 * 1024;

const eventFor: Readonly<Record<CustomerAction, string>> = {
  refuse: lifecycleEvents.customerRefused,
  cancel: lifecycleEvents.customerCancelled,
};

const defaultReason: Readonly<Record<CustomerAction, string>> = {
  refuse: "The customer refused the association on the consent page.",
  cancel: "The customer cancelled the association on the consent page.",
};

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function createConsentHandlers(getConsentPorts: () => ConsentPorts): { show: Handler; act: Handler } {
  /** Ports, key and token checks shared by GET and POST; a response when the request stops here. */
  function authorise(
    request: HttpRequest,
    context: InvocationContext,
  ):
    | { response: HttpResponseInit }
    | { ports: ConsentPorts; now: Date; token: Extract<ConsentTokenResult, { ok: true }> } {
    let ports: ConsentPorts;
    try {
      ports = getConsentPorts();
    } catch (err) {
      context.error(`consent: configuration error: ${message(err)}`);
      return { response: htmlError("unavailable") };
    }
    if (!ports.signingKey) {
      context.warn("consent: CONSENT_SIGNING_KEY is not set; consent links cannot be checked");
      return { response: htmlError("not-configured") };
    }
    const now = ports.now?.() ?? new Date();
    const token = verifyConsentToken(ports.signingKey, request.params["token"] ?? "", now);
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
    const auth = authorise(request, context);
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
    const auth = authorise(request, context);
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

/** Raises the event that fits the status, once per decision. */
async function decide(
  ports: ConsentPorts,
  association: Association,
  input: { action: CustomerAction; reason: string | undefined },
  now: Date,
  context: InvocationContext,
): Promise<ActionOutcome> {
  const resolved = resolveCustomerAction(input.action, association.status);
  if (!resolved) return { kind: "closed", status: association.status };
  const { action } = resolved;

  const keys = ports.store.idempotencyKeys;
  const scope = `consent-page:${association.partnerId}`;
  const key = `${association.id}|${action}`;
  const started = await keys.begin(scope, key, action, now);
  if (started.outcome !== "started") return { kind: "already-recorded", action };

  const payload = lifecycleSignal.parse({
    reason: input.reason ?? defaultReason[action],
    via: "consent-page",
  });
  try {
    await ports.raise(association.id, eventFor[action], payload, context);
  } catch (err) {
    // Nothing was raised: free the key so the customer can simply try again.
    await keys.abandon(scope, key, started.etag).catch(() => undefined);
    throw err;
  }
  try {
    await keys.complete(scope, key, started.etag, {
      status: 200,
      headers: {},
      body: JSON.stringify({ event: eventFor[action], requested: input.action, at: now.toISOString() }),
    });
  } catch (err) {
    // The event is raised; the in-flight key still answers "already recorded" until its lock lapses.
    context.warn(`consent: association ${association.id}: could not mark the decision done: ${message(err)}`);
  }
  return { kind: "recorded", action, requested: input.action };
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

const handlers = createConsentHandlers(() => {
  const { store, settings, clock } = getPorts();
  return { store, signingKey: settings.consent.signingKey, raise: raiseThroughDurableClient, now: clock };
});

app.http(consentPageShowName, {
  route: "consent/{token}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: handlers.show,
});

app.http(consentPageActName, {
  route: "consent/{token}",
  methods: ["POST"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: handlers.act,
});
