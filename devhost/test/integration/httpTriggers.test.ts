import { randomBytes } from "node:crypto";
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadApp, type LoadedApp } from "../../src/appLoader";
import type { RpcInvocationResponse } from "../../src/coreTypes";
import { startHttpServer, type HttpServer, type HttpServerOptions } from "../../src/http/server";
import { Invoker, type Logger } from "../../src/invoker";

// One app per file: @azure/functions caches the core module per process.
const keys = { function: ["function-key-1", "function-key-2"], master: "master-key" };
const lines: string[] = [];
const log: Logger = { info: (line) => lines.push(line), error: (line) => lines.push(line) };
const afterInvocations: { fn: string; response: RpcInvocationResponse }[] = [];

let app: LoadedApp;
let server: HttpServer;

function start(overrides: Partial<HttpServerOptions> = {}): Promise<HttpServer> {
  return startHttpServer({
    registry: app.registry,
    invoker: new Invoker(app.core, log),
    routePrefix: "api",
    port: 0,
    keys,
    log,
    extraRoutes: (req, res, url) => {
      if (url.pathname !== "/runtime/webhooks/test") return Promise.resolve(false);
      res.end(`extra ${req.method}`);
      return Promise.resolve(true);
    },
    afterInvocation: (fn, response) => {
      afterInvocations.push({ fn: fn.name, response });
      return Promise.resolve();
    },
    ...overrides,
  });
}

beforeAll(async () => {
  app = await loadApp("devhost/test/fixtures/http-app", (line) => lines.push(line));
  server = await start();
});

afterAll(() => server?.close());

const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

