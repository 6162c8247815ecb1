import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { RpcHttpData, RpcInvocationResponse, RpcTypedData } from "../coreTypes";
import type { RegisteredFunction } from "../registry";

/**
 * The two conversions at the HTTP edge, shaped as the Functions host shapes them for the Node worker
 * (azure-functions-host `GrpcMessageConversionExtensions.ToRpcHttp`, `RawScriptResult`), so the
 * library's own `HttpRequest` / `toRpcHttp` see what they would see in Azure.
 */

/**
 * The request URL as the host rebuilds it: `http://{Host}{path}{query}`. Also what the server routes
 * on (`pathname`, with dot segments removed as Kestrel removes them). Throws on an unusable Host header.
 */
export function requestUrl(req: IncomingMessage): URL {
  const host = req.headers.host ?? "localhost";
  const base = new URL(`http://${host}`);
  if (base.pathname !== "/" || base.search !== "" || base.username !== "")
    throw new Error(`invalid Host header "${host}"`);
  return new URL(req.url ?? "/", base);
}

/**
 * The httpTrigger input. Header names are lower-cased; repeated headers and query keys are joined
 * with "," (ASP.NET `StringValues.ToString()`); query keys are case-insensitive, the first spelling kept.
 * The body goes as raw bytes (the worker asks for `RawHttpBodyBytes`), only when there is one.
 */
export function toRpcHttpRequest(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  params: Record<string, string>,
): RpcTypedData {
  const http: RpcHttpData = {
    method: req.method ?? "GET",
    url: `http://${req.headers.host ?? url.host}${url.pathname}${url.search}`,
    headers: joinHeaders(req.rawHeaders),
    query: joinQuery(url.searchParams),
    params,
  };
  if (body.length > 0) http.body = { bytes: body };
  return { http };
}

function joinHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

function joinQuery(search: URLSearchParams): Record<string, string> {
  const byLowerKey = new Map<string, { key: string; values: string[] }>();
  for (const [key, value] of search) {
    const entry = byLowerKey.get(key.toLowerCase());
    if (entry) entry.values.push(value);
    else byLowerKey.set(key.toLowerCase(), { key, values: [value] });
  }
  return Object.fromEntries([...byLowerKey.values()].map(({ key, values }) => [key, values.join(",")]));
}

const returnBindingName = "$return";

/**
 * The function's HTTP output: an `http` output binding, usually `$return`, or a named one when the
 * function returns to another binding (`extraOutputs: [output.http({})]`). undefined when none was set.
 */
export function findHttpOutput(
  fn: RegisteredFunction,
  response: RpcInvocationResponse,
): RpcTypedData | undefined {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction !== "out" || binding.type.toLowerCase() !== "http") continue;
    const data =
      name === returnBindingName
        ? response.returnValue
        : response.outputData?.find((o) => o.name === name)?.data;
    if (data) return data;
  }
  return undefined;
}

/** Framing is Node's job: these would contradict the body Node actually sends. */
const framingHeaders = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * Writes the worker's `RpcHttp` response as the host's `RawScriptResult` does: status, headers,
 * the `set-cookie` header then one Set-Cookie per cookie, and the body bytes unchanged. No HTTP output
 * at all is the host's `OkResult`: 200 with an empty body.
 */
export function writeHttpResponse(res: ServerResponse, output: RpcTypedData | undefined): void {
  const http = output?.http;
  if (!http) {
    res.statusCode = 200;
    res.end();
    return;
  }
  const status = Number(http.statusCode ?? 200);
  if (!Number.isInteger(status) || status < 100 || status > 999)
    throw new Error(`the function answered an invalid HTTP status "${String(http.statusCode)}"`);
  const setCookie: string[] = [];
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    const lower = name.toLowerCase();
    if (value === null || value === undefined || framingHeaders.has(lower)) continue;
    if (lower === "set-cookie") setCookie.push(String(value));
    else res.setHeader(name, String(value));
  }
  for (const cookie of http.cookies ?? []) setCookie.push(formatSetCookie(rpcHttpCookie.parse(cookie)));
  if (setCookie.length > 0) res.setHeader("set-cookie", setCookie);
  const body = typedDataBytes(http.body);
  res.statusCode = status;
  if (statusAllowsBody(status)) res.setHeader("content-length", body.length);
  res.end(statusAllowsBody(status) ? body : undefined);
}

function statusAllowsBody(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/** The body as bytes, whatever form the worker chose; `bytes` (the library's choice) is never copied. */
export function typedDataBytes(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  const raw = data.bytes ?? data.stream;
  if (raw !== undefined) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (data.string !== undefined) return Buffer.from(data.string, "utf8");
  if (data.json !== undefined) return Buffer.from(data.json, "utf8");
  if (data.int !== undefined) return Buffer.from(String(data.int), "utf8");
  if (data.double !== undefined) return Buffer.from(String(data.double), "utf8");
  return Buffer.alloc(0);
}

const nullable = <T extends z.ZodType>(value: T) =>
  z
    .object({ value: value.nullish() })
    .nullish()
    .transform((n) => n?.value ?? undefined);

/** `RpcHttpCookie` as the library's `toRpcHttpCookie` writes it (proto enums may also arrive as numbers). */
export const rpcHttpCookie = z.object({
  name: z.string(),
  value: z.string(),
  domain: nullable(z.string()),
  path: nullable(z.string()),
  expires: nullable(z.object({ seconds: z.union([z.number(), z.string(), z.bigint()]).nullish() })),
  secure: nullable(z.boolean()),
  httpOnly: nullable(z.boolean()),
  sameSite: z.union([z.enum(["none", "lax", "strict", "explicitNone"]), z.number().int()]).nullish(),
  maxAge: nullable(z.number()),
});
export type RpcHttpCookie = z.infer<typeof rpcHttpCookie>;

/** The worker's "none" means unspecified (no attribute); "explicitNone" is `SameSite=None`. */
const sameSiteNames: Record<string, string | undefined> = {
  none: undefined,
  lax: "lax",
  strict: "strict",
  explicitNone: "none",
  "0": undefined,
  "1": "lax",
  "2": "strict",
  "3": "none",
};

/**
 * One Set-Cookie value as ASP.NET Core's `ResponseCookies.Append` writes it: the value escaped with
 * `Uri.EscapeDataString`, path defaulting to "/", attributes in `SetCookieHeaderValue` order.
 */
export function formatSetCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name}=${escapeDataString(cookie.value)}`];
  const seconds = cookie.expires?.seconds;
  if (seconds !== undefined && seconds !== null)
    parts.push(`expires=${new Date(Number(seconds) * 1000).toUTCString()}`);
  if (cookie.maxAge !== undefined && Number.isFinite(cookie.maxAge))
    parts.push(`max-age=${Math.trunc(cookie.maxAge)}`);
  if (cookie.domain) parts.push(`domain=${cookie.domain}`);
  parts.push(`path=${cookie.path || "/"}`);
  if (cookie.secure) parts.push("secure");
  const sameSite = sameSiteNames[String(cookie.sameSite ?? "none")];
  if (sameSite) parts.push(`samesite=${sameSite}`);
  if (cookie.httpOnly) parts.push("httponly");
  return parts.join("; ");
}

/** .NET `Uri.EscapeDataString`: everything but RFC 3986 unreserved characters is percent-encoded. */
function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
