import { randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startHost, type RunningHost } from "../../src/host";
import { start, waitFor } from "../support/durable";

/**
 * A control message held longer than its lease: the turn it belongs to is slowed down (a proxy in
 * front of Azurite's table service holds back the instance's sentinel writes), so the lease must be
 * renewed, and the delete must present the pop receipt of the last renewal.
 */
const leaseSeconds = 1;
const sentinelDelayMs = 2_500;

describe("control-message leases on the local host", () => {
  let host: RunningHost;
  let tables: Proxy;
  let queues: Proxy;
  const errors: string[] = [];
  const instanceId = `lease-${randomUUID()}`;

  beforeAll(async () => {
    const connection = inject("storageConnectionString");
    tables = await startProxy(portOf(connection, "Table"), (method, url) =>
      method === "PUT" && url.includes(instanceId) && url.includes("RowKey='sentinel'") ? sentinelDelayMs : 0,
    );
    queues = await startProxy(portOf(connection, "Queue"), () => 0);
    process.env["FIXTURE_HUB"] = `Leases${Date.now()}`;
    host = await startHost({
      appDir: "devhost/test/fixtures/durable-app",
      port: 0,
      connection: connection
        .replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${tables.port}`)
        .replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/, `QueueEndpoint=http://127.0.0.1:${queues.port}`),
      logger: { info: () => undefined, error: (line) => errors.push(line) },
      leases: { controlSeconds: leaseSeconds },
    });
  });

  afterAll(async () => {
    await host?.stop();
    await Promise.all([tables?.close(), queues?.close()]);
  });

  it("renews the lease of a message held through a slow turn and deletes it with the newest pop receipt", async () => {
    const links = await start(host.url, "waitForever", undefined, instanceId);
    await waitFor(links.statusQueryGetUri, ["Running"], 30_000);
    await fetch(`${host.url}/api/raise/${instanceId}/Go`, { method: "POST", body: "7" });
    expect(await waitFor(links.statusQueryGetUri, undefined, 30_000)).toMatchObject({
      runtimeStatus: "Completed",
      output: { went: 7 },
    });
    await sleep(leaseSeconds * 1_500); // a message left undeleted would be seen again by now

    const renewals = queues.requests.filter(
      (r) => r.method === "PUT" && /-control-\d+\/messages\/[^?]+\?.*popreceipt=/i.test(r.url),
    );
    expect(renewals.length).toBeGreaterThanOrEqual(1);
    expect(errors.filter((line) => /pop ?receipt/i.test(line))).toEqual([]);
    expect(errors).toEqual([]);
  });
});

interface Proxy {
  port: number;
  requests: { method: string; url: string }[];
  close(): Promise<void>;
}

/** The port of one service in an Azurite connection string (`Table`, `Queue`). */
function portOf(connection: string, service: string): number {
  const match = new RegExp(`${service}Endpoint=http://127\\.0\\.0\\.1:(\\d+)`).exec(connection);
  if (!match?.[1]) throw new Error(`no ${service} endpoint in the connection string`);
  return Number(match[1]);
}

/** A pass-through proxy to one Azurite service that records requests and holds some back. */
async function startProxy(target: number, delayMs: (method: string, url: string) => number): Promise<Proxy> {
  const requests: Proxy["requests"] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = decodeURIComponent(req.url ?? "");
    requests.push({ method, url });
    const forward = () => {
      const upstream = request(
        { host: "127.0.0.1", port: target, method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    const wait = delayMs(method, url);
    if (wait > 0) setTimeout(forward, wait);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