/** node:http, for what fetch cannot send: repeated header lines, a body larger than a limit. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("the local host's HTTP front door", () => {
  it("lists the routes at startup as Core Tools does", () => {
    expect(lines).toContain(`hello: [GET] ${server.url}/api/hello`);
    expect(lines).toContain(`itemById: [GET] ${server.url}/api/items/{id:int}`);
  });

  it("answers the host status probe", async () => {
    const res = await get("/admin/host/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ state: "Running" });
  });

  it("routes the default route (the function name) with query parameters", async () => {
    const res = await get("/api/hello?name=Ada%20Lovelace");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    expect(await res.text()).toBe("Hello, Ada Lovelace");
  });

  it("passes the query as the host does: keys case-insensitive, repeated values joined with commas", async () => {
    const res = await get("/api/query?a=1&tag=x&Tag=y&empty=&flag");
    expect(await res.json()).toEqual({ all: { a: "1", tag: "x,y", empty: "", flag: "" }, tags: ["x,y"] });
  });

  it("matches route parameters, {id:int} rejecting non-integers with 404", async () => {
    expect(await (await get("/api/items/42")).json()).toEqual({ route: "itemById", id: "42" });
    expect(await (await get("/api/items/latest")).json()).toEqual({ route: "latestItem" });
    expect((await get("/api/items/abc")).status).toBe(404);
  });

  it("leaves an absent optional parameter out and passes a present one", async () => {
    expect(await (await get("/api/files")).json()).toEqual({ params: {} });
    expect(await (await get("/api/files/report%20v2.pdf")).json()).toEqual({
      params: { name: "report v2.pdf" },
    });
  });

  it("gives a catch-all parameter the rest of the path", async () => {
    expect(await (await get("/api/assets/css/site.css")).json()).toEqual({ path: "css/site.css" });
    expect(await (await get("/api/assets")).json()).toEqual({ path: null });
  });

  it("answers 404, not 405, for a method the route does not allow", async () => {
    expect((await get("/api/hello")).status).toBe(200);
    const res = await get("/api/hello", { method: "DELETE" });
    expect([res.status, res.headers.get("allow"), await res.text()]).toEqual([404, null, ""]);
    expect((await get("/api/hello", { method: "POST" })).status).toBe(404);
  });

  it("answers 404 for an unknown route", async () => {
    expect((await get("/api/nowhere")).status).toBe(404);
    expect((await get("/hello")).status).toBe(404);
  });

  it("lets the Durable API (extraRoutes) answer first", async () => {
    const res = await get("/runtime/webhooks/test", { method: "POST" });
    expect(await res.text()).toBe("extra POST");
  });
});

describe("auth levels", () => {
  it.each([
    ["/api/secret", {}, 401],
    ["/api/secret", { "x-functions-key": "function-key-2" }, 200],
    ["/api/secret?code=function-key-1", {}, 200],
    ["/api/secret?CODE=function-key-1", {}, 200],
    ["/api/secret?code=master-key", {}, 200],
    ["/api/secret", { "x-functions-key": "master-key" }, 200],
    ["/api/secret", { "x-functions-key": "wrong" }, 401],
    ["/api/secret?code=wrong", {}, 401],
    ["/api/admin-only", {}, 401],
    ["/api/admin-only", { "x-functions-key": "function-key-1" }, 401],
    ["/api/admin-only?code=function-key-1", {}, 401],
    ["/api/admin-only", { "x-functions-key": "master-key" }, 200],
    ["/api/admin-only?code=master-key", {}, 200],
    ["/api/hello", { "x-functions-key": "wrong" }, 200],
  ])("GET %s with %j → %i", async (path, headers, status) => {
    const res = await get(path, { headers });
    expect(res.status).toBe(status);
    if (status === 401) expect(await res.text()).toBe("");
  });
});

describe("requests and responses", () => {
  it("passes request headers (lower-cased, repeats joined with commas) and returns the handler's", async () => {
    const raw = await rawRequest(`${server.url}/api/headers`, {
      headers: { "X-Custom": "hello", "x-multi": ["a", "b"] },
    });
    expect(JSON.parse(raw.body)).toMatchObject({ "x-custom": "hello", "x-multi": "a,b" });

    const res = await get("/api/headers", { headers: { "x-custom": "echo me" } });
    expect(res.headers.get("x-echo")).toBe("echo me");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toBe("application/json");
  });

  it("writes the handler's cookies as ASP.NET Core formats Set-Cookie", async () => {
    const res = await get("/api/cookies", { headers: { cookie: "a=1; b=2" } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: "a=1; b=2" });
    expect(res.headers.getSetCookie()).toEqual([
      "session=a%20b%3Bc; max-age=3600; path=/; secure; samesite=strict; httponly",
      "theme=dark; domain=localhost; path=/api; samesite=lax",
      "gone=; expires=Sat, 01 Jan 2000 00:00:00 GMT; path=/; secure; samesite=none",
    ]);
  });

  it("round-trips a binary body byte for byte", async () => {
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0x00, 0xfe, 0x0d, 0x0a]), randomBytes(65_536)]);
    for (const method of ["POST", "PUT"]) {
      const res = await get("/api/binary", {
        method,
        body: bytes,
        headers: { "content-type": "application/octet-stream" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(bytes.length));
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  it("lets the handler read a JSON body with request.json()", async () => {
    const input = { name: "Contoso", seats: 250, tags: ["a", "é", "😀"], nested: { ok: true } };
    const res = await get("/api/json", {
      method: "POST",
      body: JSON.stringify(input),
      headers: { "content-type": "application/json" },
    });
    expect(await res.json()).toEqual({ received: input, method: "POST" });
  });

  it("answers a throwing handler with an empty 500 and logs the error", async () => {
    const res = await get("/api/boom");
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("");
    expect(body).not.toMatch(/kaboom|\bat\b/);
    expect(lines.some((line) => line.includes("kaboom"))).toBe(true);
  });

  it("answers 200 with an empty body when the function sets no response", async () => {
    const res = await get("/api/no-response", { method: "POST" });
    expect([res.status, await res.text()]).toEqual([200, ""]);
  });

  it("uses a named http output and hands the other outputs to afterInvocation first", async () => {
    const res = await get("/api/named", { method: "POST", body: "x" });
    expect([res.status, await res.text()]).toEqual([202, "accepted"]);
    const call = afterInvocations.find((c) => c.fn === "namedOutput");
    expect(call?.response.returnValue).toEqual({ json: JSON.stringify({ queued: true }) });
  });
});

describe("limits and shutdown", () => {
  it("answers 413 past the request body limit", async () => {
    const small = await start({ maxRequestBodyBytes: 1024 });
    try {
      const fits = await rawRequest(`${small.url}/api/binary`, { method: "POST", body: randomBytes(1024) });
      expect(fits.status).toBe(200);
      const declared = await rawRequest(`${small.url}/api/binary`, {
        method: "POST",
        body: randomBytes(4096),
      });
      expect(declared.status).toBe(413);
      const chunked = await rawRequest(`${small.url}/api/binary`, {
        method: "POST",
        headers: { "transfer-encoding": "chunked" },
        body: randomBytes(4096),
      });
      expect(chunked.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it("close() waits for requests in flight, then refuses new ones", async () => {
    const other = await start();
    const inFlight = fetch(`${other.url}/api/slow?ms=300`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = other.close();
    const res = await inFlight;
    expect([res.status, await res.text()]).toEqual([200, "done"]);
    await closed;
    await expect(fetch(`${other.url}/api/hello`)).rejects.toThrow();
  });

  it("close() cuts requests still in flight after its timeout", async () => {
    const other = await start({ closeTimeoutMs: 100 });
    const inFlight = fetch(`${other.url}/api/slow?ms=5000`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(inFlight).rejects.toThrow();
  });
});
