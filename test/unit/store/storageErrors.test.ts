import { describe, expect, it } from "vitest";
import {
  ConcurrencyError,
  ConflictError,
  NotFoundError,
  TransientDependencyError,
} from "../../../src/domain/errors";
import { translateStorageError } from "../../../src/store/storageErrors";

const translated = (err: unknown): unknown => {
  try {
    translateStorageError(err, "thing");
  } catch (thrown) {
    return thrown;
  }
  throw new Error("translateStorageError returned");
};

describe("translateStorageError", () => {
  it.each([
    [404, NotFoundError],
    [409, ConflictError],
    [412, ConcurrencyError],
    [429, TransientDependencyError],
    [500, TransientDependencyError],
    [503, TransientDependencyError],
  ])("maps HTTP %i to its domain error", (statusCode, type) => {
    expect(translated({ statusCode })).toBeInstanceOf(type);
  });

  it.each(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "REQUEST_SEND_ERROR"])(
    "reads a request that got no answer (%s) as transient: a retry may pass",
    (code) => {
      expect(translated(Object.assign(new Error("socket hang up"), { code }))).toBeInstanceOf(
        TransientDependencyError,
      );
    },
  );

  it("passes anything else through unchanged", () => {
    const odd = new Error("odd");
    expect(translated(odd)).toBe(odd);
    const teapot = { statusCode: 418 };
    expect(translated(teapot)).toBe(teapot);
  });
});
