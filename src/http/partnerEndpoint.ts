import { createHash, timingSafeEqual } from "node:crypto";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { apiKeyFrom, hashApiKey } from "../auth/apiKeys";
import { bearerTokenFrom } from "../auth/entraId";
import { ValidationError } from "../domain/errors";
import type { Store } from "../store/store";
import { problem, problemFor, unsupportedMediaType } from "./problem";
import type { RateLimiter } from "./rateLimiter";

/**
 * The pipeline every `/api/v1` partner endpoint runs through: authentication (the partner is the
 * caller, never a field of the body), the body read with a size limit and refused unless it is JSON,
 * `Idempotency-Key` for every POST, and errors as RFC 9457 problems. A handler sees only the calling
 * partner's ID.
 */
export interface PartnerCall {
  request: HttpRequest;
  context: InvocationContext;
  partnerId: string;
  /** The request body as text ("" when none). */
  body: string;
  /** "csv" when an endpoint that accepts CSV was sent `text/csv`; otherwise "json". */
  bodyFormat: "json" | "csv";
}

/** What request bodies an endpoint accepts: JSON always; CSV where an endpoint takes files. */
export interface EndpointOptions {
  acceptsCsv?: boolean;
}

export interface EndpointPorts {
  store: Store;
  clock: () => Date;
  /** `api.maxRequestBytes`: bodies larger than this are refused with 413 (MAX_REQUEST_BYTES). */
  settings: { adminApiKey: string | undefined; api: { maxRequestBytes: number } };
  /** Each partner's request budget on this instance; absent = no limit (the administrator has none). */
  rateLimiter?: RateLimiter | undefined;
  /** Entra ID access tokens (`Authorization: Bearer`); absent = partners authenticate with API keys only. */
  entraId?: { partnerFor(token: string): Promise<string | undefined> } | undefined;
}

/** Who is calling: a partner ID, or undefined when the credentials open nothing. */
type Authenticate = (request: HttpRequest, ports: EndpointPorts) => Promise<string | undefined>;

/** The identity administrative calls act as (its Idempotency-Keys live apart from every partner's). */
export const adminPrincipal = "admin";

export function partnerEndpoint(
  getPorts: () => EndpointPorts,
  handler: (call: PartnerCall) => Promise<HttpResponseInit>,
  options: EndpointOptions = {},
) {
  return endpoint(getPorts, partnerAuth, handler, options);
}

/** `/api/v1/admin/*`: `Authorization: ApiKey <ADMIN_API_KEY>`; closed when the setting is absent. */
export function adminEndpoint(
  getPorts: () => EndpointPorts,
  handler: (call: PartnerCall) => Promise<HttpResponseInit>,
) {
  return endpoint(getPorts, adminAuth, handler);
}

function endpoint(
  getPorts: () => EndpointPorts,
  authenticate: Authenticate,
  handler: (call: PartnerCall) => Promise<HttpResponseInit>,
  options: EndpointOptions = {},
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const ports = getPorts();
      const partnerId = await authenticate(request, ports);
      if (!partnerId) return unauthorized();
      // Before the body is read: a partner over its budget costs this instance as little as can be.
      const limited = partnerId === adminPrincipal ? undefined : ports.rateLimiter?.take(partnerId);
      if (limited && !limited.allowed) return tooManyRequests(limited.retryAfterSeconds, ports.rateLimiter);
      const { maxRequestBytes } = ports.settings.api;
      const body = await readBody(request, maxRequestBytes);
      if (body === undefined)
        return problem(413, "Content too large", `request bodies are limited to ${maxRequestBytes} bytes`);
      // Before the Idempotency-Key is taken: the client may resend under the same key, as JSON.
      const contentType = request.headers.get("content-type") ?? undefined;
      const csv = options.acceptsCsv === true && isCsvMediaType(contentType);
      if (body !== "" && !csv && !isJsonMediaType(contentType))
        return unsupportedMediaType(mediaTypeOf(contentType), options.acceptsCsv === true);
      const call: PartnerCall = { request, context, partnerId, body, bodyFormat: csv ? "csv" : "json" };
      if (request.method !== "POST") return await handler(call);
      return await idempotent(ports, call, handler);
    } catch (err) {
      return failed(context, err);
    }
  };
}

