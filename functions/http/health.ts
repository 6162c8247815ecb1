import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";

export const healthName = "health";

/**
 * `GET /api/health`, anonymous: 200 when the app can reach its storage, 503 when it cannot (the
 * failing dependency named, never a stack trace). Load balancers and operators poll it.
 */
export function createHealthHandler(getStore: () => Store) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      // Lists at most one table: cheap, needs no table to exist, fails fast when storage is down.
      await getStore().tables.service({ maxRetries: 0 }).listTables().byPage({ maxPageSize: 1 }).next();
      return { status: 200, jsonBody: { status: "ok", checks: { storage: "ok" } } };
    } catch (err) {
      context.warn(`health: storage unreachable: ${err instanceof Error ? err.message : String(err)}`);
      return {
        status: 503,
        headers: { "retry-after": "5" },
        jsonBody: { status: "unavailable", checks: { storage: "unreachable" } },
      };
    }
  };
}

app.http(healthName, {
  route: "api/health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: createHealthHandler(() => getPorts().store),
});
