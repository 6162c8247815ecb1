import Module from "node:module";
import type { FunctionCallback, FunctionMetadata, ProgrammingModel } from "./coreTypes";
import type { FunctionRegistry } from "./registry";

/**
 * The `@azure/functions-core` module the Node worker normally provides. `@azure/functions` looks it
 * up lazily on its first `app.*` call and caches the answer (a miss switches it to "test mode"), so
 * `installFunctionsCore` must run before the app's code is loaded.
 */
export interface FunctionsCoreApi {
  version: string;
  hostVersion: string;
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(name: string, callback: (...args: unknown[]) => unknown): Disposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel;
  log(level: string, category: string, message: string): void;
  Disposable: typeof Disposable;
}

class Disposable {
  constructor(private readonly callOnDispose: () => void) {}
  dispose(): void {
    this.callOnDispose();
  }
}

export interface CoreState {
  api: FunctionsCoreApi;
  /** Hooks the app registered (appStart, preInvocation, postInvocation, appTerminate), in order. */
  hooks: Map<string, ((...args: unknown[]) => unknown)[]>;
  programmingModel(): ProgrammingModel;
}

export function createFunctionsCore(registry: FunctionRegistry, log: (line: string) => void): CoreState {
  let model: ProgrammingModel | undefined;
  const hooks = new Map<string, ((...args: unknown[]) => unknown)[]>();
  const api: FunctionsCoreApi = {
    version: "3.10.1",
    hostVersion: "4.1037.0",
    registerFunction(metadata, callback) {
      registry.add(metadata, callback);
      return new Disposable(() => undefined);
    },
    registerHook(name, callback) {
      const list = hooks.get(name) ?? [];
      list.push(callback);
      hooks.set(name, list);
      return new Disposable(() => list.splice(list.indexOf(callback), 1));
    },
    setProgrammingModel(next) {
      model = next;
    },
    getProgrammingModel() {
      if (!model) throw new Error("the app has not set a programming model");
      return model;
    },
    log(level, category, message) {
      log(`[${level}] ${category}: ${message}`);
    },
    Disposable,
  };
  return {
    api,
    hooks,
    programmingModel: () => {
      if (!model) throw new Error("the app registered no functions through @azure/functions");
      return model;
    },
  };
}

const coreModuleName = "@azure/functions-core";
const coreModuleKey = "\0devhost:@azure/functions-core";

type ResolveFilename = (request: string, ...rest: unknown[]) => string;

/**
 * Makes `require("@azure/functions-core")` answer `api` in this process. Returns an undo function.
 * The module is served from `require.cache` under a key no file can have.
 */
export function installFunctionsCore(api: FunctionsCoreApi): () => void {
  const moduleApi = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = moduleApi._resolveFilename;
  const cached = new Module(coreModuleKey);
  cached.exports = api;
  cached.loaded = true;
  require.cache[coreModuleKey] = cached;
  moduleApi._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === coreModuleName ? coreModuleKey : original.call(this, request, ...rest);
  };
  return () => {
    moduleApi._resolveFilename = original;
    delete require.cache[coreModuleKey];
  };
}
