import type { FunctionRegistry, RegisteredFunction } from "../registry";

/**
 * HTTP routing as the Functions host does it: ASP.NET Core route templates (`Microsoft.AspNetCore.Routing`
 * `Route`), one route per httpTrigger function, `routePrefix` from host.json in front, ordered by the
 * host's `WebJobsRouteBuilder.RouteComparison`, a route's `methods` acting as a route constraint (a path
 * whose route allows other methods falls through to the next route and finally to 404, never 405).
 */

/** One inline constraint (`int`, `min(1)`, `regex(^a+$)`) and the test ASP.NET applies to the route value. */
export interface RouteConstraint {
  text: string;
  test(value: string): boolean;
}

export interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  /** `{name=value}`; a parameter with a default may be absent from the path. */
  defaultValue: string | undefined;
  constraints: RouteConstraint[];
}

export type RoutePart = { literal: string } | { parameter: RouteParameter };

/** A path segment: one part, or several (`{name}.{ext?}`, `v{version}`) for a "complex" segment. */
export interface RouteSegment {
  parts: RoutePart[];
  /** Complex segments only: anchored matchers, the second without a trailing `.{optional?}`. */
  matchers?: { full: RegExp; withoutOptional?: RegExp };
}

export interface RouteTemplate {
  text: string;
  segments: RouteSegment[];
  parameters: RouteParameter[];
}

export type RouteValues = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Parsing (ASP.NET Core RoutePatternParser / RouteParameterParser semantics)
// ---------------------------------------------------------------------------------------------

/** Parses a template such as `api/items/{id:int}/{*rest}`. Throws on what ASP.NET rejects at startup. */
export function parseRouteTemplate(text: string): RouteTemplate {
  const segments = tokenize(text).map((parts) => compileSegment(text, parts));
  const parameters = segments.flatMap((s) => s.parts.flatMap((p) => ("parameter" in p ? [p.parameter] : [])));
  validateTemplate(text, segments, parameters);
  return { text, segments, parameters };
}

type RawPart = { literal: string } | { parameterText: string };

/** Splits into segments of literal and `{…}` parts; `{{` / `}}` are escaped braces. */
function tokenize(text: string): RawPart[][] {
  const body = text.startsWith("~/") ? text.slice(2) : text.startsWith("/") ? text.slice(1) : text;
  const segments: RawPart[][] = [];
  let parts: RawPart[] = [];
  let literal = "";
  const flushLiteral = () => {
    if (literal !== "") parts.push({ literal });
    literal = "";
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    const next = body[i + 1];
    if (c === "/") {
      flushLiteral();
      if (parts.length === 0)
        throw new Error(`route "${text}": the separator "/" cannot appear consecutively or at the start`);
      segments.push(parts);
      parts = [];
    } else if ((c === "{" || c === "}") && next === c) {
      literal += c;
      i++;
    } else if (c === "{") {
      flushLiteral();
      const { parameterText, end } = readParameter(text, body, i + 1);
      parts.push({ parameterText });
      i = end;
    } else if (c === "}") {
      throw new Error(`route "${text}": unmatched "}" (write "}}" for a literal brace)`);
    } else if (c === "?") {
      throw new Error(`route "${text}": "?" is only allowed at the end of a parameter ({name?})`);
    } else {
      literal += c;
    }
  }
  flushLiteral();
  if (parts.length > 0) segments.push(parts);
  return segments;
}

/** Reads a parameter's text up to its closing brace; returns the index of that brace. */
function readParameter(
  template: string,
  body: string,
  start: number,
): { parameterText: string; end: number } {
  let parameterText = "";
  for (let i = start; i < body.length; i++) {
    const c = body[i] as string;
    if ((c === "{" || c === "}") && body[i + 1] === c) {
      parameterText += c;
      i++;
    } else if (c === "}") {
      return { parameterText, end: i };
    } else if (c === "{") {
      throw new Error(`route "${template}": unescaped "{" inside a parameter`);
    } else {
      parameterText += c;
    }
  }
  throw new Error(`route "${template}": a parameter is missing its closing "}"`);
}

