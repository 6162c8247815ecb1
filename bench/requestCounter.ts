import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

/**
 * Counts the HTTP requests this process sends to one port on loopback (Azurite's table or queue
 * service): the storage transactions of a host that runs in this process, one per request as
 * Azure bills them (an entity-group transaction is one). It listens on Node's own
 * `http.client.request.start` diagnostics channel, so the requests go straight to Azurite and
 * counting adds nothing to their path, where a counting proxy in this process would add its own
 * work on the host's event loop to every storage call.
 */
export interface RequestCounter {
  count: number;
  close(): void;
}

export function countRequestsTo(port: number): RequestCounter {
  const counter: RequestCounter = { count: 0, close: () => unsubscribe(channel, onStart) };
  const channel = "http.client.request.start";
  const onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (portOf(request) === port) counter.count++;
  };
  subscribe(channel, onStart);
  return counter;
}

/** The port a request goes to, from its Host header ("127.0.0.1:10002"). */
function portOf(request: ClientRequest): number | undefined {
  const host = request.getHeader("host");
  const port = typeof host === "string" ? /:(\d+)$/.exec(host)?.[1] : undefined;
  return port === undefined ? undefined : Number(port);
}
