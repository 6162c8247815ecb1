import { describe, expect, it } from "vitest";
import {
  canonicalHost,
  classifyAddress,
  judgeDestination,
  nonPublicAddress,
  webhookAllowedHosts,
} from "../../../src/domain/webhookDestination";

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.10", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["169.254.169.254", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["203.0.113.7", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["fec0::1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["2001:0:4136:e378::1", "reserved"], // Teredo
    ["100::1", "reserved"],
    ["64:ff9b:1::a00:1", "reserved"], // local-use NAT64
    ["4000::1", "reserved"], // outside global unicast
    // IPv4 inside IPv6 is judged as that IPv4 address.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::127.0.0.1", "loopback"],
    ["::7f00:1", "loopback"],
    ["::a9fe:a9fe", "link-local"],
    ["::8.8.8.8", "reserved"], // IPv4-compatible: deprecated, never public
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:7f00:1::", "loopback"], // 6to4 of 127.0.0.1
    ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    "8.8.8.8",
    "20.50.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "169.255.0.1",
    "2606:4700::1111",
    "2a01:111:f100::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("%s is public", (address) => {
    expect(classifyAddress(address)).toBe("public");
  });

  it.each(["hooks.example.com", "localhost", "", "1.2.3.4.5", "256.1.1.1", "::g", "1:2:3:4:5:6:7:8:9"])(
    "%j is not an address",
    (text) => {
      expect(classifyAddress(text)).toBeUndefined();
    },
  );
});

describe("judgeDestination", () => {
  const refusedBecause = (url: string, allowed: string[] = []) => {
    const verdict = judgeDestination(url, allowed);
    return verdict.kind === "refused" ? verdict.reason : `not refused (${verdict.kind})`;
  };

  it.each([
    ["http://hooks.fabrikam.example/por", "must use https"],
    ["http://127.0.0.1:9000/hooks", "must use https"],
    ["ftp://hooks.fabrikam.example/por", "must be an https URL"],
    ["hooks.fabrikam.example/por", "must be an absolute https URL"],
    ["https://user@hooks.fabrikam.example/", "must not carry credentials"],
    ["https://user:pw@hooks.fabrikam.example/", "must not carry credentials"],
    ["https://hooks.fabrikam.example@127.0.0.1/", "must not carry credentials"],
    ["https://127.0.0.1/hooks", "loopback address (127.0.0.1)"],
    ["https://127.0.0.1./hooks", "loopback address (127.0.0.1)"],
    ["https://2130706433/hooks", "loopback address (127.0.0.1)"],
    ["https://0x7f.1/hooks", "loopback address (127.0.0.1)"],
    ["https://017700000001/hooks", "loopback address (127.0.0.1)"],
    ["https://0.0.0.0/hooks", "an unspecified address (0.0.0.0)"],
    ["https://0/hooks", "an unspecified address (0.0.0.0)"],
    ["https://169.254.169.254/metadata/instance", "link-local address (169.254.169.254)"],
    ["https://10.1.2.3/hooks", "private address"],
    ["https://100.64.1.1/hooks", "shared (carrier-grade NAT) address"],
    ["https://255.255.255.255/hooks", "the broadcast address"],
    ["https://[::1]/hooks", "loopback address (::1)"],
    ["https://[::]/hooks", "an unspecified address (::)"],
    ["https://[::ffff:7f00:1]/hooks", "loopback address (::ffff:7f00:1)"],
    ["https://[::ffff:127.0.0.1]/hooks", "loopback address (::ffff:7f00:1)"],
    ["https://[::127.0.0.1]/hooks", "loopback address (::7f00:1)"],
    ["https://[64:ff9b::169.254.169.254]/hooks", "link-local address"],
    ["https://[fe80::1]/hooks", "link-local address"],
    ["https://[fd00::1]/hooks", "unique-local address"],
    ["https://[ff02::1]/hooks", "multicast address"],
    ["https://localhost/hooks", "loopback address (localhost)"],
    ["https://LOCALHOST/hooks", "loopback address (localhost)"],
    ["https://localhost./hooks", "loopback address (localhost)"],
    ["https://hooks.localhost/hooks", "loopback address (hooks.localhost)"],
  ])("refuses %s: %s", (url, reason) => {
    expect(refusedBecause(url)).toContain(reason);
  });

  it("leaves a DNS name to the resolver, and connects to a public address as written", () => {
    expect(judgeDestination("https://Hooks.Fabrikam.Example./por?token=1", [])).toEqual({
      kind: "name",
      host: "hooks.fabrikam.example",
    });
    expect(judgeDestination("https://20.50.1.1:8443/por", [])).toEqual({
      kind: "public-address",
      host: "20.50.1.1",
    });
    expect(judgeDestination("https://[2606:4700::1111]/por", [])).toEqual({
      kind: "public-address",
      host: "2606:4700::1111",
    });
  });

  it.each([
    ["http://127.0.0.1:9000/hooks", ["127.0.0.1"]],
    ["https://2130706433/hooks", ["127.0.0.1"]],
    ["http://localhost./hooks", ["localhost"]],
    ["http://LocalHost/hooks", ["localhost"]],
    ["http://[::1]:9000/hooks", ["::1"]],
    ["http://hooks.corp.internal/por", ["hooks.corp.internal"]],
  ])("allows %s when its host is on the allow list %j, over http too", (url, allowed) => {
    expect(judgeDestination(url, allowed).kind).toBe("allow-listed");
  });

  it.each([
    // The allow list names hosts exactly: another spelling of the address is another host.
    ["https://127.0.0.2/hooks", ["127.0.0.1"], "loopback address"],
    ["https://[::ffff:7f00:1]/hooks", ["127.0.0.1"], "loopback address"],
    ["https://localhost/hooks", ["127.0.0.1"], "loopback address"],
    ["http://hooks.fabrikam.example/por", ["fabrikam.example"], "must use https"],
    // Credentials are refused even for an allow-listed host.
    ["http://user@127.0.0.1:9000/hooks", ["127.0.0.1"], "credentials"],
  ])("still refuses %s with allow list %j", (url, allowed, reason) => {
    expect(refusedBecause(url, allowed)).toContain(reason);
  });
});