/** `[*|**]name[:constraint[(args)]]…[=default|?]` as ASP.NET's RouteParameterParser reads it. */
function parseParameter(template: string, text: string): RouteParameter {
  let start = 0;
  let end = text.length - 1;
  let catchAll = false;
  let optional = false;
  if (text.startsWith("**")) [catchAll, start] = [true, 2];
  else if (text.startsWith("*")) [catchAll, start] = [true, 1];
  if (text.endsWith("?") && end >= start) [optional, end] = [true, end - 1];

  // A name may start with ":" or "=": only a later one ends it.
  let index = start;
  while (index <= end && !(index > start && (text[index] === ":" || text[index] === "="))) index++;
  const name = text.slice(start, index);
  const { constraints, next } = parseConstraints(text, index, end);
  const defaultValue = next <= end && text[next] === "=" ? text.slice(next + 1, end + 1) : undefined;

  if (name === "" || /[/{}?*]/.test(name))
    throw new Error(`route "${template}": "{${text}}" has an invalid parameter name`);
  if (optional && defaultValue !== undefined)
    throw new Error(`route "${template}": optional parameter "${name}" cannot have a default value`);
  if (catchAll && optional)
    throw new Error(`route "${template}": catch-all parameter "${name}" cannot be marked optional`);
  return {
    name,
    optional,
    catchAll,
    defaultValue,
    constraints: constraints.map((c) => resolveConstraint(template, c)),
  };
}

/**
 * Constraint texts from `index` (at ":" or "="). A ")" closes a constraint's arguments only when the
 * next character is ":", "=" or the end, so regex arguments may contain parentheses and colons.
 */
function parseConstraints(text: string, index: number, end: number): { constraints: string[]; next: number } {
  const constraints: string[] = [];
  let i = index;
  while (i <= end && text[i] === ":") {
    let j = i + 1;
    while (j <= end && text[j] !== ":" && text[j] !== "=" && text[j] !== "(") j++;
    if (j <= end && text[j] === "(") j = closingParenthesis(text, j, end);
    const constraint = text.slice(i + 1, j);
    if (constraint !== "") constraints.push(constraint);
    i = j;
  }
  return { constraints, next: i };
}

/** Index just past the ")" that ends an argument list starting at `open`, or `end + 1` if unclosed. */
function closingParenthesis(text: string, open: number, end: number): number {
  for (let k = open + 1; k <= end; k++) {
    if (text[k] !== ")") continue;
    const after = text[k + 1];
    if (k === end || after === ":" || after === "=") return k + 1;
  }
  return end + 1;
}

function compileSegment(template: string, raw: RawPart[]): RouteSegment {
  const parts: RoutePart[] = raw.map((p) =>
    "literal" in p ? { literal: p.literal } : { parameter: parseParameter(template, p.parameterText) },
  );
  if (parts.length === 1) return { parts };
  for (let i = 1; i < parts.length; i++) {
    if ("parameter" in (parts[i - 1] as RoutePart) && "parameter" in (parts[i] as RoutePart))
      throw new Error(`route "${template}": a segment cannot contain two consecutive parameters`);
  }
  return { parts, matchers: complexSegmentMatchers(template, parts) };
}

/**
 * Complex segments match as ASP.NET does (right to left, each literal at its last occurrence), which
 * greedy captures reproduce. A trailing optional parameter must follow a literal "." (`{file}.{ext?}`):
 * the whole segment is tried first, then the segment without ".{ext}".
 */
