import { describe, expect, it } from "vitest";
import { defaultMaxOldSpaceMb, defaultMaxSemiSpaceMb, hostNodeArguments } from "../../src/nodeArguments";

const settings =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

describe("hostNodeArguments", () => {
  it("sizes the old space and the semi-spaces at their defaults when nothing is configured", () => {
    const defaults = [
      `--max-old-space-size=${defaultMaxOldSpaceMb}`,
      `--max-semi-space-size=${defaultMaxSemiSpaceMb}`,
    ];
    expect(hostNodeArguments(settings({}))).toEqual(defaults);
    expect(
      hostNodeArguments(settings({ DEVHOST_MAX_OLD_SPACE_MB: " ", DEVHOST_MAX_SEMI_SPACE_MB: "" })),
    ).toEqual(defaults);
  });

  it("takes the configured numbers of megabytes", () => {
    expect(
      hostNodeArguments(settings({ DEVHOST_MAX_OLD_SPACE_MB: "1024", DEVHOST_MAX_SEMI_SPACE_MB: "8" })),
    ).toEqual(["--max-old-space-size=1024", "--max-semi-space-size=8"]);
  });

  it("refuses a value that is not a whole number of megabytes within bounds, naming the setting", () => {
    for (const bad of ["lots", "12.5", "32", "-1"])
      expect(() => hostNodeArguments(settings({ DEVHOST_MAX_OLD_SPACE_MB: bad }))).toThrow(
        /DEVHOST_MAX_OLD_SPACE_MB.*at least 64/,
      );
    for (const bad of ["lots", "0.5", "0"])
      expect(() => hostNodeArguments(settings({ DEVHOST_MAX_SEMI_SPACE_MB: bad }))).toThrow(
        /DEVHOST_MAX_SEMI_SPACE_MB.*at least 1/,
      );
  });
});
