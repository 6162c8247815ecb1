import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeTlsCertificate } from "../fixtures/fakeGraph";
import { startFakeArm, type FakeArm } from "../fixtures/fakeArm";
import { appProcessSettings, callApi, onboardPartner, spawnApp } from "./appProcess";
import type { HostProcess } from "../../devhost/test/support/hostProcess";

/**
 * The real app linking PAL against a fake Azure Resource Manager and Entra ID token endpoint
 * (test/fixtures/fakeArm.ts), for tiers whose test process does not trust the fake's certificate
 * (the e2e tier has no fake-TLS global setup). Node reads NODE_EXTRA_CA_CERTS once, at process
 * start, so the app runs as a child process whose environment names a file holding the fake's
 * certificate (and any certificates already trusted): no test hook in production code.
 */
export interface AppWithFakeArm {
  url: string;
  arm: FakeArm;
  host: HostProcess;
  /** The app's settings (its TABLE_PREFIX, to seed or read its tables directly). */
  env: Record<string, string>;
  partner(name?: string): Promise<{ partnerId: string; apiKey: string; locationId: string }>;
  call(apiKey: string, method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startAppWithFakeArm(
  connection: string,
  settings: Record<string, string> = {},
): Promise<AppWithFakeArm> {
  const tls = await createFakeTlsCertificate();
  const dir = await mkdtemp(join(tmpdir(), "fake-arm-ca-"));
  const caFile = join(dir, "extra-ca.pem");
  const inherited = process.env["NODE_EXTRA_CA_CERTS"];
  const trusted = inherited ? await readFile(inherited, "utf8").catch(() => "") : "";
  await writeFile(caFile, `${trusted.trimEnd()}\n${tls.cert}`.trimStart());
  const arm = await startFakeArm(tls);
  const app = appProcessSettings({
    SECRETS_KEY: randomBytes(32).toString("base64"),
    ARM_BASE_URL: arm.url,
    AZURE_AUTHORITY_HOST: arm.url,
    NODE_EXTRA_CA_CERTS: caFile,
    ...settings,
  });
  let host: HostProcess;
  try {
    host = await spawnApp(connection, app);
  } catch (err) {
    await arm.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: host.url,
    arm,
    host,
    env: app.env,
    partner: (name) => onboardPartner(host.url, app.adminKey, name),
    call: (apiKey, method, path, body) => callApi(host.url, apiKey, method, path, body),
    async stop() {
      await host.stop();
      await arm.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
