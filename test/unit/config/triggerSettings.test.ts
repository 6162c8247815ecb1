import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Trigger bindings read `%SETTING%` straight from the app settings, before any of the app's own
 * defaults apply: a setting a trigger names but the local example does not set stops `npm start`
 * (the host cannot bind the function), and one the template does not set stops the app on Azure.
 */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

const bound = [
  ...new Set(
    filesUnder("functions").flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/"%([A-Z0-9_]+)%"/g)].map((m) => m[1] ?? ""),
    ),
  ),
].sort();

describe("settings the triggers bind", () => {
  it("finds the bindings", () => {
    expect(bound).toEqual(
      expect.arrayContaining(["USAGE_POLL_QUEUE", "PAL_VERIFY_QUEUE", "CSP_IMPORT_SCHEDULE"]),
    );
  });

  it("are all set by local.settings.example.json", () => {
    const example = JSON.parse(readFileSync("local.settings.example.json", "utf8")) as {
      Values: Record<string, string>;
    };
    expect(bound.filter((name) => !example.Values[name])).toEqual([]);
  });

  it("are all set by the Bicep template", () => {
    const template = readFileSync("infra/main.bicep", "utf8");
    expect(bound.filter((name) => !template.includes(`name: '${name}'`))).toEqual([]);
  });
});
