import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createStore, type Store } from "../../src/store/store";

/** A store on the tier's Azurite with its own table prefix, so test files never see each other's rows. */
export function testStore(): Store {
  return createStore(inject("storageConnectionString"), { prefix: `t${randomBytes(5).toString("hex")}` });
}
