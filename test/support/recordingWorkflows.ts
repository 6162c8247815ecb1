import type { Workflows } from "../../src/app/lifecycle";
import { TransientDependencyError } from "../../src/domain/errors";

/**
 * The Workflows port for handler tests that run without a host: records every event raised and
 * every start, answers `state` as told, and fails the next `failures` calls the way the Durable
 * adapter does (TransientDependencyError). `startedElsewhere` plays another caller that starts the
 * instance between this caller's `state` and its start: that start answers "running". The real engine is exercised through the local host in
 * the API tests; this one lets a handler test see exactly what the workflow was told.
 */
export class RecordingWorkflows implements Workflows {
  readonly raised: { associationId: string; eventName: string; payload: unknown }[] = [];
  /** The input of every start, in order. */
  readonly started: unknown[] = [];
  /** The orchestrator and instance of every start, in order. */
  readonly starts: { orchestrator: string; instanceId: string }[] = [];

  constructor(
    public running: "running" | "finished" | undefined = "running",
    public failures = 0,
    public startedElsewhere = false,
  ) {}

  state(): Promise<"running" | "finished" | undefined> {
    return this.fail() ?? Promise.resolve(this.running);
  }

  raise(associationId: string, eventName: string, payload: unknown): Promise<void> {
    const failed = this.fail();
    if (failed) return failed.then(() => undefined);
    this.raised.push({ associationId, eventName, payload });
    return Promise.resolve();
  }

  start(orchestrator: string, instanceId: string, input: unknown): Promise<"started" | "running"> {
    const failed = this.fail();
    if (failed) return failed;
    this.running = "running";
    if (this.startedElsewhere) return Promise.resolve("running");
    this.started.push(input);
    this.starts.push({ orchestrator, instanceId });
    return Promise.resolve("started");
  }

  private fail(): Promise<never> | undefined {
    if (this.failures <= 0) return undefined;
    this.failures--;
    return Promise.reject(new TransientDependencyError("the task hub answered 503"));
  }
}
