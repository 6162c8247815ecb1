import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/apiKeys";
import {
  parseBody,
  partnerEndpoint,
  type EndpointPorts,
  type PartnerCall,
} from "../../../src/http/partnerEndpoint";
import { z } from "zod";
import { ValidationError } from "../../../src/domain/errors";
import { createRateLimiter, type RateLimiter } from "../../../src/http/rateLimiter";
import type { IdempotencyStart, StoredResponse } from "../../../src/store/idempotencyKeys";
import type { Store } from "../../../src/store/store";

const apiKey = "por_test_key";
const otherApiKey = "por_other_key";

/** The pipeline over an in-memory key store that records every key it was asked to begin. */
function pipeline(options: { maxRequestBytes?: number; rateLimiter?: RateLimiter } = {}) {
  const keys = new Map<string, { hash: string; response?: StoredResponse }>();
  const begun: string[] = [];
  const idempotencyKeys = {
    begin(partnerId: string, key: string, hash: string): Promise<IdempotencyStart> {
      begun.push(key);
      const id = `${partnerId}|${key}`;
      const known = keys.get(id);
      if (!known) {
        keys.set(id, { hash });
        return Promise.resolve({ outcome: "started", etag: id });
      }
      if (known.hash !== hash) return Promise.resolve({ outcome: "mismatch" });
      return Promise.resolve(
        known.response ? { outcome: "replay", response: known.response } : { outcome: "in-flight" },
      );
    },
    complete(_partnerId: string, _key: string, etag: string, response: StoredResponse): Promise<void> {
      keys.set(etag, { hash: keys.get(etag)?.hash ?? "", response });
      return Promise.resolve();
    },
    abandon(_partnerId: string, _key: string, etag: string): Promise<void> {
      keys.delete(etag);
      return Promise.resolve();
    },
  };
  const apiKeys = {
    partnerFor: (hash: string) =>
      Promise.resolve(
        hash === hashApiKey(apiKey) ? "fabrikam" : hash === hashApiKey(otherApiKey) ? "contoso" : undefined,
      ),
  };
  const ports: EndpointPorts = {
    store: { apiKeys, idempotencyKeys } as unknown as Store,
    clock: () => new Date("2026-11-02T09:00:00.000Z"),
    settings: {
      adminApiKey: undefined,
      api: { maxRequestBytes: options.maxRequestBytes ?? 15 * 1024 * 1024 },
    },
    rateLimiter: options.rateLimiter,
  };
  const seen: string[] = [];
  const handler = partnerEndpoint(
    () => ports,
    (call: PartnerCall): Promise<HttpResponseInit> => {
      seen.push(call.body);
      return Promise.resolve({ status: 200, jsonBody: { ok: true } });
    },
  );
  const send = (method: string, body: string | undefined, headers: Record<string, string> = {}) =>
    handler(
      new HttpRequest({
        method,
        url: "https://por.example.com/api/v1/associations",
        headers: { authorization: `ApiKey ${apiKey}`, ...headers },
        ...(body === undefined ? {} : { body: { string: body } }),
      }),
      new InvocationContext({ functionName: "test" }),
    );
  return { send, begun, seen };
}

const json = '{"type":"cpor"}';

