import { describe, expect, it } from "vitest";
import {
  compareRoutePrecedence,
  matchRouteTemplate,
  parseRouteTemplate,
  routeTemplateText,
  RouteTable,
} from "../../src/http/routes";
import { FunctionRegistry } from "../../src/registry";

const match = (template: string, path: string) => matchRouteTemplate(parseRouteTemplate(template), path);

describe("route templates: literals and parameters", () => {
  it.each([
    ["api/items", "/api/items", {}],
    ["api/items", "/API/Items", {}],
    ["api/items", "/api/items/", {}],
    ["api/items", "/api/items/x", undefined],
    ["api/items", "/api/item", undefined],
    ["api/items/{id}", "/api/items/42", { id: "42" }],
    ["api/items/{id}", "/api/items", undefined],
    ["api/items/{id}", "/api/items//", undefined],
    ["api/items/{id}", "/api/items/a%20b", { id: "a b" }],
    ["api/items/{id}", "/api/items/a%2Fb", { id: "a%2Fb" }],
    ["api/{a}/x/{b}", "/api/1/X/2", { a: "1", b: "2" }],
    ["api/{{literal}}", "/api/%7Bliteral%7D", {}],
    ["/api/leading", "/api/leading", {}],
    ["~/api/tilde", "/api/tilde", {}],
  ])("%s on %s → %j", (template, path, expected) => {
    expect(match(template, path)).toEqual(expected);
  });
});

describe("route constraints", () => {
  it.each([
    ["{v:int}", ["42", "-7", "+3", "2147483647"], ["abc", "4.2", "2147483648", "1e3"]],
    ["{v:long}", ["9223372036854775807", "-1"], ["9223372036854775808", "x"]],
    ["{v:alpha}", ["abcXYZ"], ["abc1", "a-b"]],
    [
      "{v:guid}",
      [
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "0F8FAD5BD9CB469FA16570867728950E",
        "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "(0f8fad5b-d9cb-469f-a165-70867728950e)",
      ],
      ["not-a-guid", "0f8fad5b-d9cb-469f-a165-70867728950"],
    ],
    ["{v:bool}", ["true", "False"], ["yes", "1"]],
    ["{v:double}", ["1.5", "-2e10", "1,000.5", ".5", "NaN", "Infinity"], ["abc", "1.2.3", "e5"]],
    ["{v:float}", ["3.25"], ["three"]],
    ["{v:decimal}", ["1.5", "-3"], ["1e5"]],
    ["{v:datetime}", ["2024-05-01", "2024-05-01T10:00:00Z"], ["tomorrow"]],
    ["{v:minlength(3)}", ["abc", "abcd"], ["ab"]],
    ["{v:maxlength(3)}", ["abc", "a"], ["abcd"]],
    ["{v:length(2,5)}", ["ab", "abcde"], ["a", "abcdef"]],
    ["{v:length(3)}", ["abc"], ["ab", "abcd"]],
    ["{v:min(1)}", ["1", "999"], ["0", "-1", "x"]],
    ["{v:max(9)}", ["9", "-5"], ["10", "x"]],
    ["{v:range(1,9)}", ["1", "5", "9"], ["0", "10", "x"]],
    ["{v:regex(^a+$)}", ["aaa", "AAA"], ["ab", "b"]],
    ["{v:regex(\\d{{3}})}", ["123", "x123y"], ["12"]],
    ["{v:regex(^(a|b)-c$)}", ["a-c", "b-c"], ["c-c"]],
    ["{v:regex(^a:b$)}", ["a:b"], ["a-b"]],
    ["{v:int:min(10)}", ["10", "11"], ["9", "ten"]],
    ["{v:required}", ["x"], []],
  ])("%s", (parameter, accepted, rejected) => {
    const template = parseRouteTemplate(`api/${parameter}`);
    for (const value of accepted)
      expect(matchRouteTemplate(template, `/api/${value}`), value).toEqual({ v: value });
    for (const value of rejected)
      expect(matchRouteTemplate(template, `/api/${value}`), value).toBeUndefined();
  });
});