describe("canonicalHost and WEBHOOK_ALLOWED_HOSTS", () => {
  it.each([
    ["LOCALHOST", "localhost"],
    ["localhost.", "localhost"],
    ["Hooks.Corp.Internal", "hooks.corp.internal"],
    ["2130706433", "127.0.0.1"],
    ["[::1]", "::1"],
    ["::1", "::1"],
    ["::FFFF:127.0.0.1", "::ffff:7f00:1"],
  ])("%s compares as %s", (text, canonical) => {
    expect(canonicalHost(text)).toBe(canonical);
  });

  it.each([
    "https://hooks.example",
    "hooks.example:443",
    "[::1]:80",
    "hooks.example/x",
    "u@hooks",
    "*.example",
  ])("%s is not a host", (text) => {
    expect(canonicalHost(text)).toBeUndefined();
  });

  it("reads a comma-separated list, skipping blanks, and names each bad entry", () => {
    expect(webhookAllowedHosts.parse("")).toEqual([]);
    expect(webhookAllowedHosts.parse(" 127.0.0.1, Hooks.Corp.Internal ,,[::1] ")).toEqual([
      "127.0.0.1",
      "hooks.corp.internal",
      "::1",
    ]);
    const parsed = webhookAllowedHosts.safeParse("127.0.0.1,http://x.example,*.corp");
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('"http://x.example"'),
      expect.stringContaining('"*.corp"'),
    ]);
  });
});

describe("nonPublicAddress", () => {
  it("names the first answer that is not public, or nothing when all are", () => {
    expect(nonPublicAddress(["20.50.1.1", "2606:4700::1111"])).toBeUndefined();
    expect(nonPublicAddress(["20.50.1.1", "127.0.0.1"])).toEqual({ address: "127.0.0.1", kind: "loopback" });
    expect(nonPublicAddress(["not-an-address"])).toEqual({ address: "not-an-address", kind: "unrecognised" });
  });
});
