import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FunctionRegistry } from "../registry";
import { EventType, type HistoryEvent } from "./events";
import { maxPayloadChars, terminalStatuses, type InstanceRow, type TaskHub } from "./taskHub";

/**
 * The Durable HTTP management API, served under `/runtime/webhooks/durabletask/` and the
 * `rpcBaseUrl` (`/durabletask/`) that the unmodified DurableClient calls. Routes, status codes
 * and bodies follow the Durable extension's HttpApiHandler (Azure/azure-functions-durable-extension).
 */
export interface ManagementApiOptions {
  hub: TaskHub;
  registry: FunctionRegistry;
  /** `http://127.0.0.1:<port>`: where the host listens, for the links in responses. */
  baseUrl: () => string;
}

const prefixes = ["/runtime/webhooks/durabletask/", "/durabletask/"];

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export function createManagementApi(options: ManagementApiOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const prefix = prefixes.find((p) => url.pathname.toLowerCase().startsWith(p));
    if (!prefix) return false;
    const segments = url.pathname.slice(prefix.length).split("/").map(decodeURIComponent);
    const body = await readBody(req);
    const reply = await route(options, req.method ?? "GET", segments, url, body, req.headers);
    send(res, reply);
    return true;
  };
}

async function route(
  options: ManagementApiOptions,
  method: string,
  segments: string[],
  url: URL,
  body: string,
  headers: IncomingMessage["headers"],
): Promise<Reply> {
  const [collection, id, action, name] = segments;
  if (collection === "orchestrators" && method === "POST" && id) return startNew(options, id, action, body);
  if (collection !== "instances") return { status: 404 };
  if (!id) {
    if (method === "GET") return list(options, url, headers["x-ms-continuation-token"]);
    if (method === "DELETE") return purgeBy(options, url);
    return { status: 405 };
  }
  if (!action) {
    if (method === "GET") return status(options, id, url);
    if (method === "DELETE") return purge(options, id);
    return { status: 405 };
  }
  if (method !== "POST") return { status: 405 };
  const reason = url.searchParams.get("reason") ?? "";
  switch (action) {
    case "raiseEvent":
      if (body.length > maxPayloadChars) return tooLarge();
      return name
        ? signal(options, id, { EventType: EventType.EventRaised, Name: name, Input: body || "null" })
        : { status: 400 };
    case "terminate":
      return signal(options, id, { EventType: EventType.ExecutionTerminated, Input: JSON.stringify(reason) });
    case "suspend":
      return signal(options, id, { EventType: EventType.ExecutionSuspended, Reason: reason });
    case "resume":
      return signal(options, id, { EventType: EventType.ExecutionResumed, Reason: reason });
    default:
      return { status: 501, body: { message: `"${action}" is not supported by the local host` } };
  }
}

async function startNew(
  options: ManagementApiOptions,
  functionName: string,
  instanceId: string | undefined,
  body: string,
): Promise<Reply> {
  const fn = options.registry.find(functionName);
  if (!fn || fn.trigger.binding.type !== "orchestrationTrigger")
    return {
      status: 400,
      body: { message: `"${functionName}" is not an orchestrator function of this app` },
    };
  if (body !== "" && !isJson(body)) return { status: 400, body: { message: "the input is not valid JSON" } };
  if (body.length > maxPayloadChars) return tooLarge();
  const id = instanceId || randomUUID().replace(/-/g, "");
  const existing = await options.hub.getInstance(id);
  if (existing && !terminalStatuses.has(existing.runtimeStatus) && !(await neverStarted(options, existing)))
    return {
      status: 409,
      body: { message: `an instance with ID "${id}" already exists and is ${existing.runtimeStatus}` },
    };
  const now = new Date().toISOString();
  const executionId = randomUUID();
  const row: InstanceRow = {
    instanceId: id,
    name: fn.name,
    executionId,
    input: body === "" ? null : body,
    output: null,
    customStatus: null,
    runtimeStatus: "Pending",
    createdTime: now,
    lastUpdatedTime: now,
  };
  // The start message first, then the status row, as the Azure Storage provider does: a crash in
  // between leaves a start that runs (the dispatcher writes the row at its first commit), never a
  // Pending row that nothing will ever start. The row is written only if that commit has not; a
  // commit of this process writes its row after this one (see clientRowWrite).
  await options.hub.clientRowWrite(id, () => startAndWriteRow(options, row, body));
  const links = managementLinks(options.baseUrl(), options.hub.hubName, id);
  return { status: 202, body: links, headers: { location: links.statusQueryGetUri, "retry-after": "10" } };
}

