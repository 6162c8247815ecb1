import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RpcInvocationResponse, RpcParameterBinding } from "../coreTypes";
import type { Invoker, Logger } from "../invoker";
import type { FunctionRegistry, RegisteredFunction } from "../registry";
import { findHttpOutput, requestUrl, toRpcHttpRequest, writeHttpResponse } from "./httpTrigger";
import { RouteTable, type AuthLevel, type RouteMatch } from "./routes";

/**
 * The local host's HTTP front door, answering as the Functions host answers: 404 for no route (a
 * method a route does not allow is no route), 401 with an empty body for a missing or wrong key, 413
 * above the request body limit, 500 with an empty body when the function fails.
 */
export interface HttpServerOptions {
  registry: FunctionRegistry;
  invoker: Invoker;
  /** host.json `extensions.http.routePrefix` ("api" by default; "" = none). */
  routePrefix: string;
  /** 0 = any free port. */
  port: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Function (and host) keys open `function` routes; the master key opens every route. */
  keys: { function: string[]; master: string };
  /** Tried before the function routes; resolves true when it answered (the Durable HTTP API plugs in here). */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Writes the other output bindings; runs before the HTTP response is sent, as in the host. A throw → 500. */
  afterInvocation?: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;
  log: Logger;
  /** Kestrel's limit in the Functions host: 100 MB (104857600 bytes). */
  maxRequestBodyBytes?: number;
  /** How long `close()` waits for requests in flight before cutting their connections. */
  closeTimeoutMs?: number;
}

export interface HttpServer {
  port: number;
  /** `http://host:port`, without a trailing slash. */
  url: string;
  routes: RouteTable;
  close(): Promise<void>;
}

const defaultMaxRequestBodyBytes = 104_857_600;
const defaultCloseTimeoutMs = 10_000;

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const routes = RouteTable.fromRegistry(options.registry, options.routePrefix);
  const state: { closing: boolean; closed?: Promise<void> } = { closing: false };
  const server = createServer((req, res) => {
    res.on("finish", () => {
      // A finished keep-alive connection would otherwise hold close() until the timeout.
      if (state.closing) setImmediate(() => server.closeIdleConnections());
    });
    handle({ options, routes }, req, res).catch((err: unknown) => failed(options.log, res, err));
  });
  const port = await listen(server, options.port, options.host ?? "127.0.0.1");
  const url = `http://${displayHost(options.host ?? "127.0.0.1")}:${port}`;
  for (const line of routes.describe(url)) options.log.info(line);
  return {
    port,
    url,
    routes,
    close: () => {
      state.closing = true;
      state.closed ??= closeServer(server, options.closeTimeoutMs ?? defaultCloseTimeoutMs);
      return state.closed;
    },
  };
}

interface Context {
  options: HttpServerOptions;
  routes: RouteTable;
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = requestUrl(req);
  } catch {
    return answer(res, 400);
  }
  if (isHostStatus(req, url)) return answerJson(res, 200, { state: "Running" });
  if (ctx.options.extraRoutes && (await ctx.options.extraRoutes(req, res, url))) return;
  const match = ctx.routes.match(req.method ?? "GET", url.pathname);
  if (!match) return answer(res, 404);
  if (!isAuthorized(match.route.authLevel, req, url, ctx.options.keys)) return answer(res, 401);
  const body = await readBody(req, ctx.options.maxRequestBodyBytes ?? defaultMaxRequestBodyBytes);
  if (body === "tooLarge") {
    res.setHeader("connection", "close");
    return answer(res, 413);
  }
  await invoke(ctx.options, match, req, url, body, res);
}

async function invoke(
  options: HttpServerOptions,
  { fn, params }: RouteMatch,
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const trigger: RpcParameterBinding = {
    name: fn.trigger.name,
    data: toRpcHttpRequest(req, url, body, params),
  };
  // Other inputs (durableClient, …) are filled by the Invoker's input providers.
  const result = await options.invoker.invoke(fn, { inputData: [trigger] });
  if (!result.ok) {
    // The Invoker logged the one-line outcome; the stack is for the developer's console only.
    options.log.error(`${fn.name} ${result.invocationId}: ${result.error.stack ?? result.error.message}`);
    return answer(res, 500);
  }
  await options.afterInvocation?.(fn, result.response);
  writeHttpResponse(res, findHttpOutput(fn, result.response));
}

/** Never a stack trace on the wire: the error goes to the log, the client gets an empty 500. */
function failed(log: Logger, res: ServerResponse, err: unknown): void {
  log.error(`HTTP request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  answer(res, 500);
}

function answer(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader("content-length", 0);
  res.end();
}

function answerJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", body.length);
  res.end(body);
}

/** The host's health probe; anonymous here (the real host wants the master key outside Core Tools). */
function isHostStatus(req: IncomingMessage, url: URL): boolean {
  const method = req.method ?? "GET";
  return (method === "GET" || method === "HEAD") && /^\/admin\/host\/status\/?$/i.test(url.pathname);
}

/**
 * The key comes from the `x-functions-key` header, else the `code` query parameter (any case). The
 * master key grants admin; a function key grants function. Anonymous routes take any request.
 */
function isAuthorized(
  level: AuthLevel,
  req: IncomingMessage,
  url: URL,
  keys: HttpServerOptions["keys"],
): boolean {
  if (level === "anonymous") return true;
  const key = presentedKey(req, url);
  if (key === undefined) return false;
  if (keys.master !== "" && safeEqual(key, keys.master)) return true;
  return level === "function" && keys.function.some((k) => k !== "" && safeEqual(key, k));
}

function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers["x-functions-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  for (const [name, value] of url.searchParams)
    if (name.toLowerCase() === "code" && value !== "") return value;
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The whole body, or "tooLarge" as soon as it passes `limit` (by Content-Length or by counting). Past
 * the limit the rest is drained unread, so the socket survives long enough to carry the 413.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "tooLarge"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve("tooLarge");
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      } else {
        req.off("data", onData);
        req.resume();
        resolve("tooLarge");
      }
    };
    req.on("data", onData);
    req.once("end", () => {
      if (size <= limit) resolve(Buffer.concat(chunks, size));
    });
    req.once("error", reject);
    // After "end" this is a no-op; before it, the client went away mid-body.
    req.once("close", () =>
      reject(new Error("the client closed the connection before sending the whole body")),
    );
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

/** Stops accepting, lets requests in flight finish, and cuts what is still open after `timeoutMs`. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
