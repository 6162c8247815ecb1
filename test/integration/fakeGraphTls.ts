import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createFakeTlsCertificate, type FakeTlsCertificate } from "../fixtures/fakeGraph";

declare module "vitest" {
  export interface ProvidedContext {
    /** The certificate fake HTTPS servers (the fake Entra ID token endpoint) serve; workers trust it. */
    fakeTls: FakeTlsCertificate;
  }
}

/**
 * Lets the integration tier trust the fake token endpoint's self-signed certificate the way a real
 * deployment trusts a private CA: through NODE_EXTRA_CA_CERTS, with no test hook in production code.
 * Node reads NODE_EXTRA_CA_CERTS once, at process start, so it is set here, in the main Vitest
 * process before any worker exists: Vitest builds each forked worker's environment from
 * `process.env` after the global setups have run (pool "forks", the default). The file keeps the
 * certificates of any NODE_EXTRA_CA_CERTS already set. Tests get the key pair with
 * `inject("fakeTls")` and hand it to `startFakeGraph({ tls })`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tls = await createFakeTlsCertificate();
  const dir = await mkdtemp(join(tmpdir(), "fake-tls-"));
  const file = join(dir, "extra-ca.pem");
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const inherited = previous ? await readFile(previous, "utf8").catch(() => "") : "";
  await writeFile(file, `${inherited.trimEnd()}\n${tls.cert}`.trimStart());
  process.env.NODE_EXTRA_CA_CERTS = file;
  project.provide("fakeTls", tls);
  return async () => {
    if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previous;
    await rm(dir, { recursive: true, force: true });
  };
}