function complexSegmentMatchers(
  template: string,
  parts: RoutePart[],
): { full: RegExp; withoutOptional?: RegExp } {
  const last = parts[parts.length - 1] as RoutePart;
  parts.forEach((part, i) => {
    if (!("parameter" in part)) return;
    if (part.parameter.catchAll)
      throw new Error(`route "${template}": a catch-all parameter must be a whole segment`);
    if (part.parameter.optional && i !== parts.length - 1)
      throw new Error(
        `route "${template}": optional parameter "${part.parameter.name}" must end its segment`,
      );
  });
  const toRegExp = (list: RoutePart[]) =>
    new RegExp(`^${list.map((p) => ("literal" in p ? escapeRegExp(p.literal) : "(.+)")).join("")}$`, "is");
  if (!("parameter" in last) || !last.parameter.optional) return { full: toRegExp(parts) };
  const separator = parts[parts.length - 2];
  if (!separator || !("literal" in separator) || separator.literal !== ".")
    throw new Error(
      `route "${template}": only a period (.) can precede the optional parameter "${last.parameter.name}"`,
    );
  return { full: toRegExp(parts), withoutOptional: toRegExp(parts.slice(0, -2)) };
}

function validateTemplate(text: string, segments: RouteSegment[], parameters: RouteParameter[]): void {
  const seen = new Set<string>();
  for (const p of parameters) {
    const key = p.name.toLowerCase();
    if (seen.has(key)) throw new Error(`route "${text}": parameter "${p.name}" appears more than once`);
    seen.add(key);
  }
  segments.forEach((segment, i) => {
    const catchAll = segment.parts.some((p) => "parameter" in p && p.parameter.catchAll);
    if (catchAll && i !== segments.length - 1)
      throw new Error(`route "${text}": a catch-all parameter can only be the last segment`);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// Constraints (ASP.NET Core's default inline constraint map)
// ---------------------------------------------------------------------------------------------

/** .NET's `char.IsWhiteSpace` for the ASCII range, which NumberStyles.Integer/Float allow around numbers. */
const ws = "[\\t-\\r ]*";
const integerPattern = new RegExp(`^${ws}([+-]?\\d+)${ws}$`);
const floatPattern = new RegExp(
  `^${ws}[+-]?(?:(?:\\d[\\d,]*)(?:\\.\\d*)?|\\.\\d+)(?:e[+-]?\\d+)?${ws}$|^${ws}[+-]?(?:nan|infinity|∞)${ws}$`,
  "i",
);
const decimalPattern = new RegExp(`^${ws}[+-]?(?:(?:\\d[\\d,]*)(?:\\.\\d*)?|\\.\\d+)[+-]?${ws}$`);
const hex = (n: number) => `[0-9a-f]{${n}}`;
const guidD = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
const guidX = `\\{0x[0-9a-f]{1,8},0x[0-9a-f]{1,4},0x[0-9a-f]{1,4},\\{(?:0x[0-9a-f]{1,2},){7}0x[0-9a-f]{1,2}\\}\\}`;
const guidPattern = new RegExp(
  `^${ws}(?:${hex(32)}|${guidD}|\\{${guidD}\\}|\\(${guidD}\\)|${guidX})${ws}$`,
  "i",
);

const int32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const int64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** `int.TryParse` / `long.TryParse` with NumberStyles.Integer and the invariant culture. */
function parseInteger(value: string, range: { min: bigint; max: bigint }): bigint | undefined {
  const digits = integerPattern.exec(value)?.[1];
  if (digits === undefined) return undefined;
  const n = BigInt(digits);
  return n >= range.min && n <= range.max ? n : undefined;
}

type ConstraintFactory = (args: string[], template: string) => (value: string) => boolean;

const constraintFactories: Record<string, { arity: number[]; create: ConstraintFactory }> = {
  int: { arity: [0], create: () => (v) => parseInteger(v, int32) !== undefined },
  long: { arity: [0], create: () => (v) => parseInteger(v, int64) !== undefined },
  bool: { arity: [0], create: () => (v) => /^[\t-\r \0]*(?:true|false)[\t-\r \0]*$/i.test(v) },
  double: { arity: [0], create: () => (v) => floatPattern.test(v) },
  float: { arity: [0], create: () => (v) => floatPattern.test(v) },
  decimal: { arity: [0], create: () => (v) => decimalPattern.test(v) },
  guid: { arity: [0], create: () => (v) => guidPattern.test(v) },
  datetime: { arity: [0], create: () => (v) => v.trim() !== "" && !Number.isNaN(Date.parse(v)) },
  alpha: { arity: [0], create: () => (v) => /^[a-z]*$/i.test(v) },
  required: { arity: [0], create: () => (v) => v !== "" },
  minlength: {
    arity: [1],
    create:
      ([min], t) =>
      (v) =>
        v.length >= intArg(min, t),
  },
  maxlength: {
    arity: [1],
    create:
      ([max], t) =>
      (v) =>
        v.length <= intArg(max, t),
  },
  length: {
    arity: [1, 2],
    create: ([a, b], t) => {
      const [min, max] = b === undefined ? [intArg(a, t), intArg(a, t)] : [intArg(a, t), intArg(b, t)];
      return (v) => v.length >= min && v.length <= max;
    },
  },
  min: {
    arity: [1],
    create: ([min], t) => {
      const bound = longArg(min, t);
      return longTest((n) => n >= bound);
    },
  },
  max: {
    arity: [1],
    create: ([max], t) => {
      const bound = longArg(max, t);
      return longTest((n) => n <= bound);
    },
  },
  range: {
    arity: [2],
    create: ([min, max], t) => {
      const [low, high] = [longArg(min, t), longArg(max, t)];
      return longTest((n) => n >= low && n <= high);
    },
  },
};

function intArg(text: string | undefined, template: string): number {
  const n = parseInteger(text ?? "", int32);
  if (n === undefined || n < 0n)
    throw new Error(`route "${template}": "${text}" is not a valid length for a route constraint`);
  return Number(n);
}

function longArg(text: string | undefined, template: string): bigint {
  const n = parseInteger(text ?? "", int64);
  if (n === undefined)
    throw new Error(`route "${template}": "${text}" is not a valid number for a route constraint`);
  return n;
}

/** `min`/`max`/`range` parse the value as a long first (a non-number never matches). */
function longTest(test: (n: bigint) => boolean): (value: string) => boolean {
  return (v) => {
    const n = parseInteger(v, int64);
    return n !== undefined && test(n);
  };
}

/** Resolves `name` or `name(args)`; unknown names fail at startup, as ASP.NET's resolver does. */
function resolveConstraint(template: string, text: string): RouteConstraint {
  const open = text.indexOf("(");
  const name = (open === -1 ? text : text.slice(0, open)).toLowerCase();
  const argText = open === -1 ? undefined : text.slice(open + 1, text.endsWith(")") ? -1 : undefined);
  if (name === "regex") {
    // RegexRouteConstraint: IgnoreCase | CultureInvariant, unanchored unless the pattern anchors itself.
    let regex: RegExp;
    try {
      regex = new RegExp(argText ?? "", "i");
    } catch (err) {
      throw new Error(`route "${template}": constraint "${text}": ${(err as Error).message}`, { cause: err });
    }
    return { text, test: (v) => regex.test(v) };
  }
  const factory = constraintFactories[name];
  if (!factory) throw new Error(`route "${template}": unknown route constraint "${text}"`);
  const args = argText === undefined ? [] : argText.split(",").map((a) => a.trim());
  if (!factory.arity.includes(args.length))
    throw new Error(
      `route "${template}": constraint "${text}" takes ${factory.arity.join(" or ")} argument(s)`,
    );
  return { text, test: factory.create(args, template) };
}

// ---------------------------------------------------------------------------------------------
// Matching (ASP.NET Core RoutePatternMatcher semantics)
// ---------------------------------------------------------------------------------------------

/**
 * Matches a URL path (still percent-encoded, as in `URL.pathname`) against a template. Segments are
 * decoded as Kestrel decodes `Request.Path` (everything but `%2F`); literals compare case-insensitively;
 * one trailing slash is ignored. Returns the route values (absent optional parameters are left out).
 */
export function matchRouteTemplate(template: RouteTemplate, pathname: string): RouteValues | undefined {
  return matchPath(template, splitRequestPath(pathname));
}

/** A request path cut into its decoded segments once, for trying it against every route. */
interface RequestPath {
  pieces: string[];
  /** Without the empty segment a trailing "/" leaves. */
  segments: string[];
}

function splitRequestPath(pathname: string): RequestPath {
  const pieces = splitPath(pathname);
  const segments = pieces.length > 0 && pieces[pieces.length - 1] === "" ? pieces.slice(0, -1) : pieces;
  return { pieces, segments };
}

function matchPath(template: RouteTemplate, { pieces, segments }: RequestPath): RouteValues | undefined {
  const values: RouteValues = {};
  let consumedAll = false;
  for (const [i, segment] of template.segments.entries()) {
    const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
    if (only && "parameter" in only && only.parameter.catchAll) {
      setValue(values, only.parameter, pieces.slice(i).join("/"));
      consumedAll = true;
      break;
    }
    const text = segments[i];
    if (text === undefined) {
      if (!only || !("parameter" in only) || !isOmittable(only.parameter)) return undefined;
      setValue(values, only.parameter, "");
      continue;
    }
    if (!matchSegment(segment, text, values)) return undefined;
  }
  if (!consumedAll && segments.length > template.segments.length) return undefined;
  return satisfiesConstraints(template, values) ? values : undefined;
}

function splitPath(pathname: string): string[] {
  const trimmed = pathname.startsWith("/") ? pathname.slice(1) : pathname;
  return trimmed === "" ? [] : trimmed.split("/").map(decodeSegment);
}

/** Kestrel leaves `%2F` encoded in `Request.Path` so it cannot split a segment. */
function decodeSegment(raw: string): string {
  return raw
    .split(/%2F/i)
    .map((piece) => {
      try {
        return decodeURIComponent(piece);
      } catch {
        return piece;
      }
    })
    .join("%2F");
}

function isOmittable(p: RouteParameter): boolean {
  return p.optional || p.defaultValue !== undefined || p.catchAll;
}

/** An empty value leaves an optional parameter out and gives a defaulted one its default. */
function setValue(values: RouteValues, p: RouteParameter, value: string): void {
  if (value !== "") values[p.name] = value;
  else if (p.defaultValue !== undefined) values[p.name] = p.defaultValue;
}

function matchSegment(segment: RouteSegment, text: string, values: RouteValues): boolean {
  const only = segment.parts[0] as RoutePart;
  if (!segment.matchers) {
    if ("literal" in only) return equalsIgnoreCase(only.literal, text);
    if (text === "" && !isOmittable(only.parameter)) return false;
    setValue(values, only.parameter, text);
    return true;
  }
  const { full, withoutOptional } = segment.matchers;
  const found = full.exec(text) ?? withoutOptional?.exec(text);
  if (!found) return false;
  const parameters = segment.parts.flatMap((p) => ("parameter" in p ? [p.parameter] : []));
  parameters.forEach((p, k) => {
    const value = found[k + 1];
    if (value !== undefined) values[p.name] = value;
  });
  return true;
}

/** Constraints apply to every value present, defaults included; absent optional values skip them. */
function satisfiesConstraints(template: RouteTemplate, values: RouteValues): boolean {
  return template.parameters.every((p) => {
    const value = values[p.name];
    return value === undefined || p.constraints.every((c) => c.test(value));
  });
}

function equalsIgnoreCase(a: string, b: string): boolean {
  return a.length === b.length && a.toUpperCase() === b.toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Precedence and the route table
// ---------------------------------------------------------------------------------------------

/**
 * The Functions host's route order (`WebJobsRouteBuilder.RouteComparison`): segment by segment, a
 * literal beats a parameter, a parameter with more constraints beats one with fewer, literals sort
 * alphabetically (ignoring case); when one template is a prefix of the other, the longer one wins.
 */
export function compareRoutePrecedence(x: RouteTemplate, y: RouteTemplate): number {
  for (const [i, xSegment] of x.segments.entries()) {
    const ySegment = y.segments[i];
    if (!ySegment) return -1;
    const xPart = xSegment.parts[0] as RoutePart;
    const yPart = ySegment.parts[0] as RoutePart;
    if ("literal" in xPart && "parameter" in yPart) return -1;
    if ("parameter" in xPart && "literal" in yPart) return 1;
    if ("parameter" in xPart && "parameter" in yPart) {
      const diff = yPart.parameter.constraints.length - xPart.parameter.constraints.length;
      if (diff !== 0) return Math.sign(diff);
    } else if ("literal" in xPart && "literal" in yPart) {
      const a = xPart.literal.toUpperCase();
      const b = yPart.literal.toUpperCase();
      if (a !== b) return a < b ? -1 : 1;
    }
  }
  return y.segments.length > x.segments.length ? 1 : 0;
}

/** `routePrefix + "/" + (route || functionName)`, as `WebJobsRouteBuilder.BuildRouteTemplate` joins them. */
export function routeTemplateText(
  routePrefix: string,
  route: string | undefined,
  functionName: string,
): string {
  const own = route === undefined || route === "" ? functionName : route.replace(/^~?\//, "");
  const prefix = routePrefix.replace(/^\/+|\/+$/g, "");
  return prefix === "" ? own : `${prefix}/${own}`;
}

export type AuthLevel = "anonymous" | "function" | "admin";

export interface HttpRoute {
  fn: RegisteredFunction;
  template: RouteTemplate;
  /** Upper-case; undefined = every method. */
  methods: string[] | undefined;
  authLevel: AuthLevel;
}

export interface RouteMatch {
  fn: RegisteredFunction;
  params: RouteValues;
  route: HttpRoute;
}

export class RouteTable {
  readonly routes: readonly HttpRoute[];

  /** Routes are tried in precedence order; ties keep registration order. */
  constructor(routes: HttpRoute[]) {
    this.routes = [...routes].sort((a, b) => compareRoutePrecedence(a.template, b.template));
  }

  /** One route per `httpTrigger` function; throws, naming the function, on a template ASP.NET rejects. */
  static fromRegistry(registry: FunctionRegistry, routePrefix: string): RouteTable {
    return new RouteTable(registry.byTrigger("httpTrigger").map((fn) => httpRouteFor(fn, routePrefix)));
  }

  /** The first route whose template and methods both match; undefined → the host answers 404. */
  match(method: string, pathname: string): RouteMatch | undefined {
    const upper = method.toUpperCase();
    const path = splitRequestPath(pathname); // decoded once, not once per route tried
    for (const route of this.routes) {
      if (route.methods && !route.methods.includes(upper)) continue;
      const params = matchPath(route.template, path);
      if (params) return { fn: route.fn, params, route };
    }
    return undefined;
  }

  /** Core Tools' startup listing: `name: [GET,POST] http://host:port/api/route`. */
  describe(baseUrl: string): string[] {
    return this.routes.map(
      (r) =>
        `${r.fn.name}: [${(r.methods ?? ["*"]).join(",")}] ${baseUrl.replace(/\/$/, "")}/${r.template.text}`,
    );
  }
}

function httpRouteFor(fn: RegisteredFunction, routePrefix: string): HttpRoute {
  const binding = fn.trigger.binding;
  const route = typeof binding.route === "string" ? binding.route : undefined;
  const text = routeTemplateText(routePrefix, route, fn.name);
  let template: RouteTemplate;
  try {
    template = parseRouteTemplate(text);
  } catch (err) {
    throw new Error(`function "${fn.name}": ${(err as Error).message}`, { cause: err });
  }
  const methods = Array.isArray(binding.methods)
    ? binding.methods.map((m) => String(m).toUpperCase())
    : undefined;
  return {
    fn,
    template,
    methods: methods?.length ? methods : undefined,
    authLevel: authLevelOf(binding.authLevel),
  };
}

/** The library writes "anonymous" when the app gave none; "system" keys are the master key here. */
function authLevelOf(value: unknown): AuthLevel {
  const level = typeof value === "string" ? value.toLowerCase() : "anonymous";
  if (level === "anonymous" || level === "function" || level === "admin") return level;
  if (level === "system") return "admin";
  throw new Error(`authLevel "${String(value)}" is not one of anonymous, function, admin`);
}
