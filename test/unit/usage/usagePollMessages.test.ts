import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  maxPolledAssociations,
  maxTenantsPerMessage,
  packTenants,
  tenantsOf,
  usagePollMessage,
  type UsagePollTenant,
} from "../../../src/integrations/usage/usagePollQueue";

const listing = (count: number) =>
  Array.from({ length: count }, () => ({ id: randomUUID(), partnerId: randomUUID() }));
const tenant = (listed?: number): UsagePollTenant => ({
  customerTenantId: randomUUID(),
  ...(listed === undefined ? {} : { associations: listing(listed) }),
});

describe("usage-poll messages", () => {
  it("packs tenants in order, at most the tenant limit to a message, each tenant once", () => {
    const tenants = Array.from({ length: 2 * maxTenantsPerMessage + 3 }, () => tenant(4));
    const messages = packTenants(tenants);
    expect(messages.map((m) => tenantsOf(m).tenants.length)).toEqual([
      maxTenantsPerMessage,
      maxTenantsPerMessage,
      3,
    ]);
    expect(messages.flatMap((m) => tenantsOf(m).tenants)).toEqual(tenants);
    for (const message of messages) expect(usagePollMessage.parse(message)).toEqual(message);
  });

  it("closes a message before its listed associations pass the limit; a tenant without a list counts none", () => {
    const tenants = [tenant(60), tenant(), tenant(40), tenant(1), tenant(maxPolledAssociations), tenant(2)];
    const sizes = packTenants(tenants).map((m) =>
      tenantsOf(m).tenants.map((t) => t.associations?.length ?? "index"),
    );
    expect(sizes).toEqual([[60, "index", 40], [1], [maxPolledAssociations], [2]]);
  });

  it("packs nothing into no message", () => {
    expect(packTenants([])).toEqual([]);
  });

  it("reads a tenant alone, retried or not, and the timer's form as not retried", () => {
    const alone = tenant(2);
    expect(tenantsOf({ ...alone, retried: true })).toEqual({ tenants: [alone], retried: true });
    expect(tenantsOf(alone)).toEqual({ tenants: [alone], retried: false });
    expect(tenantsOf({ tenants: [alone] })).toEqual({ tenants: [alone], retried: false });
  });

  it.each([
    ["no tenant", { tenants: [] }],
    ["too many tenants", { tenants: Array.from({ length: maxTenantsPerMessage + 1 }, () => tenant()) }],
    ["too many listed associations", { tenants: [tenant(60), tenant(41)] }],
    ["a retried mark on the timer's form", { tenants: [tenant()], retried: true }],
    ["a tenant that is not a GUID", { tenants: [{ customerTenantId: "contoso" }] }],
    ["an unknown field", { customerTenantId: randomUUID(), extra: 1 }],
  ])("refuses a message with %s", (_what, message) => {
    expect(usagePollMessage.safeParse(message).success).toBe(false);
  });
});
