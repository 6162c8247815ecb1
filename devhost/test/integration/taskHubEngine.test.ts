import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EventType, event, type HistoryEvent } from "../../src/durable/events";
import type { MessageLease } from "../../src/messageLease";
import {
  statusOf,
  TaskHub,
  type ControlMessage,
  type InstanceRow,
  type RuntimeStatus,
  type Sentinel,
} from "../../src/durable/taskHub";
import type { RunningHost } from "../../src/host";
import { start, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

/** The storage contracts the engine's fast paths rest on, against the emulator itself. */
describe("the task hub's commit and hand-off", () => {
  let hub: TaskHub;

  beforeAll(async () => {
    hub = new TaskHub(inject("storageConnectionString"), `Engine${Date.now()}`);
    await hub.ensure();
  });

  it("commits a turn's rows with the sentinel only while the sentinel keeps the lock's ETag", async () => {
    const id = `commit-${randomUUID()}`;
    const first = await lock(hub, id);
    const etag = await hub.commitTurn(id, first, sentinel(2), 0, events(2));
    expect((await hub.readSentinel(id))?.etag).toBe(etag);

    // A writer still holding the first lock's ETag: refused, and none of its rows is written.
    const stale = hub.commitTurn(id, first, sentinel(3), 2, events(1));
    expect(await stale.then(() => 200, statusOf)).toBe(412);
    expect(await hub.storedHistoryRows(id)).toBe(3); // two events and the sentinel

    const loaded = await hub.loadHistory(id);
    expect(loaded.sentinel?.committedSeq).toBe(2);
    expect(loaded.etag).toBe(etag);
  });

  it("commits a turn longer than one transaction, the sentinel in the last", async () => {
    const id = `long-${randomUUID()}`;
    const etag = await hub.commitTurn(id, await lock(hub, id), sentinel(250), 0, events(250));
    const loaded = await hub.loadHistory(id);
    expect(loaded.events.map((e) => e.Name)).toEqual(events(250).map((e) => e.Name));
    expect(loaded.etag).toBe(etag);
  });

  it("writes a commit's status row after a client's row write under way for the instance", async () => {
    const id = `row-${randomUUID()}`;
    const now = new Date().toISOString();
    const row = (runtimeStatus: RuntimeStatus): InstanceRow => ({
      instanceId: id,
      name: "sequence",
      executionId: "execution",
      input: null,
      output: null,
      customStatus: null,
      runtimeStatus,
      createdTime: now,
      lastUpdatedTime: now,
    });
    let open = () => undefined as void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // A start: its message is out (and applied here at once), its Pending row not yet written.
    const client = hub.clientRowWrite(id, async () => {
      await gate;
      await hub.putInstance(row("Pending"));
    });
    const commit = hub.putCommittedRow(row("Running"));
    await sleep(200);
    expect(await hub.getInstance(id)).toBeUndefined(); // the commit's row waits
    open();
    await Promise.all([client, commit]);
    expect((await hub.getInstance(id))?.runtimeStatus).toBe("Running");
  });

  it("writes a commit's status row over the row it last wrote only while that row keeps its ETag", async () => {
    const id = `quiet-${randomUUID()}`;
    const now = new Date().toISOString();
    const row = (customStatus: string, lastUpdatedTime = now): InstanceRow => ({
      instanceId: id,
      name: "sequence",
      executionId: "execution",
      input: null,
      output: null,
      customStatus,
      runtimeStatus: "Running",
      createdTime: now,
      lastUpdatedTime,
    });
    const first = await hub.putCommittedRow(row('"first"'));
    const second = await hub.putCommittedRow(row('"second"'), first);
    expect(second).toBeTruthy();
    expect((await hub.getInstance(id))?.customStatus).toBe('"second"');

    // Another writer's row (a repair, another host's commit) stands: the guarded write is refused.
    await hub.putInstance(row('"other"'));
    expect(await hub.putCommittedRow(row('"late"'), second)).toBeUndefined();
    expect((await hub.getInstance(id))?.customStatus).toBe('"other"');
    await hub.purge(id);
    expect(await hub.putCommittedRow(row('"late"'), second)).toBeUndefined();
    expect(await hub.getInstance(id)).toBeUndefined();
  });

  it("answers no sentinel for an instance that never committed, by point read", async () => {
    expect(await hub.readSentinel(`none-${randomUUID()}`)).toBeUndefined();
  });

  it("hands a message it sends to its own receiver, which others see only after the lease", async () => {
    const taken: { message: ControlMessage; lease: MessageLease }[] = [];
    hub.receiveLocally("control", {
      leaseSeconds: 1,
      take: (message, lease) => taken.push({ message, lease }),
    });
    try {
      const message = control(`handoff-${randomUUID()}`);
      await hub.sendControl(message);
      expect(taken.map((t) => t.message)).toEqual([message]);
      const queue = hub.controlQueueFor(message.instanceId);
      expect((await queue.receiveMessages()).receivedMessageItems).toEqual([]);

      // The receiver's process dies: no renewal, no delete. The message comes back (at least once).
      await taken[0]?.lease.end();
      await sleep(1_500);
      const again = (await queue.receiveMessages()).receivedMessageItems;
      expect(again.map((m) => m.messageId)).toEqual([taken[0]?.lease.messageId]);
      await queue.deleteMessage(again[0]?.messageId ?? "", again[0]?.popReceipt ?? "");
    } finally {
      hub.receiveLocally("control", undefined);
    }
  });

  it("renews a handed-over message's lease and deletes it with the newest receipt; hands over no timer", async () => {
    const taken: MessageLease[] = [];
    hub.receiveLocally("control", { leaseSeconds: 1, take: (_, lease) => taken.push(lease) });
    try {
      const message = control(`settle-${randomUUID()}`);
      await hub.sendControl(message);
      await hub.sendControl(control(message.instanceId), 60_000);
      expect(taken).toHaveLength(1);
      await sleep(1_800); // past the lease: renewed at half of it, or another receiver could have it
      const queue = hub.controlQueueFor(message.instanceId);
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toEqual([]);
      await taken[0]?.delete(); // refused if it presented a receipt a renewal had voided
    } finally {
      hub.receiveLocally("control", undefined);
    }
  });
});

describe("a host's cached history when another writer commits a turn", () => {
  let host: RunningHost;
  const errors: string[] = [];

  beforeAll(async () => {
    host = await startDurableHost("EngineHost", {
      logger: { info: () => undefined, error: (line) => errors.push(line) },
    });
  });

  afterAll(() => host?.stop());

  it("is refused by the sentinel's ETag and read again, so the other writer's turn stands", async () => {
    const links = await start(host.url, "twoEvents");
    await waitFor(links.statusQueryGetUri, ["Running"]);

    // A second task hub on the same storage (another host) applies event A behind this host's back.
    const other = new TaskHub(inject("storageConnectionString"), host.hub.hubName);
    const loaded = await other.loadHistory(links.id);
    const current = loaded.sentinel as Sentinel;
    const now = new Date().toISOString();
    const turn: HistoryEvent[] = [
      event(EventType.OrchestratorStarted, { Timestamp: now }),
      event(EventType.EventRaised, { Timestamp: now, Name: "A", Input: '"from the other host"' }),
      event(EventType.OrchestratorCompleted, { Timestamp: now }),
    ];
    const lockEtag = await other.lockTurn(links.id, loaded, { ...current, pendingSince: now });
    const committed = { ...current, committedSeq: current.committedSeq + turn.length };
    await other.commitTurn(links.id, lockEtag, committed, current.committedSeq, turn);

    await fetch(`${host.url}/api/raise/${links.id}/B`, { method: "POST", body: '"from this host"' });
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: ["from the other host", "from this host"],
    });
    expect(errors).toEqual([]);
  });
});

async function lock(hub: TaskHub, instanceId: string): Promise<string> {
  const none = { sentinel: undefined, etag: undefined, events: [] };
  return hub.lockTurn(instanceId, none, { ...sentinel(0), pendingSince: new Date().toISOString() });
}

function sentinel(committedSeq: number): Sentinel {
  return { executionId: "execution", committedSeq, nextId: 0, actionCount: 0 };
}

function events(count: number): HistoryEvent[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) =>
    event(EventType.GenericEvent, { Timestamp: now, Name: `e${i}` }),
  );
}

function control(instanceId: string): ControlMessage {
  const now = new Date().toISOString();
  return { id: randomUUID(), instanceId, event: { EventType: EventType.GenericEvent, Timestamp: now } };
}
