import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloneOrchestrations,
  cloneRows,
  readTemplate,
  type OrchestrationTemplate,
} from "../../../bench/seedOrchestrations";
import type { RunningHost } from "../../src/host";
import { start, status, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

const quiet = { info: () => undefined, error: (line: string) => console.error(line) };

/**
 * bench/seedOrchestrations.ts writes instances straight into the task hub's tables as copies of one
 * the engine ran. The copies must be real instances: the status API answers them, and the host loads,
 * replays and carries each one on from its own input, as if it had been started through the API.
 */
describe("orchestrations seeded by cloning a template's storage rows", () => {
  let host: RunningHost;

  beforeAll(async () => {
    host = await startDurableHost("Seed", { logger: quiet });
  });

  afterAll(() => host?.stop());

  const api = (id: string) => `${host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}`;

  it("clones a waiting instance into instances that each complete from their own input", async () => {
    const templateId = `template-${randomUUID()}`;
    const links = await start(host.url, "greetOnEvent", { id: templateId, name: "template" }, templateId);
    await waitFor(links.statusQueryGetUri, ["Running"]);
    const template = await eventually(() => readTemplate(host.hub, templateId));
    expect(template.historyRows.map((r) => r.rowKey)).toEqual([
      "0000000000000000",
      "0000000000000001",
      "0000000000000002",
      "sentinel",
    ]);

    const targets = Array.from({ length: 12 }, (_, i) => {
      const id = `clone-${i}-${randomUUID()}`;
      return { instanceId: id, input: { id, name: `clone ${i}` } };
    });
    const written = await cloneOrchestrations(host.hub, template, targets, { concurrency: 4 });
    expect(written).toEqual({ cloned: 12, requests: 24 }); // one transaction and one status row each

    // Each clone waits as the template does, with its own input and an execution of its own.
    const executions = new Set<string>([template.executionId]);
    for (const { instanceId, input } of targets) {
      const waiting = await status(api(instanceId));
      expect(waiting).toMatchObject({
        name: "greetOnEvent",
        instanceId,
        runtimeStatus: "Running",
        input,
        customStatus: { waitingFor: "Greet" },
        output: null,
      });
      executions.add(String((await host.hub.instances.getEntity(instanceId, ""))["ExecutionId"]));
    }
    expect(executions.size).toBe(targets.length + 1);

    // The event through the Durable HTTP API: the host reads each clone's history from storage
    // (none is in its cache), replays it, and runs it on through an activity to its end.
    for (const { instanceId } of targets) {
      const raised = await fetch(`${api(instanceId)}/raiseEvent/Greet`, { method: "POST", body: '"Hi"' });
      expect(raised.status).toBe(202);
    }
    for (const { instanceId, input } of targets) {
      const done = await waitFor(api(instanceId));
      expect(done).toMatchObject({
        runtimeStatus: "Completed",
        output: {
          id: input.id,
          instanceId,
          greeting: `Hi, ${input.name}`,
          hello: `Hello ${input.name}!`,
        },
      });
    }
    const history = await status(api(targets[0]?.instanceId ?? ""), "?showHistory=true");
    expect(history.historyEvents?.map((e) => e.EventType)).toEqual([
      "ExecutionStarted",
      "EventRaised",
      "TaskScheduled",
      "TaskCompleted",
      "ExecutionCompleted",
    ]);

    // The template itself is untouched by its clones.
    expect(await status(links.statusQueryGetUri)).toMatchObject({ runtimeStatus: "Running", output: null });
    await fetch(`${api(templateId)}/raiseEvent/Greet`, { method: "POST", body: '"Hello"' });
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: { id: templateId, instanceId: templateId, greeting: "Hello, template" },
    });
  });

  it("refuses a clone whose rows would still name the template", () => {
    const template: OrchestrationTemplate = {
      instanceId: "tpl",
      executionId: "exec-1",
      inputText: '{"id":"tpl"}',
      instanceRow: { partitionKey: "tpl", rowKey: "", ExecutionId: "exec-1", Input: '{"id":"tpl"}' },
      historyRows: [
        { partitionKey: "tpl", rowKey: "sentinel", State: '{"executionId":"exec-1","note":"see /tpl/"}' },
      ],
      messageIds: [],
    };
    expect(() => cloneRows(template, { instanceId: "copy", input: { id: "copy" } })).toThrow(
      /template's instance ID tpl is still in its rows/,
    );
    const fine = { ...template, historyRows: [{ partitionKey: "tpl", rowKey: "sentinel", State: "{}" }] };
    const rows = cloneRows(fine, { instanceId: "copy", input: { id: "copy" } });
    expect(rows.instanceRow).toEqual({
      partitionKey: "copy",
      rowKey: "",
      ExecutionId: rows.executionId,
      Input: '{"id":"copy"}',
    });
  });
});

/** Retries `read` for a few seconds: the status row follows the commit by a moment. */
async function eventually<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 50) throw err;
      await sleep(100);
    }
  }
}
