import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { problem } from "../../src/http/problem";
import { getPorts } from "../composition";

export const dashboardName = "dashboard";

/** The built dashboard (`npm run build`: dashboard/ → dist/dashboard), beside this file's build output. */
const root = resolve(__dirname, "../../dashboard");

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/**
 * The dashboard's Content-Security-Policy: only its own files run and style it; it talks to its own
 * origin (the API) and, when Entra ID sign-in is configured (ENTRA_DASHBOARD_CLIENT_ID), to the
 * authority's origin; it cannot
 * be framed, post forms elsewhere or load plugins.
 */
export function contentSecurityPolicy(authorityOrigin: string | undefined): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${authorityOrigin ? ` ${authorityOrigin}` : ""}`,
    // MSAL renews a token in a hidden frame when its refresh token cannot.
    ...(authorityOrigin ? [`frame-src ${authorityOrigin}`] : []),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Every path outside `/api`: `/assets/*` are the build's hashed files (cached for a year); any
 * other path without a file extension is a dashboard page, answered with index.html (the pages
 * route in the browser); anything else is a 404. Before `npm run build` has built the dashboard,
 * a page answers 503 saying so.
 */
export async function dashboardHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const path = request.params["path"] ?? "";
  const signIn = getPorts().settings.entraId?.dashboard;
  const headers = {
    "content-security-policy": contentSecurityPolicy(signIn ? new URL(signIn.authority).origin : undefined),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
  const refuse = (status: 404 | 503, title: string, detail: string): HttpResponseInit => {
    const answer = problem(status, title, detail);
    return { ...answer, headers: { ...(answer.headers as Record<string, string>), ...headers } };
  };
  const isAsset = path.startsWith("assets/");
  if (!isAsset && extname(path) !== "") return refuse(404, "Not found", `no file ${path.slice(0, 200)}`);
  const file = isAsset ? safeJoin(path) : join(root, "index.html");
  if (!file) return refuse(404, "Not found", "no such file");
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (isAsset) return refuse(404, "Not found", `no file ${path.slice(0, 200)}`);
    return refuse(503, "Dashboard not built", "run `npm run build` to build the dashboard");
  }
  return {
    status: 200,
    headers: {
      ...headers,
      "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
      "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache",
    },
    body: request.method === "HEAD" ? undefined : body,
  };
}

/** The file under the dashboard's root, or undefined when the path would leave it. */
function safeJoin(path: string): string | undefined {
  const file = normalize(join(root, path));
  return file.startsWith(root + sep) ? file : undefined;
}

app.http(dashboardName, {
  route: "{*path}",
  methods: ["GET", "HEAD"],
  authLevel: "anonymous",
  handler: dashboardHandler,
});
