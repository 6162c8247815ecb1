import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through HTTP proxy in front of one Azurite service that counts requests: the number of
 * storage transactions the host makes, measured from outside it.
 */
export interface CountingProxy {
  port: number;
  count: number;
  close(): Promise<void>;
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  const proxy: CountingProxy = { port: 0, count: 0, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    proxy.count++;
    const upstream = request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}