describe("optional, default and catch-all parameters", () => {
  it.each([
    ["api/files/{name?}", "/api/files", {}],
    ["api/files/{name?}", "/api/files/", {}],
    ["api/files/{name?}", "/api/files/a.txt", { name: "a.txt" }],
    ["api/files/{name?}", "/api/files/a/b", undefined],
    ["api/x/{id:int?}", "/api/x", {}],
    ["api/x/{id:int?}", "/api/x/5", { id: "5" }],
    ["api/x/{id:int?}", "/api/x/a", undefined],
    ["api/page/{n:int=1}", "/api/page", { n: "1" }],
    ["api/page/{n:int=1}", "/api/page/3", { n: "3" }],
    ["api/{a?}/{b?}", "/api", {}],
    ["api/{a?}/{b?}", "/api/1/2", { a: "1", b: "2" }],
    ["api/{a?}/end", "/api/x/end", { a: "x" }],
    ["api/{a?}/end", "/api/end", undefined],
    ["api/assets/{*path}", "/api/assets/a/b/c.txt", { path: "a/b/c.txt" }],
    ["api/assets/{*path}", "/api/assets/a/b/", { path: "a/b/" }],
    ["api/assets/{*path}", "/api/assets", {}],
    ["api/assets/{*path}", "/api/assets/", {}],
    ["api/assets/{**path}", "/api/assets/a%2Fb/c", { path: "a%2Fb/c" }],
    ["api/assets/{*path=index.html}", "/api/assets", { path: "index.html" }],
    ["api/assets/{*path:minlength(3)}", "/api/assets/ab", undefined],
  ])("%s on %s → %j", (template, path, expected) => {
    expect(match(template, path)).toEqual(expected);
  });
});

describe("complex segments", () => {
  it.each([
    ["api/files/{name}.{ext}", "/api/files/a.b.txt", { name: "a.b", ext: "txt" }],
    ["api/files/{name}.{ext}", "/api/files/readme", undefined],
    ["api/dl/{name}.{ext?}", "/api/dl/report.pdf", { name: "report", ext: "pdf" }],
    ["api/dl/{name}.{ext?}", "/api/dl/report", { name: "report" }],
    ["api/v{version:int}/items", "/api/V2/items", { version: "2" }],
    ["api/v{version:int}/items", "/api/vx/items", undefined],
    ["api/{a}-{b}-{c}", "/api/1-2-3-4", { a: "1-2", b: "3", c: "4" }],
  ])("%s on %s → %j", (template, path, expected) => {
    expect(match(template, path)).toEqual(expected);
  });
});

describe("templates ASP.NET rejects at startup", () => {
  it.each([
    ["api/{id", /closing "}"/],
    ["api/id}", /unmatched "}"/],
    ["api/{a}{b}", /two consecutive parameters/],
    ["api/{*rest}/more", /catch-all parameter can only be the last segment/],
    ["api/x{*rest}", /catch-all parameter must be a whole segment/],
    ["api/{*rest?}", /cannot be marked optional/],
    ["api/{id:unknown}", /unknown route constraint "unknown"/],
    ["api/{id:min(x)}", /not a valid number/],
    ["api/{id:length(1,2,3)}", /takes 1 or 2 argument/],
    ["api/{x=1?}", /cannot have a default value/],
    ["api//x", /consecutively/],
    ["api/{id}/{ID}", /appears more than once/],
    ["api/{a}-{b?}", /only a period/],
    ["api/{a?}.{b}", /must end its segment/],
    ["api/a?b", /"\?" is only allowed/],
    ["api/{}", /invalid parameter name/],
    // As in ASP.NET, ")" followed by ":" ends a constraint, so this regex is cut in two.
    ["api/{v:regex(^(a|b):c$)}", /constraint "regex\(\^\(a\|b\)": Invalid regular expression/],
  ])("%s", (template, message) => {
    expect(() => parseRouteTemplate(template)).toThrow(message);
  });
});

describe("routeTemplateText", () => {
  it.each([
    ["api", undefined, "hello", "api/hello"],
    ["api", "", "hello", "api/hello"],
    ["api", "items/{id}", "hello", "api/items/{id}"],
    ["api", "/items", "hello", "api/items"],
    ["", "items", "hello", "items"],
    ["", undefined, "hello", "hello"],
    ["/v1/", "items", "hello", "v1/items"],
    ["api/v2", "items", "hello", "api/v2/items"],
  ])("prefix %j, route %j, function %s → %s", (prefix, route, name, expected) => {
    expect(routeTemplateText(prefix, route, name)).toBe(expected);
  });
});

describe("compareRoutePrecedence (the host's WebJobsRouteBuilder order)", () => {
  it("puts literals before constrained parameters before plain ones, longer before shorter", () => {
    const templates = [
      "api/{*rest}",
      "api/items/{id}",
      "api/items",
      "api/items/{id:int:min(1)}",
      "api/items/{id:int}",
      "api/items/latest",
      "api/items/archive",
    ];
    const sorted = templates
      .map(parseRouteTemplate)
      .sort(compareRoutePrecedence)
      .map((t) => t.text);
    expect(sorted).toEqual([
      "api/items/archive",
      "api/items/latest",
      "api/items/{id:int:min(1)}",
      "api/items/{id:int}",
      "api/items/{id}",
      "api/items",
      "api/{*rest}",
    ]);
  });
});

