import { setTimeout as sleep } from "node:timers/promises";

/** The status body the Durable HTTP API answers (and the unmodified DurableClient parses). */
export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: { EventType: string; FunctionName?: string }[];
}

/** Starts an orchestration through the fixture's HTTP starter; returns the check-status links. */
export async function start(baseUrl: string, name: string, input?: unknown, instanceId?: string) {
  const response = await fetch(`${baseUrl}/api/start/${name}${instanceId ? `/${instanceId}` : ""}`, {
    method: "POST",
    body: input === undefined ? "" : JSON.stringify(input),
  });
  if (response.status !== 202) throw new Error(`start ${name}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
}

export async function status(statusUri: string, query = ""): Promise<InstanceStatus> {
  const response = await fetch(`${statusUri}${query}`);
  return (await response.json()) as InstanceStatus;
}

/** Polls until the instance reaches one of `statuses` (default: any final one) or `timeoutMs` passes. */
export async function waitFor(
  statusUri: string,
  statuses: string[] = ["Completed", "Failed", "Terminated"],
  timeoutMs = 20_000,
): Promise<InstanceStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: InstanceStatus | undefined;
  while (Date.now() < deadline) {
    last = await status(statusUri);
    if (statuses.includes(last.runtimeStatus)) return last;
    await sleep(50);
  }
  throw new Error(`instance stayed ${last?.runtimeStatus} (wanted ${statuses.join("/")})`);
}
