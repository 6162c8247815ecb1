import { app } from "@azure/functions";
import { openApiDocument } from "../../../src/http/openApi";
import { getPorts } from "../../composition";
import { createPartnerInput } from "./admin";

/**
 * `GET /api/v1/openapi.json` (anonymous): the API's OpenAPI 3.1 document, generated from the zod
 * schemas. Built once per process: it depends only on the code and the public base URL.
 */
let served: { serverUrl: string; document: ReturnType<typeof openApiDocument> } | undefined;

function documentFor(serverUrl: string) {
  if (served?.serverUrl !== serverUrl)
    served = { serverUrl, document: openApiDocument(serverUrl, { createPartnerInput }) };
  return served.document;
}

app.http("openApi", {
  route: "api/v1/openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: () => Promise.resolve({ status: 200, jsonBody: documentFor(getPorts().settings.publicBaseUrl) }),
});