describe("partnerEndpoint: the request body's media type", () => {
  it.each([
    ["text/plain", "text/plain"],
    ["text/plain with a charset", "text/plain; charset=utf-8"],
    ["application/xml", "application/xml"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["JSON in another charset", "application/json; charset=utf-16"],
    ["a type that only starts like JSON", "application/jsonp"],
    ["a +json suffix on a text type", "text/x+json"],
  ])("answers 415 problem+json for %s", async (_case, contentType) => {
    const { send, seen } = pipeline();
    const response = await send("POST", json, { "content-type": contentType, "idempotency-key": "k1" });
    expect(response.status).toBe(415);
    expect((response.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(response.jsonBody).toEqual({
      type: "about:blank",
      title: "Unsupported Media Type",
      status: 415,
      detail: expect.stringContaining("application/json") as string,
      errors: [{ path: "header:Content-Type", message: expect.any(String) as string }],
    });
    expect(seen).toEqual([]);
  });

  it("answers 415 for a body sent with no Content-Type at all", async () => {
    const { send } = pipeline();
    expect((await send("POST", json, { "idempotency-key": "k1" })).status).toBe(415);
  });

  it("answers 415 for a PUT and a DELETE with a non-JSON body too", async () => {
    const { send } = pipeline();
    expect((await send("PUT", json, { "content-type": "text/plain" })).status).toBe(415);
    expect((await send("DELETE", "x", { "content-type": "text/plain" })).status).toBe(415);
  });

  it.each([
    ["application/json", "application/json"],
    ["a charset of utf-8", "application/json; charset=utf-8"],
    ["a quoted, upper-case charset", 'application/json;charset="UTF-8"'],
    ["upper case", "Application/JSON"],
    ["a +json type", "application/merge-patch+json"],
    ["a +json type with parameters", "application/problem+json; charset=utf-8"],
  ])("lets a JSON body through with %s", async (_case, contentType) => {
    const { send, seen } = pipeline();
    const response = await send("POST", json, { "content-type": contentType, "idempotency-key": "k1" });
    expect(response.status).toBe(200);
    expect(seen).toEqual([json]);
  });

  it("needs no Content-Type when there is no body", async () => {
    const { send, seen } = pipeline();
    expect((await send("GET", undefined)).status).toBe(200);
    expect((await send("DELETE", undefined)).status).toBe(200);
    expect((await send("POST", undefined, { "idempotency-key": "k2" })).status).toBe(200);
    expect(seen).toEqual(["", "", ""]);
  });

  it("answers 415 before the Idempotency-Key is consumed, so the same key can be retried as JSON", async () => {
    const { send, begun, seen } = pipeline();
    const refused = await send("POST", json, { "content-type": "text/plain", "idempotency-key": "k1" });
    expect(refused.status).toBe(415);
    expect(begun).toEqual([]);
    const retried = await send("POST", json, { "content-type": "application/json", "idempotency-key": "k1" });
    expect(retried.status).toBe(200);
    expect(retried.headers).not.toHaveProperty("idempotent-replayed");
    expect(seen).toEqual([json]);
  });

  it("authenticates first: an unauthenticated non-JSON body is a 401, not a 415", async () => {
    const { send } = pipeline();
    const response = await send("POST", json, {
      authorization: "ApiKey wrong",
      "content-type": "text/plain",
    });
    expect(response.status).toBe(401);
  });
});

describe("partnerEndpoint: limits", () => {
  it("answers 413 for a body over MAX_REQUEST_BYTES, declared or not, and takes one at the limit", async () => {
    const { send, seen } = pipeline({ maxRequestBytes: 1024 });
    const at = JSON.stringify({ text: "x".repeat(1024 - 11) });
    expect(Buffer.byteLength(at)).toBe(1024);
    const ok = await send("PUT", at, { "content-type": "application/json" });
    expect(ok.status).toBe(200);
    const over = JSON.stringify({ text: "é".repeat(510) }); // 1,031 bytes in UTF-8, fewer characters
    const declared: Record<string, string>[] = [{}, { "content-length": String(Buffer.byteLength(over)) }];
    for (const headers of declared) {
      const response = await send("PUT", over, { "content-type": "application/json", ...headers });
      expect(response.status).toBe(413);
      expect(response.jsonBody).toMatchObject({
        status: 413,
        detail: expect.stringContaining("1024 bytes") as string,
      });
    }
    expect(seen).toEqual([at]);
  });

  it("answers 429 with Retry-After once a partner's burst is spent, for that partner only", async () => {
    let now = Date.parse("2026-11-02T09:00:00.000Z");
    const rateLimiter = createRateLimiter({ rate: { perSecond: 0.5, burst: 3 }, clock: () => new Date(now) });
    const { send } = pipeline({ rateLimiter });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send("GET", undefined)).status ?? 0);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await send("GET", undefined);
    expect(refused.headers).toMatchObject({ "content-type": "application/problem+json", "retry-after": "2" });
    expect(refused.jsonBody).toMatchObject({ status: 429, title: "Too many requests" });

    const other = await send("GET", undefined, { authorization: `ApiKey ${otherApiKey}` });
    expect(other.status).toBe(200);

    now += 2_000; // one request's worth of budget at 0.5 a second
    expect((await send("GET", undefined)).status).toBe(200);
    expect((await send("GET", undefined)).status).toBe(429);
  });

  it("refuses an unauthenticated caller with 401 without spending any partner's budget", async () => {
    const rateLimiter = createRateLimiter({ rate: { perSecond: 1, burst: 1 }, clock: () => new Date(0) });
    const { send } = pipeline({ rateLimiter });
    expect((await send("GET", undefined, { authorization: "ApiKey nope" })).status).toBe(401);
    expect((await send("GET", undefined)).status).toBe(200);
  });
});

describe("parseBody: keys that reach a prototype", () => {
  const map = z.object({ scores: z.record(z.string(), z.unknown()) }).strict();

  it("refuses __proto__, constructor and prototype at any depth, naming each, even where a map takes any key", () => {
    const body = '{"scores":{"a":1,"__proto__":{"polluted":true},"b":{"constructor":{"prototype":{}}}}}';
    let refused: unknown;
    try {
      parseBody(map, body);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      "scores.__proto__",
      "scores.b.constructor",
    ]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("walks a body nested ten thousand deep without overflowing, and keeps ordinary keys", () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    expect(() => parseBody(map, deep)).toThrow(ValidationError);
    expect(parseBody(map, '{"scores":{"proto":1,"constructors":2}}')).toEqual({
      scores: { proto: 1, constructors: 2 },
    });
  });
});
