import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DependencyRefusedError, TransientDependencyError } from "../../../src/domain/errors";
import {
  CredentialRefusedError,
  LinkConflictError,
  createManagementPartnerClient,
  type ManagementPartnerClient,
} from "../../../src/integrations/managementPartner";
import { startFakeArm, type FakeArm } from "../../fixtures/fakeArm";

/** The ARM client against a fake ARM and token endpoint over TLS: real HTTP, the documented shapes. */
describe("the Management Partner client", () => {
  let arm: FakeArm;
  let client: ManagementPartnerClient;

  beforeAll(async () => {
    arm = await startFakeArm(inject("fakeTls"));
    client = createManagementPartnerClient({ armBaseUrl: arm.url, authorityHost: arm.url, baseDelayMs: 10 });
  });
  afterAll(() => arm?.stop());

  it("links, reads, replaces and removes an identity's partner ID", async () => {
    const identity = arm.identity();
    arm.partnerNames.set("4871234", "Fabrikam");
    expect(await client.current(identity)).toBeUndefined();
    const linked = await client.link(identity, "4871234");
    expect(linked).toEqual({
      partnerId: "4871234",
      partnerName: "Fabrikam",
      objectId: identity.objectId,
      state: "Active",
    });
    expect(await client.current(identity)).toMatchObject({ partnerId: "4871234" });
    await expect(client.link(identity, "5550001")).rejects.toBeInstanceOf(LinkConflictError);
    expect(await client.replace(identity, "5550001")).toMatchObject({
      partnerId: "5550001",
      state: "Active",
    });
    expect(await client.remove(identity, "5550001")).toBe("removed");
    expect(await client.remove(identity, "5550001")).toBe("absent");
    expect(arm.linkOf(identity)).toBeUndefined();
  });

  it("reports a link ARM shows as Deleted", async () => {
    const identity = arm.identity();
    arm.setLink(identity, "4871234", "Deleted");
    expect(await client.current(identity)).toMatchObject({ partnerId: "4871234", state: "Deleted" });
  });

  it("names a refused credential, without the secret", async () => {
    const identity = arm.identity();
    const wrong = { ...identity, clientSecret: "not-the-secret" };
    const failure = await client.current(wrong).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(CredentialRefusedError);
    expect(String((failure as Error).message)).toMatch(/7000215/);
    expect(String((failure as Error).message)).not.toContain("not-the-secret");
    arm.deleteIdentity(identity);
    await expect(client.current(identity)).rejects.toBeInstanceOf(CredentialRefusedError);
  });

  it("takes ARM's 401 and 403 as the identity refused, without retrying", async () => {
    const identity = arm.identity();
    arm.fail(identity.tenantId, 401);
    const unauthorized = await client.current(identity).catch((err: unknown) => err);
    expect(unauthorized).toBeInstanceOf(CredentialRefusedError);
    expect((unauthorized as Error).message).toMatch(/AuthenticationFailed/);
    arm.fail(identity.tenantId, 403);
    await expect(client.link(identity, "4871234")).rejects.toBeInstanceOf(CredentialRefusedError);
    expect(arm.linkOf(identity)).toBeUndefined();
    expect(await client.link(identity, "4871234")).toMatchObject({ state: "Active" });
  });

  it("says BadRequest for a partner ID ARM refuses", async () => {
    const failure = await client.link(arm.identity(), "not-digits").catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DependencyRefusedError);
    expect((failure as Error).message).toMatch(/BadRequest/);
  });

  it("retries throttling and server errors, then gives up as transient", async () => {
    const identity = arm.identity();
    arm.fail(identity.tenantId, 429);
    arm.fail(identity.tenantId, 503);
    expect(await client.link(identity, "4871234")).toMatchObject({ state: "Active" });
    arm.fail(identity.tenantId, 500, 3);
    await expect(client.current(identity)).rejects.toBeInstanceOf(TransientDependencyError);
  });
});
