import type { FunctionCallback, FunctionMetadata, RpcBindingInfo } from "./coreTypes";

/** One function the app registered, with its trigger binding found once. */
export interface RegisteredFunction {
  name: string;
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  /** Binding name and info of the trigger (the one binding whose type ends in "Trigger"). */
  trigger: { name: string; binding: RpcBindingInfo };
}

/** Every function registration the app made while loading, by name. */
export class FunctionRegistry {
  private readonly functions = new Map<string, RegisteredFunction>();

  add(metadata: FunctionMetadata, callback: FunctionCallback): void {
    if (this.functions.has(metadata.name))
      throw new Error(`function "${metadata.name}" is registered twice; function names must be unique`);
    const trigger = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function "${metadata.name}" has no trigger binding`);
    this.functions.set(metadata.name, {
      name: metadata.name,
      metadata,
      callback,
      trigger: { name: trigger[0], binding: trigger[1] },
    });
  }

  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name);
  }

  /** Function names are case-insensitive in Azure Functions (and in Durable's activity lookup). */
  find(name: string): RegisteredFunction | undefined {
    return this.get(name) ?? this.all().find((f) => f.name.toLowerCase() === name.toLowerCase());
  }

  all(): RegisteredFunction[] {
    return [...this.functions.values()];
  }

  /** Functions whose trigger has this type (`httpTrigger`, `timerTrigger`, `queueTrigger`, …). */
  byTrigger(type: string): RegisteredFunction[] {
    return this.all().filter((f) => f.trigger.binding.type.toLowerCase() === type.toLowerCase());
  }
}
