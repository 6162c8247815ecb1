import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { CoreState } from "./functionsCore";
import type { RpcBindingInfo, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from "./coreTypes";
import type { RegisteredFunction } from "./registry";

/**
 * Runs one invocation the way the Node worker does: through the app's own programming model
 * (`getInvocationModel` → `getArguments` → `invokeFunction` → `getResponse`), so argument and
 * response conversion are the library's, not ours. Writes one log line per invocation.
 */
export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  /** Defaults to a new GUID. */
  invocationId?: string;
}

export type InvocationResult =
  | { ok: true; invocationId: string; response: RpcInvocationResponse; durationMs: number }
  | { ok: false; invocationId: string; error: Error; durationMs: number };

export interface Logger {
  info(line: string): void;
  error(line: string): void;
}

/** Supplies the value of a non-trigger input binding (e.g. `durableClient`), or undefined if unknown. */
export type InputBindingProvider = (binding: RpcBindingInfo) => RpcTypedData | undefined;

export class Invoker {
  private readonly inputProviders = new Map<string, InputBindingProvider>();

  constructor(
    private readonly core: CoreState,
    private readonly logger: Logger,
    /** `functionTimeout` from host.json, in milliseconds; undefined = none. */
    private readonly timeoutMs?: number,
  ) {}

  /** Registers who fills input bindings of `type` (case-insensitive) for every invocation. */
  provideInput(type: string, provider: InputBindingProvider): void {
    this.inputProviders.set(type.toLowerCase(), provider);
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationResult> {
    const invocationId = input.invocationId ?? randomUUID();
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      const response = await this.withTimeout(fn.name, this.run(fn, invocationId, input));
      const durationMs = elapsed();
      this.logger.info(`${fn.name} ${invocationId} ${durationMs}ms Succeeded`);
      return { ok: true, invocationId, response, durationMs };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const durationMs = elapsed();
      this.logger.error(`${fn.name} ${invocationId} ${durationMs}ms Failed: ${error.message.split("\n")[0]}`);
      return { ok: false, invocationId, error, durationMs };
    }
  }

  private async run(fn: RegisteredFunction, invocationId: string, input: InvocationInput) {
    const model = this.core.programmingModel().getInvocationModel({
      invocationId,
      metadata: fn.metadata,
      request: {
        invocationId,
        functionId: fn.metadata.functionId ?? fn.name,
        inputData: [...input.inputData, ...this.extraInputs(fn, input.inputData)],
        ...(input.triggerMetadata ? { triggerMetadata: input.triggerMetadata } : {}),
        ...(input.retryContext ? { retryContext: input.retryContext } : {}),
      },
      log: (level, category, message) => this.logger.info(`[${level}] ${fn.name}: ${message}`),
    });
    const { context, inputs } = await model.getArguments();
    const result = await model.invokeFunction(context, inputs, fn.callback);
    return model.getResponse(context, result);
  }

  /** Values for the function's other `in` bindings that a provider knows, unless the caller gave them. */
  private extraInputs(fn: RegisteredFunction, given: RpcParameterBinding[]): RpcParameterBinding[] {
    return Object.entries(fn.metadata.bindings).flatMap(([name, binding]) => {
      if (binding.direction !== "in" || name === fn.trigger.name || given.some((g) => g.name === name))
        return [];
      const data = this.inputProviders.get(binding.type.toLowerCase())?.(binding);
      return data === undefined ? [] : [{ name, data }];
    });
  }

  private withTimeout<T>(name: string, work: Promise<T>): Promise<T> {
    if (this.timeoutMs === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} exceeded functionTimeout (${this.timeoutMs} ms)`)),
        this.timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** The value an invocation returned, decoded from its RpcTypedData (what the host itself reads). */
export function decodeTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined) return JSON.parse(data.json) as unknown;
  if (data.string !== undefined) return data.string;
  if (data.int !== undefined) return Number(data.int);
  if (data.double !== undefined) return data.double;
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  return undefined;
}