/** Sends the start of a new execution, then writes its Pending row unless its first commit has. */
async function startAndWriteRow(
  options: ManagementApiOptions,
  row: InstanceRow,
  body: string,
): Promise<void> {
  const { instanceId, executionId, name, createdTime } = row;
  await options.hub.sendControl({
    id: randomUUID(),
    instanceId,
    executionId,
    event: {
      EventType: EventType.ExecutionStarted,
      Timestamp: createdTime,
      Name: name,
      ...(body === "" ? {} : { Input: body }),
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    },
  });
  const current = await options.hub.getInstance(instanceId);
  if (current?.executionId !== executionId) await options.hub.putInstance(row);
}

/** Raise event, terminate, suspend, resume: 404 for an unknown instance, 410 for a finished one. */
async function signal(
  options: ManagementApiOptions,
  instanceId: string,
  event: Omit<HistoryEvent, "EventId" | "IsPlayed" | "Timestamp">,
): Promise<Reply> {
  const instance = await options.hub.getInstance(instanceId);
  if (!instance) return { status: 404 };
  if (terminalStatuses.has(instance.runtimeStatus)) return { status: 410 };
  await options.hub.sendControl({
    id: randomUUID(),
    instanceId,
    event: { ...event, Timestamp: new Date().toISOString() },
  });
  return { status: 202 };
}

async function status(options: ManagementApiOptions, instanceId: string, url: URL): Promise<Reply> {
  const instance = await options.hub.getInstance(instanceId);
  if (!instance) return { status: 404 };
  const flags = readFlags(url);
  const body: Record<string, unknown> = statusBody(instance, flags.showInput);
  if (flags.showHistory) {
    const history = await options.hub.loadHistory(instanceId);
    // The HTTP API names it historyEvents; durable-functions 3.x reads `history`: answer both.
    body["historyEvents"] = body["history"] = history.events
      .filter(
        (e) =>
          e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted,
      )
      .map((e) => historyEntry(e, flags.showHistoryOutput));
  }
  const running = !terminalStatuses.has(instance.runtimeStatus);
  return { status: running ? 202 : 200, body, headers: running ? { "retry-after": "5" } : {} };
}

async function list(
  options: ManagementApiOptions,
  url: URL,
  token: string | string[] | undefined,
): Promise<Reply> {
  const q = url.searchParams;
  const top = Math.min(Math.max(Number(q.get("top") ?? 100) || 100, 1), 1000);
  const statuses = q.get("runtimeStatus")?.split(",").filter(Boolean);
  const page = await options.hub.queryInstances(
    {
      ...(q.get("createdTimeFrom") ? { createdFrom: q.get("createdTimeFrom") as string } : {}),
      ...(q.get("createdTimeTo") ? { createdTo: q.get("createdTimeTo") as string } : {}),
      ...(statuses ? { statuses } : {}),
      ...(q.get("instanceIdPrefix") ? { prefix: q.get("instanceIdPrefix") as string } : {}),
    },
    top,
    typeof token === "string" && token ? Buffer.from(token, "base64").toString("utf8") : undefined,
  );
  const showInput = q.get("showInput") !== "false";
  return {
    status: 200,
    body: page.rows.map((row) => statusBody(row, showInput)),
    headers: page.continuationToken
      ? { "x-ms-continuation-token": Buffer.from(page.continuationToken).toString("base64") }
      : {},
  };
}

async function purge(options: ManagementApiOptions, instanceId: string): Promise<Reply> {
  const instance = await options.hub.getInstance(instanceId);
  if (!instance) return { status: 404 };
  if (!terminalStatuses.has(instance.runtimeStatus))
    return { status: 412, body: { message: "the instance is still running" } };
  await options.hub.purge(instanceId);
  return { status: 200, body: { instancesDeleted: 1 } };
}

