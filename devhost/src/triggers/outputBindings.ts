import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import type { RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from "../coreTypes";
import { resolveSettings } from "../appSettings";
import type { RegisteredFunction } from "../registry";

/**
 * Storage-queue output bindings (`output.storageQueue`, type `queue`) and the queue plumbing the
 * queue trigger shares with them: `%setting%` resolution, connection lookup, queue-name rules and
 * the host's default message encoding (base64 of the UTF-8 bytes).
 */

/** The app setting a storage binding uses when it names no `connection`. */
export const defaultStorageConnection = "AzureWebJobsStorage";

/**
 * Writes every `queue` output of a successful invocation: named outputs from `response.outputData`
 * and `$return` when the function's return binding is a queue. A string is one message as is, an
 * array one message per element, anything else its JSON; bytes are sent as binary (base64 of the
 * bytes). Queues are created when missing. Rejects on the first failed write, as the real host fails
 * the invocation when an output binding cannot be flushed.
 */
export async function writeOutputBindings(
  fn: RegisteredFunction,
  response: RpcInvocationResponse,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  for (const [name, binding] of queueOutputs(fn)) {
    const data =
      name === "$return" ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
    const messages = queueMessagesFrom(data);
    if (messages.length === 0) continue;
    const target = resolveQueueBinding(fn.name, binding, env);
    for (const message of messages) await sendQueueMessage(target, message);
  }
}

function queueOutputs(fn: RegisteredFunction): [string, RpcBindingInfo][] {
  return Object.entries(fn.metadata.bindings).filter(
    ([, b]) => b.direction === "out" && b.type.toLowerCase() === "queue",
  );
}

/**
 * The message bodies one output value becomes. A `string` is never split, even when it looks like a
 * JSON array: the worker only sends `json` for values that were objects or arrays in JavaScript.
 */
export function queueMessagesFrom(data: RpcTypedData | null | undefined): Buffer[] {
  if (!data) return [];
  if (data.string !== undefined) return [Buffer.from(data.string, "utf8")];
  if (data.json !== undefined) return jsonMessages(JSON.parse(data.json) as unknown);
  if (data.bytes !== undefined) return [Buffer.from(data.bytes)];
  if (data.stream !== undefined) return [Buffer.from(data.stream)];
  if (data.int !== undefined) return [Buffer.from(String(data.int), "utf8")];
  if (data.double !== undefined) return [Buffer.from(String(data.double), "utf8")];
  if (data.collectionString) return data.collectionString.string.map((s) => Buffer.from(s, "utf8"));
  if (data.collectionBytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  const numbers = data.collectionDouble?.double ?? data.collectionSint64?.sint64 ?? [];
  return numbers.map((n) => Buffer.from(String(n), "utf8"));
}

function jsonMessages(value: unknown): Buffer[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items
    .filter((item) => item !== null && item !== undefined)
    .map((item) => Buffer.from(typeof item === "string" ? item : JSON.stringify(item), "utf8"));
}

/** A queue a binding points at: its resolved name and the account it lives in. */
export interface QueueTarget {
  functionName: string;
  queueName: string;
  connectionString: string;
  client: QueueClient;
}

/** Resolves a trigger's or output's `queueName` and `connection` against the app settings. */
export function resolveQueueBinding(
  functionName: string,
  binding: RpcBindingInfo,
  env: NodeJS.ProcessEnv,
): QueueTarget {
  const rawName = typeof binding.queueName === "string" ? binding.queueName : "";
  const queueName = normalizeQueueName(
    functionName,
    resolveSettings(rawName, env, `function "${functionName}"`),
  );
  const connectionString = storageConnectionString(functionName, binding.connection, env);
  const client = queueService(connectionString).getQueueClient(queueName);
  return { functionName, queueName, connectionString, client };
}

/**
 * Queue names are lower-cased, as the host does "to be nice", then checked against the storage
 * rules (3-63 characters; lowercase letters, digits and single hyphens, not at either end).
 * Binding expressions such as `{queueTrigger}` are not supported by this host.
 */
export function normalizeQueueName(functionName: string, name: string): string {
  const lower = name.toLowerCase();
  if (/[{}]/.test(lower))
    throw new Error(
      `function "${functionName}": queue name "${name}" uses binding expressions, which the local host does not support`,
    );
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(lower))
    throw new Error(
      `function "${functionName}": "${name}" is not a valid queue name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)`,
    );
  return lower;
}

/**
 * The connection string a binding's `connection` names. Like the host, `AzureWebJobs<name>` is tried
 * before `<name>`, so `"Storage"` and `"AzureWebJobsStorage"` both find `AzureWebJobsStorage`.
 * Identity-based connections (`<name>__queueServiceUri`) are not supported by this host.
 */
export function storageConnectionString(
  functionName: string,
  connection: unknown,
  env: NodeJS.ProcessEnv,
): string {
  const name = typeof connection === "string" && connection !== "" ? connection : defaultStorageConnection;
  const value = env[`AzureWebJobs${name}`] || env[name];
  if (value) return value;
  const identity = [`${name}__queueServiceUri`, `${name}__serviceUri`, `${name}__accountName`].find(
    (k) => env[k],
  );
  throw new Error(
    identity
      ? `function "${functionName}": connection "${name}" is identity-based (${identity}); the local host needs a connection string in ${name}`
      : `function "${functionName}": connection "${name}" is not set; set the app setting ${name} to a storage connection string`,
  );
}

const services = new Map<string, QueueServiceClient>();

/** One client per connection string for the life of the process (clients hold no per-call state). */
export function queueService(connectionString: string): QueueServiceClient {
  let service = services.get(connectionString);
  if (!service) {
    service = QueueServiceClient.fromConnectionString(connectionString);
    services.set(connectionString, service);
  }
  return service;
}

const ensured = new Set<string>();

/** Creates the queue once per process; a queue deleted later is recreated by `sendQueueMessage`. */
export async function ensureQueue(target: QueueTarget): Promise<void> {
  const key = queueKey(target);
  if (ensured.has(key)) return;
  await target.client.createIfNotExists();
  ensured.add(key);
}

/** Sends one message in the host's default encoding (base64), creating the queue when missing. */
export async function sendQueueMessage(target: QueueTarget, body: Buffer): Promise<void> {
  await ensureQueue(target);
  const text = encodeQueueMessage(body);
  try {
    await target.client.sendMessage(text);
  } catch (err) {
    if (storageErrorCode(err) !== "QueueNotFound") throw err;
    ensured.delete(queueKey(target));
    await ensureQueue(target);
    await target.client.sendMessage(text);
  }
  notifyQueueWrite(target);
}

function queueKey(target: { connectionString: string; queueName: string }): string {
  return `${target.connectionString}\n${target.queueName}`;
}

/** The host's default `messageEncoding` is base64 of the body's bytes. */
export function encodeQueueMessage(body: Buffer | string): string {
  return (typeof body === "string" ? Buffer.from(body, "utf8") : body).toString("base64");
}

/**
 * The UTF-8 text of a base64 message, or undefined when the text is not base64 (the host then moves
 * the message to the poison queue without invoking the function). Whitespace is ignored, as .NET's
 * base64 decoder does.
 */
export function decodeQueueMessage(text: string): string | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64").toString("utf8");
}

/** The storage error code (`QueueNotFound`, `PopReceiptMismatch`, …) of a failed request, if any. */
export function storageErrorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

type QueueWriteListener = (target: { connectionString: string; queueName: string }) => void;
const writeListeners = new Set<QueueWriteListener>();

/**
 * Tells listeners in this process that a message was just written, so a queue trigger on that queue
 * polls at once instead of waiting out its back-off (the real host's shared queue watcher).
 */
export function watchQueueWrites(listener: QueueWriteListener): () => void {
  writeListeners.add(listener);
  return () => writeListeners.delete(listener);
}

function notifyQueueWrite(target: QueueTarget): void {
  for (const listener of writeListeners) listener(target);
}
