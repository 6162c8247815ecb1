import { ActionType } from "devhost";
import { describe, expect, it } from "vitest";
import {
  endMissingCspCustomersName,
  type EndMissingCspCustomersInput,
} from "../../functions/activities/endMissingCspCustomers";
import { finishJobName, type FinishJobInput } from "../../functions/activities/finishJob";
import {
  importCspCustomersName,
  type ImportCspCustomersInput,
} from "../../functions/activities/importCspCustomers";
import {
  readCspCustomersName,
  type ReadCspCustomersInput,
} from "../../functions/activities/readCspCustomers";
import { readCspModelName } from "../../functions/activities/readCspModel";
import { cspImport, cspImportName, maxCspPages } from "../../functions/orchestrators/cspImport";
import type { CspCustomerRef, CspImportInput, CspModel } from "../../src/app/cspImport";
import { calls, idOf, only, OrchestrationReplay } from "../support/orchestrationReplay";

const t0 = new Date("2026-11-01T04:00:00.000Z");
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const ids = { partnerId: "partner-a", jobId: "0f4a1c2e-9b8d-4e7f-8a6b-5c4d3e2f1a0b" };
const indirect: CspModel = { model: "indirect-reseller", indirectProviderLocationId: "7654321" };
const next = { uri: "/customers?size=100&seek_operation=next", continuationToken: "opaque-token" };

const customers = (from: number, count: number): CspCustomerRef[] =>
  Array.from({ length: count }, (_, i) => ({
    index: from + i,
    customerId: `customer-${from + i}`,
    tenantId: `00000000-0000-4000-8000-${String(from + i).padStart(12, "0")}`,
    domain: `customer${from + i}.onmicrosoft.com`,
  }));

async function start(input: CspImportInput = ids, at = t0): Promise<OrchestrationReplay> {
  const replay = new OrchestrationReplay(cspImport, ids.jobId, input, at, cspImportName);
  await replay.run();
  return replay;
}

/** Completes the one pending call of `name` with `result`; answers its input. */
async function answer<T>(replay: OrchestrationReplay, name: string, result: unknown, at = replay.now) {
  const call = only(calls(replay.pending(), name));
  await replay.complete(idOf(call), result, at);
  return call.action.input as T;
}

/** Completes every pending import batch; answers their inputs in order. */
async function importAll(replay: OrchestrationReplay): Promise<ImportCspCustomersInput[]> {
  const batches = calls(replay.pending(), importCspCustomersName);
  const inputs = batches.map((b) => b.action.input as ImportCspCustomersInput);
  for (const [i, batch] of batches.entries()) await replay.complete(idOf(batch), inputs[i]?.customers.length);
  return inputs;
}

const continuedWith = (replay: OrchestrationReplay): unknown =>
  replay.state.actions.flat().find((a) => a.actionType === ActionType.ContinueAsNew)?.input;

describe("cspImport", () => {
  it("reads the model once, fans a page out in batches, and continues as new with the page's continuation", async () => {
    const replay = await start();
    expect(await answer(replay, readCspModelName, { ok: true, model: indirect })).toEqual({
      partnerId: ids.partnerId,
    });
    const read = await answer<ReadCspCustomersInput>(replay, readCspCustomersName, {
      ok: true,
      customers: customers(0, 25),
      next,
    });
    expect(read).toEqual({ ...ids, index: 0 });
    const batches = await importAll(replay);
    expect(batches.map((b) => b.customers.length)).toEqual([20, 5]);
    expect(batches[1]).toMatchObject({ ...ids, at: t0.toISOString(), model: indirect });
    expect(batches[1]?.customers[0]?.index).toBe(20);
    expect(continuedWith(replay)).toEqual({
      ...ids,
      at: t0.toISOString(),
      model: indirect,
      next,
      index: 25,
      pages: 1,
    });
    expect(calls(replay.scheduled, finishJobName)).toHaveLength(0);
  });

  it("on the last page ends the missing customers from the page's end, then completes the job", async () => {
    const continued: CspImportInput = {
      ...ids,
      at: t0.toISOString(),
      model: indirect,
      next,
      index: 25,
      pages: 1,
    };
    const replay = await start(continued, later(30));
    expect(calls(replay.scheduled, readCspModelName)).toHaveLength(0);
    const read = await answer<ReadCspCustomersInput>(replay, readCspCustomersName, {
      ok: true,
      customers: customers(25, 3),
    });
    expect(read).toEqual({ ...ids, index: 25, next });
    const [batch] = await importAll(replay);
    expect(batch).toMatchObject({ at: t0.toISOString(), model: indirect });
    const end = await answer<EndMissingCspCustomersInput>(replay, endMissingCspCustomersName, { ended: 2 });
    expect(end).toEqual({ ...ids, at: t0.toISOString(), firstIndex: 28 });
    const finish = await answer<FinishJobInput>(replay, finishJobName, null, later(31));
    expect(finish).toEqual({ ...ids, at: later(30).toISOString() });
    expect(replay.state).toMatchObject({ isDone: true, output: "Completed" });
  });

  it("handles an empty customer list: nothing to import, every earlier customer missing", async () => {
    const replay = await start();
    await answer(replay, readCspModelName, { ok: true, model: { model: "direct-bill" } });
    await answer(replay, readCspCustomersName, { ok: true, customers: [] });
    expect(calls(replay.scheduled, importCspCustomersName)).toHaveLength(0);
    expect(await answer(replay, endMissingCspCustomersName, { ended: 4 })).toMatchObject({ firstIndex: 0 });
    await answer(replay, finishJobName, null);
    expect(replay.state).toMatchObject({ isDone: true, output: "Completed" });
  });

  it("fails the job at once with Partner Center's refusal, reading nothing more", async () => {
    const replay = await start();
    const error = "Entra ID refused a Partner Center token for tenant t (invalid_client, AADSTS7000215)";
    await answer(replay, readCspModelName, { ok: false, error });
    const finish = await answer<FinishJobInput>(replay, finishJobName, null);
    expect(finish).toEqual({ ...ids, at: t0.toISOString(), error });
    expect(calls(replay.scheduled, readCspCustomersName)).toHaveLength(0);
    expect(replay.state).toMatchObject({ isDone: true, output: "Failed" });
  });

  it("fails the job when a later page is refused, ending nobody", async () => {
    const replay = await start({ ...ids, at: t0.toISOString(), model: indirect, next, index: 6, pages: 2 });
    await answer(replay, readCspCustomersName, {
      ok: false,
      error: "Partner Center refused the customer list",
    });
    expect(await answer(replay, finishJobName, null)).toMatchObject({
      error: "Partner Center refused the customer list",
    });
    expect(calls(replay.scheduled, endMissingCspCustomersName)).toHaveLength(0);
  });

  it("stops a customer list that never ends", async () => {
    const replay = await start({ ...ids, at: t0.toISOString(), model: indirect, next, pages: maxCspPages });
    expect(await answer(replay, finishJobName, null)).toMatchObject({
      error: expect.stringContaining(`over ${maxCspPages} pages`) as unknown,
    });
    expect(calls(replay.scheduled, readCspCustomersName)).toHaveLength(0);
  });

  it("carries no secret: its inputs are IDs, the time, the model and the continuation", async () => {
    const replay = await start();
    await answer(replay, readCspModelName, { ok: true, model: indirect });
    await answer(replay, readCspCustomersName, { ok: true, customers: customers(0, 2), next });
    await importAll(replay);
    const inputs = JSON.stringify([...replay.scheduled.map((s) => s.action.input), continuedWith(replay)]);
    expect(inputs).not.toMatch(/secret|password|bearer/i);
  });
});
