import { app, type HttpMethod, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { problem } from "../../src/http/problem";

export const notFoundName = "notFound";

/** Every method: a route whose methods exclude the request's falls through to this one. */
const everyMethod: HttpMethod[] = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
];

/**
 * `/api/{*path}`, anonymous: what no other function serves answers a problem+json 404 naming the
 * method and path, not the host's bare 404. The Functions host orders routes as ASP.NET does (a
 * literal segment beats a parameter, a catch-all comes last), so this route loses to every other.
 */
export function notFoundHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const path = new URL(request.url).pathname;
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return Promise.resolve(problem(404, "Not found", `no route ${request.method} ${shown}`));
}

app.http(notFoundName, {
  route: "api/{*path}",
  methods: everyMethod,
  authLevel: "anonymous",
  handler: notFoundHandler,
});
