import { HttpRequest, InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createHealthHandler } from "../../../functions/http/health";
import { connectionStringFor } from "devhost";
import { createStore } from "../../../src/store/store";
import { testStore } from "../../support/storage";

const request = () => new HttpRequest({ method: "GET", url: "http://localhost:7071/api/health" });
const context = () => new InvocationContext({ functionName: "health" });

describe("GET /api/health", () => {
  it("answers 200 when storage is reachable", async () => {
    const store = testStore();
    const response = await createHealthHandler(() => store)(request(), context());
    expect(response).toMatchObject({ status: 200, jsonBody: { status: "ok", checks: { storage: "ok" } } });
  });

  it("answers 503, without internals, when storage is down", async () => {
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    const down = createStore(connectionStringFor({ blob: 9, queue: 9, table: 9 }));
    const response = await createHealthHandler(() => down)(request(), context());
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).not.toMatch(/ECONNREFUSED|at \w+ \(/);
  });

  it("answers 503 when the settings are missing", async () => {
    const response = await createHealthHandler(() => {
      throw new Error("AzureWebJobsStorage: must be the storage connection string");
    })(request(), context());
    expect(response.status).toBe(503);
  });
});
