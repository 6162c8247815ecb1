import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A listener on a loopback address that a refused webhook must never reach: it counts every TCP
 * connection (so a TLS attempt counts too, before any request) and answers 200 to any request,
 * so reaching it would look like a successful delivery.
 */
export interface LoopbackTrap {
  address: string;
  port: number;
  connections: number;
  close(): Promise<void>;
}

export async function startLoopbackTrap(address = "127.0.0.1"): Promise<LoopbackTrap> {
  const sockets = new Set<Socket>();
  const server = createServer((_request, response) => response.writeHead(200).end("ok"));
  const trap = { address, port: 0, connections: 0, close };
  server.on("connection", (socket) => {
    trap.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, () => resolve());
  });
  trap.port = (server.address() as AddressInfo).port;
  function close() {
    return new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  }
  return trap;
}

/**
 * A name the hosts file maps to an IPv4 loopback address (the machine's own name, often), other
 * than localhost: the system resolver answers it without DNS. Undefined when there is none.
 */
export function hostsFileLoopbackName(): { name: string; address: string } | undefined {
  let text: string;
  try {
    text = readFileSync("/etc/hosts", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!address || !/^127\.\d+\.\d+\.\d+$/.test(address)) continue;
    const name = names.find((n) => /^[a-z][a-z0-9.-]*$/i.test(n) && !/(^|\.)localhost\.?$/i.test(n));
    if (name) return { name: name.toLowerCase(), address };
  }
  return undefined;
}
