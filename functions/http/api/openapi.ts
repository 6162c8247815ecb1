import { app } from "@azure/functions";
import { openApiDocument } from "../../../src/http/openApi";
import { getPorts } from "../../composition";

/** `GET /api/v1/openapi.json` (anonymous): the API's OpenAPI 3.1 document, generated from the zod schemas. */
app.http("openApi", {
  route: "v1/openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: () =>
    Promise.resolve({ status: 200, jsonBody: openApiDocument(getPorts().settings.publicBaseUrl) }),
});
