import { describe, expect, it } from "vitest";
import { defaultMaxOldSpaceMb, hostNodeArguments } from "../../src/nodeArguments";

describe("hostNodeArguments", () => {
  it("caps the old space at the default when nothing is configured", () => {
    expect(hostNodeArguments(undefined)).toEqual([`--max-old-space-size=${defaultMaxOldSpaceMb}`]);
    expect(hostNodeArguments(" ")).toEqual([`--max-old-space-size=${defaultMaxOldSpaceMb}`]);
  });

  it("takes the configured number of megabytes", () => {
    expect(hostNodeArguments("1024")).toEqual(["--max-old-space-size=1024"]);
  });

  it("refuses a value that is not a whole number of at least 64 megabytes, naming the setting", () => {
    for (const bad of ["lots", "12.5", "32", "-1"])
      expect(() => hostNodeArguments(bad)).toThrow(/DEVHOST_MAX_OLD_SPACE_MB/);
  });
});