/** Parses a JSON body with a zod schema; every offending field is named (`ValidationError`). */
export function parseBody<S extends z.ZodType>(schema: S, body: string): z.output<S> {
  let json: unknown;
  try {
    json = body === "" ? undefined : JSON.parse(body);
  } catch {
    throw new ValidationError([{ path: "", message: "the body is not valid JSON" }]);
  }
  const polluting = pollutingKeys(json);
  if (polluting.length > 0)
    throw new ValidationError(polluting.map((path) => ({ path, message: "is not an allowed field name" })));
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: issueMessage(i) })),
    );
  return parsed.data;
}

/** Keys that reach an object's prototype when code copies them (`__proto__`, `constructor`, `prototype`). */
const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The dotted paths of every forbidden key in a parsed body, refused before any schema sees it: a
 * free-form map (a record) would otherwise accept one and hand it to code that spreads or assigns.
 * Walked with a stack, not recursion: a body may be nested thousands deep.
 */
function pollutingKeys(json: unknown): string[] {
  const found: string[] = [];
  const stack: { value: unknown; path: string }[] = [{ value: json, path: "" }];
  while (stack.length > 0 && found.length < 20) {
    const { value, path } = stack.pop() ?? { value: undefined, path: "" };
    if (typeof value !== "object" || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (forbiddenKeys.has(key)) found.push(at);
      else stack.push({ value: child, path: at });
    }
  }
  return found;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown field(s): ${issue.keys.join(", ")}`;
  return issue.message;
}

async function partnerAuth(request: HttpRequest, ports: EndpointPorts): Promise<string | undefined> {
  const authorization = request.headers.get("authorization");
  const token = bearerTokenFrom(authorization);
  if (token !== undefined) return ports.entraId ? ports.entraId.partnerFor(token) : undefined;
  const key = apiKeyFrom(authorization);
  if (!key) return undefined;
  return ports.store.apiKeys.partnerFor(hashApiKey(key));
}

function adminAuth(request: HttpRequest, ports: EndpointPorts): Promise<string | undefined> {
  const key = apiKeyFrom(request.headers.get("authorization"));
  const expected = ports.settings.adminApiKey;
  if (!key || !expected) return Promise.resolve(undefined);
  // Hashes have equal length, so the comparison takes the same time whatever the key.
  const same = timingSafeEqual(Buffer.from(hashApiKey(key), "hex"), Buffer.from(hashApiKey(expected), "hex"));
  return Promise.resolve(same ? adminPrincipal : undefined);
}

function unauthorized(): HttpResponseInit {
  const response = problem(
    401,
    "Unauthorized",
    "send Authorization: ApiKey <your partner API key>, or Bearer <an Entra ID access token> where configured",
  );
  return {
    ...response,
    headers: {
      ...(response.headers as Record<string, string>),
      "www-authenticate": 'ApiKey, Bearer realm="partner-of-record"',
    },
  };
}

/**
 * Idempotency-Key (IETF httpapi draft): missing → 400; same key and body → the stored response;
 * same key, other body → 422; same key while the first request runs → 409. Keys are per partner.
 * Responses below 500 are stored; a 5xx or a crash forgets the key so the client may retry.
 */
async function idempotent(
  ports: EndpointPorts,
  call: PartnerCall,
  handler: (call: PartnerCall) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  const key = call.request.headers.get("idempotency-key");
  if (!key || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
    return problem(
      400,
      "Idempotency-Key required",
      "every POST needs an Idempotency-Key header (1-255 visible ASCII characters)",
      {
        errors: [{ path: "header:Idempotency-Key", message: "is required" }],
      },
    );
  const hash = createHash("sha256")
    .update(`${call.request.method} ${new URL(call.request.url).pathname}\n${call.body}`)
    .digest("hex");
  const keys = ports.store.idempotencyKeys;
  const started = await keys.begin(call.partnerId, key, hash, ports.clock());
  switch (started.outcome) {
    case "mismatch":
      return problem(422, "Idempotency-Key reused", "this key was used with a different request");
    case "in-flight":
      return problem(
        409,
        "Request in progress",
        "a request with this Idempotency-Key is still being processed",
      );
    case "replay":
      return {
        status: started.response.status,
        headers: { ...started.response.headers, "idempotent-replayed": "true" },
        body: started.response.body,
      };
  }
  let response: HttpResponseInit;
  try {
    response = await handler(call);
  } catch (err) {
    response = failed(call.context, err);
  }
  const stored = storable(response);
  if ((response.status ?? 200) >= 500) await keys.abandon(call.partnerId, key, started.etag);
  else await completeOrRelease(keys, call, key, started.etag, stored);
  return { status: stored.status, headers: stored.headers, body: stored.body };
}

/**
 * Stores the answer for replays. When that fails, the key is released instead, so the client's
 * retry runs the request again (every POST is resumable: it finds its own work done and answers
 * the same) rather than waiting out the in-flight lock; the answer itself still goes back.
 */
async function completeOrRelease(
  keys: Store["idempotencyKeys"],
  call: PartnerCall,
  key: string,
  etag: string,
  stored: ReturnType<typeof storable>,
): Promise<void> {
  try {
    await keys.complete(call.partnerId, key, etag, stored);
  } catch (err) {
    call.context.warn(`idempotency key could not be completed; released for a retry: ${String(err)}`);
    await keys.abandon(call.partnerId, key, etag).catch(() => undefined);
  }
}

function storable(response: HttpResponseInit) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries((response.headers as Record<string, string> | undefined) ?? {}))
    headers[name.toLowerCase()] = String(value);
  let body = "";
  if (response.jsonBody !== undefined) {
    body = JSON.stringify(response.jsonBody);
    headers["content-type"] ??= "application/json";
  } else if (typeof response.body === "string") body = response.body;
  return { status: response.status ?? 200, headers, body };
}

function failed(context: InvocationContext, err: unknown): HttpResponseInit {
  const response = problemFor(err);
  if ((response.status ?? 500) >= 500)
    context.error("request failed", err instanceof Error ? err.stack : String(err));
  return response;
}

/**
 * `application/json` or a structured-syntax `+json` type (RFC 6839), with any parameters but a
 * charset other than UTF-8: bodies are read as UTF-8, as RFC 8259 §8.1 requires JSON to be sent.
 * A request without a body needs no Content-Type.
 */
function isJsonMediaType(contentType: string | undefined): boolean {
  const [type = "", ...parameters] = (contentType ?? "").split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json" && !/^application\/[\w.!#$&^-]+\+json$/.test(type)) return false;
  return isUtf8(parameters);
}

/** `text/csv` (RFC 4180), read as UTF-8 like JSON. */
function isCsvMediaType(contentType: string | undefined): boolean {
  const [type = "", ...parameters] = (contentType ?? "").split(";").map((part) => part.trim().toLowerCase());
  return type === "text/csv" && isUtf8(parameters);
}

/** No charset parameter, or UTF-8. */
function isUtf8(parameters: readonly string[]): boolean {
  const charset = parameters
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/^"(.*)"$/, "$1");
  return charset === undefined || charset === "utf-8" || charset === "utf8";
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "" ? undefined : type;
}

/**
 * The body as text, or undefined when it is larger than `maxBytes`: refused on its declared
 * Content-Length before reading, else read only until it passes the limit.
 */
async function readBody(request: HttpRequest, maxBytes: number): Promise<string | undefined> {
  if (request.body === null) return ""; // no body at all (every GET): nothing to read
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** 429 with Retry-After (whole seconds until the partner's budget has a request again). */
function tooManyRequests(retryAfterSeconds: number, limiter: RateLimiter | undefined): HttpResponseInit {
  const rate = limiter ? ` (${limiter.rate.perSecond} a second, bursts of ${limiter.rate.burst})` : "";
  const answer = problem(
    429,
    "Too many requests",
    `this partner's requests to this instance are over its limit${rate}: retry after ${retryAfterSeconds} s`,
  );
  return { ...answer, headers: { ...answer.headers, "retry-after": String(retryAfterSeconds) } };
}
