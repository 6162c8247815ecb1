import { describe, expect, it } from "vitest";
import {
  effectiveSetting,
  hostOptions,
  isLoopbackUrl,
  publicBaseUrlFor,
} from "../../../scripts/effectiveSettings";

describe("effectiveSetting: the environment wins over local.settings.json, as on Azure", () => {
  it.each([
    ["only the file", {}, { ADMIN_API_KEY: "from-file" }, "from-file"],
    ["only the environment", { ADMIN_API_KEY: "from-env" }, {}, "from-env"],
    ["both", { ADMIN_API_KEY: "from-env" }, { ADMIN_API_KEY: "from-file" }, "from-env"],
    ["an empty environment value", { ADMIN_API_KEY: "" }, { ADMIN_API_KEY: "from-file" }, ""],
    ["neither", {}, {}, undefined],
  ])("%s", (_case, env, file, expected) => {
    expect(effectiveSetting("ADMIN_API_KEY", env, file)).toBe(expected);
  });
});

describe("hostOptions: what the start script needs from the options passed to the host", () => {
  it.each([
    ["nothing", [], { port: 7071, dataDir: ".data" }],
    ["--port 7072", ["--port", "7072"], { port: 7072, dataDir: ".data" }],
    ["--port=7073", ["--port=7073"], { port: 7073, dataDir: ".data" }],
    [
      "--port 0 (any free port: not known before start)",
      ["--port", "0"],
      { port: undefined, dataDir: ".data" },
    ],
    ["--data", ["--data", "/tmp/demo"], { port: 7071, dataDir: "/tmp/demo" }],
    ["other options", ["--connection", "UseDevelopmentStorage=true"], { port: 7071, dataDir: ".data" }],
  ])("%s", (_case, args, expected) => {
    expect(hostOptions(args)).toEqual(expected);
  });

  it("leaves a port that is not a number to the host, which explains it", () => {
    expect(hostOptions(["--port", "seventy"]).port).toBeUndefined();
  });
});

describe("isLoopbackUrl", () => {
  it.each([
    ["http://127.0.0.1:7071", true],
    ["http://localhost:7071/", true],
    ["http://127.8.0.1", true],
    ["http://[::1]:7071", true],
    ["https://contoso-demo.eu.ngrok.example", false],
    ["https://partner-of-record.azurewebsites.net", false],
    ["not a url", false],
  ])("%s → %s", (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });
});

describe("publicBaseUrlFor: the public URL handed to the host", () => {
  const listening = "http://127.0.0.1:7072";

  it.each([
    [
      "the example's loopback value: the URL the host listens on",
      {},
      { PUBLIC_BASE_URL: "http://127.0.0.1:7071" },
      listening,
    ],
    ["a localhost value: the same", {}, { PUBLIC_BASE_URL: "http://localhost:7071" }, listening],
    ["no value at all: the same", {}, {}, listening],
    [
      "a tunnel URL in local.settings.json: kept",
      {},
      { PUBLIC_BASE_URL: "https://demo.tunnel.example" },
      undefined,
    ],
    [
      "an operator's environment value, even a loopback one: it wins",
      { PUBLIC_BASE_URL: "http://127.0.0.1:9999" },
      { PUBLIC_BASE_URL: "http://127.0.0.1:7071" },
      undefined,
    ],
  ])("%s", (_case, env, file, expected) => {
    expect(publicBaseUrlFor(env, file, listening)).toBe(expected);
  });

  it("hands nothing when the listening URL is not known before start (--port 0)", () => {
    expect(publicBaseUrlFor({}, { PUBLIC_BASE_URL: "http://127.0.0.1:7071" }, undefined)).toBeUndefined();
  });
});
