import { app, type HttpResponseInit } from "@azure/functions";
import type { EntraIdSettings } from "../../src/config/settings";
import { getPorts } from "../composition";

/**
 * `GET /api/v1/sign-in`, anonymous: how the dashboard may sign a partner in: an API key always,
 * and Entra ID with MSAL when the dashboard's app registration is configured. Public facts only
 * (a client ID and an authority are not secrets).
 */
export function signInOptions(entraId: EntraIdSettings | undefined): HttpResponseInit {
  const dashboard = entraId?.dashboard;
  return {
    status: 200,
    headers: { "cache-control": "no-store" },
    jsonBody: {
      apiKey: true,
      entra: dashboard
        ? { clientId: dashboard.clientId, authority: dashboard.authority, scopes: dashboard.scopes }
        : null,
    },
  };
}

app.http("signInOptions", {
  route: "api/v1/sign-in",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: () => Promise.resolve(signInOptions(getPorts().settings.entraId)),
});
