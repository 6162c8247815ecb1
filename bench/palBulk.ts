import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { startAzurite } from "devhost";
import { spawnHost, type HostProcess } from "../devhost/test/support/hostProcess";
import { startFakeArm } from "../test/fixtures/fakeArm";
import { createFakeTlsCertificate } from "../test/fixtures/fakeGraph";
import { isolatedAppSettings } from "../test/support/appSettings";

/**
 * `npm run bench:pal -- [--tenants 500] [--links 20]`: Partner Admin Links and CSV imports end to
 * end, on the real app and the local host (a child process, so it starts trusting the fake's TLS
 * certificate), against a fake Azure Resource Manager and token endpoint on loopback:
 * - one `POST /pal-links` at a time (`--links` of them): latency p50 / p95 / max;
 * - one `POST /pal-links/bulk` of `--tenants` tenants: seconds from the request to the job
 *   Completed, tenants per second, ARM and token requests per tenant;
 * - one `POST /verify` per link made above: latency p50 / p95;
 * - one `POST /imports` of `--tenants` TPOR rows: seconds to the job Completed, rows per second.
 * Figures depend on the machine (Azurite, 2 cores here): only same-run figures compare.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tenants: { type: "string", default: "500" }, links: { type: "string", default: "20" } },
  });
  const tenants = Number(values.tenants);
  const links = Number(values.links);
  const tls = await createFakeTlsCertificate();
  const dir = await mkdtemp(join(tmpdir(), "bench-pal-"));
  const caFile = join(dir, "ca.pem");
  const inherited = process.env["NODE_EXTRA_CA_CERTS"]
    ? await readFile(process.env["NODE_EXTRA_CA_CERTS"], "utf8").catch(() => "")
    : "";
  await writeFile(caFile, `${inherited.trimEnd()}\n${tls.cert}`.trimStart());
  const azurite = await startAzurite();
  const arm = await startFakeArm(tls);
  const settings: Record<string, string> = {
    ...isolatedAppSettings(randomBytes(4).toString("hex"), "bench"),
    SECRETS_KEY: randomBytes(32).toString("base64"),
    ARM_BASE_URL: arm.url,
    AZURE_AUTHORITY_HOST: arm.url,
    NODE_EXTRA_CA_CERTS: caFile,
    // One partner at the bench's rate is a load test, not the runaway script the per-partner limit
    // is for: the limiter still runs (its cost is in the figures), set far above the rate.
    PARTNER_RATE_LIMIT_PER_SECOND: "10000",
    PARTNER_RATE_LIMIT_BURST: "10000",
  };
  let host: HostProcess | undefined;
  try {
    host = await spawnHost(".", azurite.connectionString, settings, 60_000);
    const api = client(host.url, settings["ADMIN_API_KEY"] ?? "");
    const partner = await api.partner();
    const key = partner.apiKey;

    const single: number[] = [];
    const made: string[] = [];
    for (let i = 0; i < links; i++) {
      const identity = arm.identity();
      const started = performance.now();
      const response = await api.call(key, "POST", "/api/v1/pal-links", {
        customerTenantId: identity.tenantId,
        identity: { clientId: identity.clientId, clientSecret: identity.clientSecret },
      });
      single.push(performance.now() - started);
      if (response.status !== 201) throw new Error(`link: ${response.status} ${await response.text()}`);
      made.push(((await response.json()) as { id: string }).id);
    }

    const verify: number[] = [];
    for (const id of made) {
      const started = performance.now();
      const response = await api.call(key, "POST", `/api/v1/pal-links/${id}/verify`, {});
      verify.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`verify: ${response.status} ${await response.text()}`);
    }

    const first = arm.identity();
    const bulkTenants = [
      first,
      ...Array.from({ length: tenants - 1 }, () => arm.consent(first, randomUUID())),
    ];
    const armBefore = arm.requests.length;
    const tokensBefore = arm.login.tokenRequests();
    const bulkStarted = performance.now();
    const bulk = await api.call(key, "POST", "/api/v1/pal-links/bulk", {
      identity: { clientId: first.clientId, clientSecret: first.clientSecret },
      customerTenantIds: bulkTenants.map((t) => t.tenantId),
    });
    if (bulk.status !== 202) throw new Error(`bulk: ${bulk.status} ${await bulk.text()}`);
    const bulkJob = await api.finished(key, ((await bulk.json()) as { id: string }).id);
    const bulkSeconds = (performance.now() - bulkStarted) / 1000;

    const header = "type,customerTenantId,role,enrollmentNumber";
    const rows = Array.from(
      { length: tenants },
      (_, i) => `tpor,${randomUUID()},licensing-solution-provider,${String(10_000_000 + i)}`,
    );
    const importStarted = performance.now();
    const imported = await api.call(key, "POST", "/api/v1/imports", [header, ...rows].join("\r\n"), {
      "content-type": "text/csv",
    });
    if (imported.status !== 202) throw new Error(`import: ${imported.status} ${await imported.text()}`);
    const importJob = await api.finished(key, ((await imported.json()) as { id: string }).id);
    const importSeconds = (performance.now() - importStarted) / 1000;

    const lines = [
      `PAL and CSV imports on the local host (${tenants} tenants, ${links} single links), node ${process.version}`,
      `single POST /pal-links         p50 ${pct(single, 50)} ms, p95 ${pct(single, 95)} ms, max ${pct(single, 100)} ms`,
      `POST /pal-links/{id}/verify    p50 ${pct(verify, 50)} ms, p95 ${pct(verify, 95)} ms`,
      `bulk link of ${tenants}          ${bulkSeconds.toFixed(1)} s (${(tenants / bulkSeconds).toFixed(1)} tenants/s), ` +
        `done ${bulkJob.done}, failed ${bulkJob.failed}; ARM requests/tenant ${((arm.requests.length - armBefore) / tenants).toFixed(2)}, ` +
        `token requests/tenant ${((arm.login.tokenRequests() - tokensBefore) / tenants).toFixed(2)}`,
      `CSV import of ${tenants} TPOR rows  ${importSeconds.toFixed(1)} s (${(tenants / importSeconds).toFixed(1)} rows/s), ` +
        `done ${importJob.done}, failed ${importJob.failed}`,
    ];
    console.log(lines.join("\n"));
    if (bulkJob.failed > 0 || importJob.failed > 0) process.exitCode = 1;
  } finally {
    await host?.stop();
    await arm.stop();
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function pct(values: readonly number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return (sorted[at] ?? 0).toFixed(0);
}

function client(baseUrl: string, adminKey: string) {
  const call = (
    apiKey: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `ApiKey ${apiKey}`,
        ...(method === "POST" ? { "idempotency-key": randomUUID(), "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return {
    call,
    async partner(): Promise<{ apiKey: string }> {
      const response = await call(adminKey, "POST", "/api/v1/admin/partners", {
        name: "Bench Partner",
        partnerLocationId: "4871234",
      });
      if (response.status !== 201) throw new Error(`partner: ${response.status} ${await response.text()}`);
      return (await response.json()) as { apiKey: string };
    },
    async finished(apiKey: string, id: string): Promise<{ done: number; failed: number }> {
      for (;;) {
        const job = (await (await call(apiKey, "GET", `/api/v1/jobs/${id}`)).json()) as {
          status: string;
          done: number;
          failed: number;
        };
        if (job.status !== "Running") return job;
        await sleep(200);
      }
    },
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