async function purgeBy(options: ManagementApiOptions, url: URL): Promise<Reply> {
  const q = url.searchParams;
  const statuses = q.get("runtimeStatus")?.split(",").filter(Boolean);
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await options.hub.queryInstances(
      {
        ...(q.get("createdTimeFrom") ? { createdFrom: q.get("createdTimeFrom") as string } : {}),
        ...(q.get("createdTimeTo") ? { createdTo: q.get("createdTimeTo") as string } : {}),
        ...(statuses ? { statuses } : {}),
      },
      100,
      token,
    );
    for (const row of page.rows.filter((r) => terminalStatuses.has(r.runtimeStatus))) {
      await options.hub.purge(row.instanceId);
      deleted++;
    }
    token = page.continuationToken;
  } while (token);
  return deleted === 0 ? { status: 404 } : { status: 200, body: { instancesDeleted: deleted } };
}

/** A Pending row whose start was never applied (its start message was lost): it may be started again. */
async function neverStarted(options: ManagementApiOptions, row: InstanceRow): Promise<boolean> {
  if (row.runtimeStatus !== "Pending") return false;
  const { sentinel } = await options.hub.loadHistory(row.instanceId);
  const startedAt = Date.parse(row.createdTime);
  return sentinel?.executionId !== row.executionId && Date.now() - startedAt > 60_000;
}

function tooLarge(): Reply {
  return {
    status: 413,
    body: { message: `payloads above ${maxPayloadChars} characters are not supported by the local host` },
  };
}

function statusBody(instance: InstanceRow, showInput: boolean) {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    input: showInput ? parseOrNull(instance.input) : null,
    customStatus: parseOrNull(instance.customStatus),
    output: parseOrNull(instance.output),
    createdTime: wireTime(instance.createdTime),
    lastUpdatedTime: wireTime(instance.lastUpdatedTime),
  };
}

const eventNames = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));

function historyEntry(e: HistoryEvent, showOutput: boolean) {
  return {
    EventType: eventNames[e.EventType] ?? String(e.EventType),
    Timestamp: e.Timestamp,
    ...(e.Name ? { FunctionName: e.Name } : {}),
    ...(e.EventId >= 0 ? { EventId: e.EventId } : {}),
    ...(e.FireAt ? { FireAt: e.FireAt } : {}),
    ...(e.OrchestrationStatus ? { OrchestrationStatus: e.OrchestrationStatus } : {}),
    ...(e.Reason ? { Reason: e.Reason } : {}),
    ...(showOutput && e.Result !== undefined ? { Result: parseOrNull(e.Result) } : {}),
  };
}

/** The links a check-status response carries (createCheckStatusResponse builds the same). */
export function managementLinks(baseUrl: string, hubName: string, instanceId: string) {
  const instance = `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`;
  const query = `taskHub=${hubName}&connection=Storage`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/** The `durableClient` input binding's value: what the extension hands the SDK's getClient. */
export function durableClientPayload(baseUrl: string, hubName: string) {
  const webhooks = `${baseUrl}/runtime/webhooks/durabletask`;
  const query = `taskHub=${hubName}&connection=Storage`;
  const links = managementLinks(baseUrl, hubName, "INSTANCEID");
  return {
    taskHubName: hubName,
    connectionName: "Storage",
    creationUrls: {
      createNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: { ...links, id: "INSTANCEID" },
    baseUrl: webhooks,
    requiredQueryStringParameters: query,
    rpcBaseUrl: `${baseUrl}/durabletask/`,
  };
}

function readFlags(url: URL) {
  const flag = (name: string, fallback: boolean) => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : value.toLowerCase() === "true";
  };
  return {
    showHistory: flag("showHistory", false),
    showHistoryOutput: flag("showHistoryOutput", false),
    showInput: flag("showInput", true),
  };
}

/** The extension writes times as `yyyy-MM-ddTHH:mm:ssZ`. */
function wireTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

function parseOrNull(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = "";
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers["content-type"] = "application/json; charset=utf-8";
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}