interface HttpFunction {
  name: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
}

function registryOf(functions: HttpFunction[]): FunctionRegistry {
  const registry = new FunctionRegistry();
  for (const { name, ...options } of functions) {
    registry.add(
      {
        name,
        bindings: {
          request: { type: "httpTrigger", direction: "in", ...options },
          $return: { type: "http", direction: "out" },
        },
      },
      () => undefined,
    );
  }
  registry.add(
    { name: "timer", bindings: { t: { type: "timerTrigger", direction: "in", schedule: "* * * * * *" } } },
    () => undefined,
  );
  return registry;
}

describe("RouteTable", () => {
  // Registered in the least helpful order: precedence, not registration, decides.
  const table = RouteTable.fromRegistry(
    registryOf([
      { name: "bySlug", route: "items/{slug}", methods: ["GET"] },
      { name: "byId", route: "items/{id:int}", methods: ["GET"] },
      { name: "latest", route: "items/latest", methods: ["GET"] },
      { name: "rest", route: "items/{*rest}", methods: ["GET"] },
      { name: "createThing", route: "things", methods: ["POST"] },
      { name: "listThings", route: "things", methods: ["GET"] },
      { name: "hello", methods: ["GET", "POST"] },
      { name: "anything", route: "any/{x?}" },
    ]),
    "api",
  );
  const matched = (method: string, path: string) => {
    const found = table.match(method, path);
    return found && { fn: found.fn.name, params: found.params };
  };

  it.each([
    ["GET", "/api/items/latest", { fn: "latest", params: {} }],
    ["GET", "/api/items/5", { fn: "byId", params: { id: "5" } }],
    ["GET", "/api/items/abc", { fn: "bySlug", params: { slug: "abc" } }],
    ["GET", "/api/items/a/b", { fn: "rest", params: { rest: "a/b" } }],
    ["GET", "/api/things", { fn: "listThings", params: {} }],
    ["post", "/api/things", { fn: "createThing", params: {} }],
    ["DELETE", "/api/things", undefined],
    ["DELETE", "/api/items/5", undefined],
    ["GET", "/api/hello", { fn: "hello", params: {} }],
    ["POST", "/api/HELLO/", { fn: "hello", params: {} }],
    ["PATCH", "/api/any", { fn: "anything", params: {} }],
    ["OPTIONS", "/api/any/1", { fn: "anything", params: { x: "1" } }],
    ["GET", "/hello", undefined],
    ["GET", "/api/nothing-here", undefined],
    ["GET", "/api/timer", undefined],
  ])("%s %s → %j", (method, path, expected) => {
    expect(matched(method, path)).toEqual(expected);
  });

  it("honours the route prefix, including none", () => {
    const functions = [{ name: "byId", route: "items/{id:int}" }];
    expect(RouteTable.fromRegistry(registryOf(functions), "").match("GET", "/items/1")?.fn.name).toBe("byId");
    expect(RouteTable.fromRegistry(registryOf(functions), "").match("GET", "/api/items/1")).toBeUndefined();
    expect(
      RouteTable.fromRegistry(registryOf(functions), "api/v2").match("GET", "/api/v2/items/1")?.params,
    ).toEqual({ id: "1" });
  });

  it("reads auth levels and defaults to anonymous", () => {
    const levels = RouteTable.fromRegistry(
      registryOf([{ name: "a", authLevel: "Function" }, { name: "b", authLevel: "admin" }, { name: "c" }]),
      "api",
    ).routes.map((r) => [r.fn.name, r.authLevel]);
    expect(levels).toEqual(
      expect.arrayContaining([
        ["a", "function"],
        ["b", "admin"],
        ["c", "anonymous"],
      ]),
    );
  });

  it("names the function whose route template is invalid", () => {
    expect(() =>
      RouteTable.fromRegistry(registryOf([{ name: "broken", route: "x/{id:nope}" }]), "api"),
    ).toThrow(/function "broken": route "api\/x\/\{id:nope\}": unknown route constraint/);
  });

  it("describes its routes as Core Tools lists them", () => {
    const lines = RouteTable.fromRegistry(
      registryOf([{ name: "hello", methods: ["GET"] }, { name: "any" }]),
      "api",
    ).describe("http://localhost:7071/");
    expect(lines).toEqual([
      "any: [*] http://localhost:7071/api/any",
      "hello: [GET] http://localhost:7071/api/hello",
    ]);
  });
});
