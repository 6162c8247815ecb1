import type { LookupAddress } from "node:dns";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DestinationRefusedError,
  guardedLookup,
  registrationLookupMs,
  registrationRefusal,
  type ResolveHost,
} from "../../../src/integrations/webhooks/destinationGuard";

/** A resolver answering from a table: no DNS, no network. */
function fakeDns(table: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (host: string) => {
    asked.push(host);
    const answers = table[host];
    if (!answers) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" }));
    return Promise.resolve(
      answers.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  };
  return Object.assign(resolve, { asked });
}

const dns = fakeDns({
  "hooks.fabrikam.example": ["20.50.1.1", "2606:4700::1111"],
  "internal.fabrikam.example": ["10.0.0.7"],
  "mixed.fabrikam.example": ["20.50.1.1", "127.0.0.1"],
  "mapped.fabrikam.example": ["::ffff:169.254.169.254"],
  "hooks.corp.internal": ["192.168.1.20"],
});

describe("registrationRefusal", () => {
  it.each([
    ["https://internal.fabrikam.example/por", "must not resolve to a private address"],
    ["https://mixed.fabrikam.example/por", "must not resolve to a loopback address"],
    ["https://mapped.fabrikam.example/por", "must not resolve to a link-local address"],
    ["https://127.0.0.1/por", "must not point at a loopback address"],
    ["http://hooks.fabrikam.example/por", "must use https"],
  ])("refuses %s", async (url, reason) => {
    expect(await registrationRefusal(url, [], dns)).toContain(reason);
  });

  it("never shows the address a name resolves to", async () => {
    expect(await registrationRefusal("https://internal.fabrikam.example/por", [], dns)).not.toContain("10.0");
  });

  it("accepts a name whose every address is public, and one that does not resolve (yet)", async () => {
    expect(await registrationRefusal("https://hooks.fabrikam.example/por", [], dns)).toBeUndefined();
    expect(await registrationRefusal("https://new.fabrikam.example/por", [], dns)).toBeUndefined();
  });

  it("does not resolve an allow-listed host, nor an address", async () => {
    const quiet = fakeDns({});
    expect(await registrationRefusal("http://hooks.corp.internal/por", ["hooks.corp.internal"], quiet)).toBe(
      undefined,
    );
    expect(await registrationRefusal("https://20.50.1.1/por", [], quiet)).toBeUndefined();
    expect(quiet.asked).toEqual([]);
  });

  describe("when DNS is slow", () => {
    afterEach(() => vi.useRealTimers());

    it("accepts the name after the lookup time (delivery checks it again)", async () => {
      vi.useFakeTimers();
      const hanging: ResolveHost = () => new Promise(() => undefined);
      const refusal = registrationRefusal("https://slow.fabrikam.example/por", [], hanging);
      await vi.advanceTimersByTimeAsync(registrationLookupMs);
      expect(await refusal).toBeUndefined();
    });
  });
});

describe("guardedLookup", () => {
  type Answer = { err: NodeJS.ErrnoException | null; address: unknown; family?: number };
  const lookUp = (guard: boolean, host: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<Answer>((resolve) =>
      guardedLookup(dns, guard)(host, options, (err, address, family) => resolve({ err, address, family })),
    );

  it("answers every address of a public name, or the first one, as node:net asks", async () => {
    expect(await lookUp(true, "hooks.fabrikam.example", { all: true })).toEqual({
      err: null,
      address: [
        { address: "20.50.1.1", family: 4 },
        { address: "2606:4700::1111", family: 6 },
      ],
      family: undefined,
    });
    expect(await lookUp(true, "hooks.fabrikam.example")).toEqual({
      err: null,
      address: "20.50.1.1",
      family: 4,
    });
    expect(await lookUp(true, "hooks.fabrikam.example", { family: 6 })).toEqual({
      err: null,
      address: "2606:4700::1111",
      family: 6,
    });
  });

  it.each(["internal.fabrikam.example", "mixed.fabrikam.example", "mapped.fabrikam.example"])(
    "fails the connection to %s, whichever of its addresses would be tried",
    async (host) => {
      for (const options of [{ all: true }, {}, { family: 4 }]) {
        const { err } = await lookUp(true, host, options);
        expect(err).toBeInstanceOf(DestinationRefusedError);
        expect(err?.message).toMatch(new RegExp(`^${host} resolves to an? [a-z-]+ address \\(`));
      }
    },
  );

  it("lets an allow-listed name through unguarded, and passes resolver errors on", async () => {
    expect((await lookUp(false, "hooks.corp.internal")).address).toBe("192.168.1.20");
    const unknown = await lookUp(true, "nowhere.fabrikam.example");
    expect(unknown.err).not.toBeInstanceOf(DestinationRefusedError);
    expect(unknown.err?.code).toBe("ENOTFOUND");
  });
});
